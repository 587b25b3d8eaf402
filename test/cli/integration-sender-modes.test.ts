/**
 * `certmint integration create|update|show|list --dpop|--mtls-binding`, in-process on a SQLite
 * file: the per-integration DPoP mode and mTLS binding from the command line, shown wherever the
 * integration is, and an unknown mode refused in one line naming the choices.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMistake, cli, cliJson, emptyStore, tempDir } from './support.ts';

/**
 * A fresh store holding account 123456 for the enclosing describe: each describe lists the
 * integrations it made, whatever runs before it.
 */
function storeWithAccount(): { db: string[] } {
  let dir = '';
  const store = { db: [] as string[] };
  before(async () => {
    dir = tempDir();
    store.db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
    assert.equal((await cli([...store.db, 'account', 'create', '123456'])).code, 0);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

describe('certmint integration --dpop', () => {
  const store = storeWithAccount();
  it('creates with a mode, shows it, changes it and lists it', async () => {
    const created = await cli([
      ...store.db,
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

    const shown = await cli([...store.db, 'integration', 'show', '--account', '123456', clientId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /\nDPoP:\s+required(\n|$)/);

    const updated = await cliJson<{ dpop: string }>([
      ...store.db,
      'integration',
      'update',
      '--account',
      '123456',
      clientId,
      '--dpop',
      'allowed',
    ]);
    assert.equal(updated.dpop, 'allowed');

    const list = await cli([...store.db, 'integration', 'list', '--account', '123456']);
    assert.match(list.stdout, /DPOP/);
    assert.match(list.stdout, / allowed /);
    const json = await cliJson<{ dpop: string }[]>([
      ...store.db,
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
      ...store.db,
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
        ...store.db,
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

describe('certmint integration --mtls-binding', () => {
  const store = storeWithAccount();
  it('sets, shows, lists and changes the mTLS binding', async () => {
    const created = await cliJson<{ clientId: string; mtlsBinding: string }>([
      ...store.db,
      'integration',
      'create',
      '--account',
      '123456',
      '--name',
      'Bound',
      '--m2m',
      '--scope',
      'restlets',
      '--mtls-binding',
      'required',
    ]);
    assert.equal(created.mtlsBinding, 'required');
    const shown = await cli([
      ...store.db,
      'integration',
      'show',
      '--account',
      '123456',
      created.clientId,
    ]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^mTLS binding: {4}required$/m);
    const updated = await cli([
      ...store.db,
      'integration',
      'update',
      '--account',
      '123456',
      created.clientId,
      '--mtls-binding',
      'allowed',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.match(updated.stdout, /^mTLS binding: {4}allowed$/m);
    const list = await cli([...store.db, 'integration', 'list', '--account', '123456']);
    assert.match(list.stdout, /\bMTLS\b/);
    assert.match(list.stdout, /Bound +enabled +yes +restlets +off +allowed +[0-9a-f]{64}/);
    const plain = await cliJson<{ mtlsBinding: string }>([
      ...store.db,
      'integration',
      'create',
      '--account',
      '123456',
      '--name',
      'Plain',
    ]);
    assert.equal(plain.mtlsBinding, 'off');
  });

  it('refuses an unknown mode in one line, naming the choices', async () => {
    assertMistake(
      await cli([
        ...store.db,
        'integration',
        'create',
        '--account',
        '123456',
        '--name',
        'X',
        '--mtls-binding',
        'always',
      ]),
      2,
      /--mtls-binding.*always.*off, allowed, required/,
    );
  });
});
