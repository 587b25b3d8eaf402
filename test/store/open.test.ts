import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isDomainError } from '../../src/domain/errors.ts';
import { DEFAULT_SQLITE_PATH, isPostgresUrl, openStore } from '../../src/store/index.ts';
import { SQLITE_PAGE_SIZE } from '../../src/store/sqlite/open.ts';
import { describeEachStore, PG_SKIP_REASON } from '../support/stores.ts';
import { production } from './fixtures.ts';

describe('openStore: SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certmint-open-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the folder and a WAL database; data survives reopening', async () => {
    const file = join(dir, 'nested', 'deeper', 'c.db');
    const s1 = await openStore(file);
    assert.equal(s1.dialect, 'sqlite');
    await s1.accounts.create(production('1'));
    await s1.close();
    const s2 = await openStore(file);
    assert.equal((await s2.accounts.get('1'))?.id, '1');
    await s2.close();
    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      raw.close();
    }
  });

  it('a new store gets SQLITE_PAGE_SIZE; an existing one keeps its page size', async () => {
    const fresh = join(dir, 'fresh.db');
    await (await openStore(fresh)).close();
    const older = join(dir, 'older.db');
    const pre = new Database(older);
    pre.pragma('page_size = 4096');
    pre.exec('create table older_content (a)');
    pre.close();
    const s = await openStore(older);
    await s.accounts.create(production('1'));
    await s.close();
    for (const [file, size] of [
      [fresh, SQLITE_PAGE_SIZE],
      [older, 4096],
    ] as const) {
      const raw = new Database(file, { readonly: true });
      try {
        assert.equal(raw.pragma('page_size', { simple: true }), size, file);
        assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal', file);
      } finally {
        raw.close();
      }
    }
  });

  it('uses $CERTMINT_DB, then ./.certmint/certmint.db, when no --db is given', async () => {
    const saved = process.env.CERTMINT_DB;
    const cwd = process.cwd();
    try {
      process.env.CERTMINT_DB = join(dir, 'from-env.db');
      await (await openStore(undefined)).close();
      await (await openStore('')).close();
      assert.ok(existsSync(join(dir, 'from-env.db')));
      delete process.env.CERTMINT_DB;
      const home = mkdtempSync(join(dir, 'cwd-'));
      process.chdir(home);
      await (await openStore(undefined)).close();
      assert.equal(DEFAULT_SQLITE_PATH, './.certmint/certmint.db');
      assert.ok(existsSync(join(home, '.certmint', 'certmint.db')));
    } finally {
      process.chdir(cwd);
      if (saved === undefined) delete process.env.CERTMINT_DB;
      else process.env.CERTMINT_DB = saved;
    }
  });

  it('opens a private in-memory database for :memory:', async () => {
    const s = await openStore(':memory:');
    assert.equal(await s.accounts.create(production('1')), true);
    await s.close();
    const t = await openStore(':memory:');
    assert.equal(await t.accounts.get('1'), null);
    await t.close();
  });

  it('says which file it cannot open, and why', async () => {
    const notADb = join(dir, 'plain.txt');
    writeFileSync(notADb, 'hello, this is not a database file at all');
    await assert.rejects(
      openStore(notADb),
      (e) =>
        isDomainError(e) &&
        e.code === 'store.cannot_open' &&
        e.kind === 'invalid_input' &&
        e.message === `cannot open SQLite database at ${notADb}: file is not a database`,
    );
    const underAFile = join(notADb, 'x.db');
    await assert.rejects(
      openStore(underAFile),
      (e) =>
        isDomainError(e) &&
        e.code === 'store.cannot_open' &&
        e.message.startsWith(`cannot open SQLite database at ${underAFile}: `),
    );
  });

  it('recognizes PostgreSQL URLs', () => {
    assert.equal(isPostgresUrl('postgres://h/db'), true);
    assert.equal(isPostgresUrl('postgresql://h/db'), true);
    assert.equal(isPostgresUrl('POSTGRES://h/db'), true);
    assert.equal(isPostgresUrl('./postgres.db'), false);
    assert.equal(isPostgresUrl('mysql://h/db'), false);
  });
});

describe('openStore: PostgreSQL errors', () => {
  it('names the server (without the password) and the reason when it cannot connect', async () => {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    await assert.rejects(
      openStore('postgres://certmint:s3cret-pw@127.0.0.1:1/certmint'),
      (e) =>
        isDomainError(e) &&
        e.code === 'store.cannot_connect' &&
        e.kind === 'invalid_input' &&
        e.message.startsWith(
          'cannot connect to PostgreSQL at postgres://certmint:***@127.0.0.1:1/certmint: ',
        ) &&
        e.message.includes('ECONNREFUSED') &&
        !e.message.includes('s3cret'),
    );
  });

  const pgUrl = process.env.CERTMINT_TEST_PG_URL;
  it('reports a database that does not exist', {
    skip: pgUrl ? false : PG_SKIP_REASON,
  }, async () => {
    const url = new URL(pgUrl ?? '');
    url.pathname = '/certmint_no_such_database';
    await assert.rejects(
      openStore(url.toString()),
      (e) =>
        isDomainError(e) &&
        e.code === 'store.cannot_connect' &&
        e.message.endsWith(': database "certmint_no_such_database" does not exist'),
    );
  });
});

describeEachStore('store: close', (f) => {
  it('waits for the calls in flight, then refuses new ones', async () => {
    const store = await f.open();
    await store.accounts.create(production('1'));
    const claims = Array.from({ length: 20 }, (_, i) => store.replay.claim(`k${i}`, 10 ** 13));
    const created = store.entities.create({
      accountId: '1',
      name: 'late',
      email: null,
      type: 'employee',
      active: true,
    });
    await store.close();
    assert.deepEqual(await Promise.all(claims), Array(20).fill(true));
    assert.equal((await created).id, 1);
    await assert.rejects(store.accounts.list(), { message: 'the store is closed' });
    await store.close();
  });
});
