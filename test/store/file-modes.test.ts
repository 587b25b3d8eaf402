/**
 * The store's files are private to its owner: the folder certmint creates is 0700; the
 * database, its -wal and -shm (created later, lazily, by SQLite), the master key file and the
 * first administrator's password file are 0600. Files an older version left readable by others
 * are narrowed when the store is next opened.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SYSTEM } from '../../src/service/context.ts';
import { openServices } from '../../src/service/runtime.ts';
import { openStore } from '../../src/store/open.ts';
import { cli, tempDir } from '../cli/support.ts';
import { production } from './fixtures.ts';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('store file modes [sqlite]', () => {
  it('certmint init in a new folder: folder 0700, database and password file 0600', async () => {
    const cwd = tempDir();
    const r = await cli(['init'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const dir = join(cwd, '.certmint');
    assert.equal(modeOf(dir), '700');
    assert.equal(modeOf(join(dir, 'certmint.db')), '600');
    assert.equal(modeOf(join(dir, 'admin-password')), '600');
  });

  it('a serving store: database, -wal, -shm and master key 0600 while it runs', async () => {
    const dir = join(tempDir(), 'nested', '.certmint');
    const db = join(dir, 'certmint.db');
    const services = await openServices({ db, filesDir: dir, serving: true });
    try {
      await services.records.createAccount(SYSTEM, { id: '123456' });
      await services.signingKeys.jwks('123456');
      assert.equal(modeOf(dir), '700');
      assert.equal(modeOf(join(dir, '..')), '700', 'every folder certmint created');
      for (const file of ['certmint.db', 'certmint.db-wal', 'certmint.db-shm', 'master.key']) {
        assert.ok(existsSync(join(dir, file)), `${file} exists`);
        assert.equal(modeOf(join(dir, file)), '600', file);
      }
    } finally {
      await services.close();
    }
  });

  it('files left readable by others are narrowed at the next open', async () => {
    const dir = tempDir();
    const db = join(dir, 'certmint.db');
    const first = await openStore(db);
    await first.accounts.create(production('1'));
    for (const f of [db, `${db}-wal`, `${db}-shm`]) chmodSync(f, 0o644);
    const second = await openStore(db, { mustExist: true });
    try {
      for (const f of [db, `${db}-wal`, `${db}-shm`]) assert.equal(modeOf(f), '600', f);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
