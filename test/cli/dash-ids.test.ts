/**
 * Certificate ids that begin with "-" (about one in 64): whatever letter follows the dash,
 * commander must never read the id as options (`-V…` used to print the version and exit 0
 * instead of revoking). Deterministic: every base64url character after the dash, in-process.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { DASH_CERTIFICATE_ID, protectDashIds } from '../../src/cli/dash-ids.ts';
import { assertMistake, cli, emptyStore, tempDir } from './support.ts';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** A 43-character certificate id: "-", then `c`, then 41 more base64url characters. */
const dashId = (c: string): string => `-${c}tj5AbF-${'x'.repeat(34)}`;

describe('certificate ids beginning with "-"', () => {
  let dir: string;
  let db: string[];
  before(async () => {
    dir = tempDir();
    db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
    const created = await cli([...db, 'account', 'create', '123456']);
    assert.equal(created.code, 0, created.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are recognised by shape, and only 43-character base64url words are', () => {
    for (const c of BASE64URL) assert.match(dashId(c), DASH_CERTIFICATE_ID);
    assert.equal(dashId('V').length, 43);
    for (const word of ['-V', '--version', '-Vtj5', `${dashId('V')}x`, `-${'!'.repeat(42)}`]) {
      assert.doesNotMatch(word, DASH_CERTIFICATE_ID);
    }
  });

  it('are moved after "--" as operands, or attached to the option that takes them', () => {
    const program = new Command('certmint').option('--db <path>').option('--json');
    program
      .command('mapping')
      .command('revoke')
      .requiredOption('--account <id>')
      .option('-c, --certificate-id <id>');
    const id = dashId('V');
    assert.deepEqual(
      protectDashIds(program, ['--db', 'x', 'mapping', 'revoke', '--account', 'A', id]),
      ['--db', 'x', 'mapping', 'revoke', '--account', 'A', '--', id],
    );
    assert.deepEqual(
      protectDashIds(program, ['mapping', 'revoke', '--certificate-id', id, '--account', 'A']),
      ['mapping', 'revoke', `--certificate-id=${id}`, '--account', 'A'],
    );
    assert.deepEqual(protectDashIds(program, ['mapping', 'revoke', '-c', id]), [
      'mapping',
      'revoke',
      `-c${id}`,
    ]);
    // Already after "--": stays an operand, in order.
    assert.deepEqual(protectDashIds(program, ['mapping', 'revoke', id, '--', 'x']), [
      'mapping',
      'revoke',
      '--',
      id,
      'x',
    ]);
    // Nothing else is touched: real options, short words, a value that merely starts with "-".
    const plain = ['mapping', 'revoke', '--account', '-5', '-V', '--json', '--', '-abc'];
    assert.deepEqual(protectDashIds(program, plain), plain);
  });

  it('reach `mapping revoke` intact for every character after the dash', async () => {
    for (const c of BASE64URL) {
      const id = dashId(c);
      for (const form of [[id], ['--certificate-id', id], [`--certificate-id=${id}`]]) {
        const r = await cli([...db, 'mapping', 'revoke', '--account', '123456', ...form]);
        // Not mapped here: the refusal names exactly the id given, so it was parsed as the id.
        assertMistake(
          r,
          1,
          new RegExp(`^certmint: no certificate ${id} is mapped in account 123456: `),
        );
        assert.equal(r.stdout, '', `${form.join(' ')} printed ${r.stdout}`);
      }
    }
  });

  it('reach `token --certificate-id` intact (not read as -V or any other flag)', async () => {
    // The token command checks its options before any network call: a missing key file proves
    // the certificate id was taken as the option's value, not as flags.
    for (const c of 'VhJd') {
      const r = await cli([
        'token',
        '--token-url',
        'http://127.0.0.1:9/token',
        '--client-id',
        'e'.repeat(64),
        '--certificate-id',
        dashId(c),
        '--key',
        join(dir, 'missing.pem'),
      ]);
      assertMistake(r, 1, /cannot read .*missing\.pem: no such file/);
      assert.equal(r.stdout, '');
    }
  });
});
