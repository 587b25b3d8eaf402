/** `certmint integration create|update|show|list --mtls-binding`, in-process on a SQLite file. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { assertMistake, cli, cliJson, emptyStore, tempDir } from './support.ts';

let dir: string;
let db: string[];
before(async () => {
  dir = tempDir();
  db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
  assert.equal((await cli([...db, 'account', 'create', '123456'])).code, 0);
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('sets, shows, lists and changes the mTLS binding', async () => {
  const created = await cliJson<{ clientId: string; mtlsBinding: string }>([
    ...db,
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
  const shown = await cli([...db, 'integration', 'show', '--account', '123456', created.clientId]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^mTLS binding: {4}required$/m);
  const updated = await cli([
    ...db,
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
  const list = await cli([...db, 'integration', 'list', '--account', '123456']);
  assert.match(list.stdout, /\bMTLS\b/);
  assert.match(list.stdout, /Bound +enabled +yes +restlets +off +allowed +[0-9a-f]{64}/);
  const plain = await cliJson<{ mtlsBinding: string }>([
    ...db,
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
      ...db,
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
