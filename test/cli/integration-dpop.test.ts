/**
 * `certmint integration create|update|show|list --dpop`: the per-integration DPoP mode from the
 * command line, shown wherever the integration is, and an unknown mode refused in one line.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMistake, cli, cliJson, emptyStore, tempDir } from './support.ts';

describe('certmint integration --dpop', () => {
  let dir: string;
  let db: string[];
  before(async () => {
    dir = tempDir();
    db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
    await cliJson([...db, 'account', 'create', '123456']);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates with a mode, shows it, changes it and lists it', async () => {
    const created = await cli([
      ...db,
      'integration',
      'create',
      '--account',
      '123456',
      '--name',
      'CI',
      '--m2m',
      '--scope',
      'restlets',
      '--dpop',
      'required',
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /\nDPoP:\s+required\n/);
    const clientId = /client id:\s+([0-9a-f]{64})\n/.exec(created.stdout)?.[1] ?? '';

    const shown = await cli([...db, 'integration', 'show', '--account', '123456', clientId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /\nDPoP:\s+required(\n|$)/);

    const updated = await cliJson<{ dpop: string }>([
      ...db,
      'integration',
      'update',
      '--account',
      '123456',
      clientId,
      '--dpop',
      'allowed',
    ]);
    assert.equal(updated.dpop, 'allowed');

    const list = await cli([...db, 'integration', 'list', '--account', '123456']);
    assert.match(list.stdout, /DPOP/);
    assert.match(list.stdout, / allowed /);
    const json = await cliJson<{ dpop: string }[]>([
      ...db,
      'integration',
      'list',
      '--account',
      '123456',
    ]);
    assert.deepEqual(
      json.map((i) => i.dpop),
      ['allowed'],
    );
  });

  it('defaults to off and refuses an unknown mode', async () => {
    const c = await cliJson<{ dpop: string }>([
      ...db,
      'integration',
      'create',
      '--account',
      '123456',
      '--name',
      'Plain',
    ]);
    assert.equal(c.dpop, 'off');
    assertMistake(
      await cli([
        ...db,
        'integration',
        'create',
        '--account',
        '123456',
        '--name',
        'X',
        '--dpop',
        'sometimes',
      ]),
      2,
      /--dpop.*sometimes.*Allowed choices are off, allowed, required/,
    );
  });
});
