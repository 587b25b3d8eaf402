/**
 * The CLI's entry point in-process (no spawn): which command gets loaded, exit codes, and the
 * one-line stderr format. Runs through the real bin/certmint.mjs are in process.test.ts.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { commandNameIn } from '../../src/cli/main.ts';
import { cli, emptyStore, tempDir } from './support.ts';

/** Runs the CLI in this process; stdout is captured too but these cases look at stderr. */
async function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const { code, stderr } = await cli(args);
  return { code, stderr };
}

describe('certmint main', () => {
  it('finds the command name after root options', () => {
    assert.equal(commandNameIn(['--db', 'x.db', '--json', 'account', 'list']), 'account');
    assert.equal(commandNameIn(['--db=x.db', 'mapping', 'revoke', '--', '-abc']), 'mapping');
    assert.equal(commandNameIn(['--json']), null);
    assert.equal(commandNameIn(['--', 'account']), null);
  });

  it('exits 2 with one line for usage errors and 1 for refused requests', async () => {
    const dir = tempDir('certmint-main-');
    try {
      const db = ['--db', await emptyStore(join(dir, 'c.db'))];
      const unknown = await run([...db, 'acount', 'list']);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /^certmint: unknown command 'acount'[^\n]*\n$/);
      const missing = await run([...db, 'entity', 'create', '--name', 'Ada']);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /^certmint: required option '--account <id>' not specified\n$/);
      const refused = await run([...db, 'account', 'create', '123456_SB1']);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        'certmint: 123456_SB1 belongs to production account 123456, which does not exist: create it first with "certmint account create 123456"\n',
      );
      const ok = await run([
        ...db,
        'account',
        'create',
        '123456',
        '--kind',
        'production',
        '--json',
      ]);
      assert.deepEqual(ok, { code: 0, stderr: '' });
      const badChoice = await run([
        ...db,
        'integration',
        'create',
        '--account',
        '123456',
        '--name',
        'x',
        '--state',
        'off',
      ]);
      assert.equal(badChoice.code, 2);
      assert.match(
        badChoice.stderr,
        /^certmint: option '--state <state>' argument 'off' is invalid\. Allowed choices are enabled, blocked\.\n$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints the stack of an unexpected error only with --debug or CERTMINT_DEBUG=1', async () => {
    const dir = tempDir('certmint-main-');
    try {
      const args = [
        '--db',
        await emptyStore(join(dir, 'c.db')),
        'keys',
        'rotate',
        '--account',
        'A',
      ];
      const env = { CERTMINT_SECRET: 'too short' };
      const plain = await cli(args, { env });
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /^certmint: CERTMINT_SECRET is too short[^\n]*\n$/);
      for (const r of [
        await cli(['--debug', ...args], { env }),
        await cli(args, { env: { ...env, CERTMINT_DEBUG: '1' } }),
      ]) {
        assert.equal(r.code, 1);
        assert.match(
          r.stderr,
          /^certmint: CERTMINT_SECRET is too short[^\n]*\nError: [^\n]*\n\s+at /,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
