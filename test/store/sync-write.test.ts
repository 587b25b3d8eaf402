/**
 * The SQLite driver's synchronous write transaction (writeSync, the ledger's path): it commits
 * every statement or none, releases the connection after a failure, waits for a transaction
 * already running on its connection, and waits (without blocking the event loop) for another
 * connection's write lock instead of failing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { sqliteDialect } from '../../src/store/sqlite/driver.ts';

describe('SQLite writeSync', () => {
  let dir: string;
  let raw: Database.Database;
  let dialect: ReturnType<typeof sqliteDialect>;
  let db: Kysely<Record<string, never>>;
  const insert = (v: string) => CompiledQuery.raw('insert into t (v) values (?)', [v]);
  const values = () =>
    (raw.prepare('select v from t order by v').all() as Array<{ v: string }>).map((r) => r.v);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-syncwrite-'));
    raw = new Database(join(dir, 'db.sqlite'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('busy_timeout = 0');
    raw.exec('create table t (v text primary key)');
    dialect = sqliteDialect(raw, 2000);
    db = new Kysely({ dialect });
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits every statement and returns what the function returns', async () => {
    const n = await dialect.writeSync((run) => {
      run(insert('a'));
      run(insert('b'));
      return run<{ n: number }>(CompiledQuery.raw('select count(*) as n from t', [])).rows[0]?.n;
    });
    assert.equal(n, 2);
    assert.deepEqual(values(), ['a', 'b']);
  });

  it('rolls everything back when a statement fails, and frees the connection', async () => {
    await assert.rejects(
      dialect.writeSync((run) => {
        run(insert('c'));
        run(insert('a')); // primary key taken
      }),
      { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' },
    );
    assert.equal(raw.inTransaction, false);
    assert.deepEqual(values(), ['a', 'b']);
    await dialect.writeSync((run) => run(insert('d')));
    assert.deepEqual(values(), ['a', 'b', 'd']);
  });

  it('waits for a Kysely transaction running on the same connection', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const tx = db.transaction().execute(async (trx) => {
      await sql`insert into t (v) values ('e')`.execute(trx);
      order.push('tx');
      await held;
    });
    await new Promise((r) => setImmediate(r));
    const w = dialect.writeSync((run) => {
      order.push('sync');
      run(insert('f'));
    });
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(order, ['tx'], 'writeSync did not run inside the open transaction');
    release();
    await Promise.all([tx, w]);
    assert.deepEqual(order, ['tx', 'sync']);
    assert.deepEqual(values(), ['a', 'b', 'd', 'e', 'f']);
  });

  it("waits for another connection's write lock, the event loop still turning", async () => {
    const other = new Database(join(dir, 'db.sqlite'));
    other.exec('begin immediate');
    other.prepare('insert into t (v) values (?)').run('g');
    let settled = false;
    const w = dialect
      .writeSync((run) => run(insert('h')))
      .finally(() => {
        settled = true;
      });
    // This timer firing at all shows the wait does not block the event loop.
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(settled, false, 'writeSync waits while the other connection holds the lock');
    other.exec('commit');
    other.close();
    await w;
    assert.deepEqual(values(), ['a', 'b', 'd', 'e', 'f', 'g', 'h']);
  });
});
