/**
 * Which failures mean "the database is unavailable" (StoreUnavailableError, answered 503 by
 * the interfaces) and which stay what they are. Real faults only: PostgreSQL behind a TCP proxy
 * that drops its connections or stops listening, an SQLite database locked by another
 * connection beyond the wait budget, an SQLite database that is full. A refused statement (a
 * NOT NULL violation) is not an outage.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { isStoreUnavailable } from '../../src/domain/store-unavailable.ts';
import { openStore } from '../../src/store/index.ts';
import { openSqlite } from '../../src/store/sqlite/open.ts';
import { classifySqlite } from '../../src/store/unavailable.ts';
import { tempDir } from '../cli/support.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { eventually } from '../support/wait.ts';
import { production } from './fixtures.ts';

const unavailable = (e: unknown) => {
  assert.ok(isStoreUnavailable(e), `expected StoreUnavailableError, got ${String(e)}`);
  assert.match((e as Error).message, /^the database is unavailable: /);
  return true;
};

/** An audit event the database refuses (NOT NULL account id): a bad statement, not an outage. */
const badEvent = {
  accountId: null,
  type: 'token',
  at: 1,
  result: 'success',
} as unknown as AuditEvent;

describe('store unavailable [sqlite]', () => {
  it('locked beyond the wait budget: unavailable; once released: works; a bad row: not', async () => {
    const file = join(tempDir(), 'c.db');
    const store = await openSqlite(file, { clock: new FixedClock(0), busyTimeoutMs: 150 });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(store.accounts.create(production('1')), unavailable);
      other.exec('ROLLBACK');
      assert.equal(await store.accounts.create(production('1')), true);
      await assert.rejects(store.audit.append([badEvent]), (e) => {
        assert.equal(isStoreUnavailable(e), false);
        assert.match(String(e), /NOT NULL/);
        return true;
      });
    } finally {
      other.close();
      await store.close();
    }
  });

  it('a full database (SQLITE_FULL) is classified unavailable', () => {
    const db = new Database(':memory:');
    try {
      db.exec('create table t (x text)');
      db.pragma('max_page_count = 2');
      assert.throws(
        () => db.prepare('insert into t values (?)').run('x'.repeat(20_000)),
        (e) => unavailable(classifySqlite(e)),
      );
    } finally {
      db.close();
    }
  });
});

const pgFactory = postgresStores();
describe('store unavailable [postgres]', { skip: pgFactory ? false : PG_SKIP_REASON }, () => {
  it('connections dropped, then refused: unavailable; back: the same store works again', async () => {
    if (!pgFactory) return;
    const base = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(base.location).port || 5432));
    const store = await openStore(proxy.via(base.location));
    try {
      assert.equal(await store.accounts.create(production('1')), true);
      proxy.cut();
      await assert.rejects(store.accounts.get('1'), unavailable);
      await assert.rejects(store.accounts.create(production('2')), unavailable);
      proxy.restore();
      await eventually('the store answers again', async () => {
        try {
          return (await store.accounts.get('1'))?.id === '1';
        } catch (e) {
          unavailable(e);
          return false;
        }
      });
      await assert.rejects(store.audit.append([badEvent]), (e) => {
        assert.equal(isStoreUnavailable(e), false);
        return true;
      });
    } finally {
      await store.close();
      await proxy.close();
      await base.close();
    }
  });

  it('nothing listening at the address (ECONNREFUSED): unavailable', async () => {
    if (!pgFactory) return;
    const base = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(base.location).port || 5432));
    const store = await openStore(proxy.via(base.location));
    try {
      await proxy.close();
      await assert.rejects(store.accounts.get('1'), (e) => {
        unavailable(e);
        assert.match((e as Error).message, /ECONNREFUSED|Connection terminated/);
        return true;
      });
    } finally {
      await store.close();
      await base.close();
    }
  });
});
