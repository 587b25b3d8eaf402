/**
 * A Kysely dialect for better-sqlite3 that makes SQLite's locking safe for a server:
 *
 * - Every Kysely transaction starts with `BEGIN IMMEDIATE`: the write lock is taken up front, so
 *   a read-then-write transaction (limit check, then insert) can never be overtaken by another
 *   connection or process, and never fails half-way with SQLITE_BUSY_SNAPSHOT (a deferred
 *   transaction that read an old snapshot cannot upgrade to a writer in WAL mode).
 * - Lock waits are asynchronous. SQLite's own busy handler (`busy_timeout`) sleeps inside the
 *   call and so blocks the event loop; worse, when two connections live in one process, the
 *   holder of the lock is that same blocked thread and the wait can only end in a timeout. So
 *   `busy_timeout` is 0 and SQLITE_BUSY is retried here with a short, growing `setTimeout`
 *   backoff, within a total budget (`busyTimeoutMs`). Only statements outside a transaction,
 *   and `BEGIN IMMEDIATE` itself, are retried: after a failed attempt nothing has happened.
 * - Prepared statements are cached per SQL text (Kysely's stock driver prepares every call).
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Dialect as KyselyDialect,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

import type { SyncRun, SyncWrite } from '../context.ts';

const STATEMENT_CACHE_MAX = 500;

const isBusy = (e: unknown): boolean =>
  typeof e === 'object' &&
  e !== null &&
  typeof (e as { code?: unknown }).code === 'string' &&
  ((e as { code: string }).code.startsWith('SQLITE_BUSY') ||
    (e as { code: string }).code.startsWith('SQLITE_LOCKED'));

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs `fn`, retrying while SQLite reports the database busy, for at most `budgetMs` of waits. */
export async function retryWhileBusy<T>(fn: () => T, budgetMs: number, what: string): Promise<T> {
  let waited = 0;
  let delay = 1;
  for (;;) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (waited >= budgetMs) {
        throw new Error(
          `${what}: the SQLite database stayed locked by another connection for ${budgetMs} ms`,
          { cause: e },
        );
      }
      await sleep(delay);
      waited += delay;
      delay = Math.min(delay * 2, 25);
    }
  }
}

/** FIFO lock: better-sqlite3 gives one connection, and a transaction owns it until it ends. */
class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];
  async lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  unlock(): void {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#locked = false;
  }
}

class SqliteConnection implements DatabaseConnection {
  readonly #db: BetterSqlite3.Database;
  readonly #budgetMs: number;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();

  constructor(db: BetterSqlite3.Database, budgetMs: number) {
    this.#db = db;
    this.#budgetMs = budgetMs;
  }

  #prepare(text: string): BetterSqlite3.Statement {
    let stmt = this.#statements.get(text);
    if (!stmt) {
      if (this.#statements.size >= STATEMENT_CACHE_MAX) this.#statements.clear();
      stmt = this.#db.prepare(text);
      this.#statements.set(text, stmt);
    }
    return stmt;
  }

  /** Runs a compiled query now (inside a transaction this connection holds: no retry). */
  runSync<R>(query: CompiledQuery): QueryResult<R> {
    return this.#run<R>(query);
  }

  #run<R>(query: CompiledQuery): QueryResult<R> {
    const stmt = this.#prepare(query.sql);
    const params = query.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(...params) as R[] };
    const { changes, lastInsertRowid } = stmt.run(...params);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.#db.inTransaction) return this.#run<R>(query);
    return retryWhileBusy(() => this.#run<R>(query), this.#budgetMs, 'query');
  }

  // biome-ignore lint/correctness/useYield: streaming is not used by certmint; say so loudly.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming queries are not supported by the certmint SQLite driver');
  }

  exec(text: string): void {
    this.#db.exec(text);
  }

  async begin(): Promise<void> {
    await retryWhileBusy(() => this.#db.exec('BEGIN IMMEDIATE'), this.#budgetMs, 'begin');
  }

  async commit(): Promise<void> {
    await retryWhileBusy(() => this.#db.exec('COMMIT'), this.#budgetMs, 'commit');
  }

  rollback(): void {
    // A failed statement may already have ended the transaction (SQLite rolls back on some
    // errors by itself); ROLLBACK outside a transaction would throw and hide the real error.
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
  }
}

class SqliteDriver implements Driver {
  readonly #db: BetterSqlite3.Database;
  readonly #connection: SqliteConnection;
  readonly #mutex = new Mutex();
  #closed = false;

  constructor(db: BetterSqlite3.Database, busyTimeoutMs: number) {
    this.#db = db;
    this.#connection = new SqliteConnection(db, busyTimeoutMs);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  async beginTransaction(): Promise<void> {
    await this.#connection.begin();
  }

  async commitTransaction(): Promise<void> {
    await this.#connection.commit();
  }

  async rollbackTransaction(): Promise<void> {
    this.#connection.rollback();
  }

  async savepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.#connection.exec(`SAVEPOINT "${name.replace(/"/g, '""')}"`);
  }

  async rollbackToSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.#connection.exec(`ROLLBACK TO "${name.replace(/"/g, '""')}"`);
  }

  async releaseSavepoint(_c: DatabaseConnection, name: string): Promise<void> {
    this.#connection.exec(`RELEASE "${name.replace(/"/g, '""')}"`);
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.unlock();
  }

  /**
   * A write transaction whose statements run synchronously: the same lock, BEGIN IMMEDIATE
   * (retried while busy), COMMIT and ROLLBACK as a Kysely transaction on this driver, without
   * Kysely's per-transaction executor, connection provider and per-statement promises. For the
   * token endpoint's group commit (kysely/ledger.ts), whose statements are compiled once:
   * Kysely's transaction path cost more CPU per batch than the statements' own JavaScript
   * (measured: docs/performance.md). Nothing else runs on the connection meanwhile.
   */
  async writeSync<T>(fn: (run: SyncRun) => T): Promise<T> {
    await this.#mutex.lock();
    try {
      await this.#connection.begin();
      let out: T;
      try {
        out = fn((q) => this.#connection.runSync(q));
        await this.#connection.commit();
      } catch (e) {
        this.#connection.rollback();
        throw e;
      }
      return out;
    } finally {
      this.#mutex.unlock();
    }
  }

  /**
   * Waits for the query or transaction in progress, then keeps every other one waiting
   * (asynchronously) until the returned release is called: a moment without writers.
   */
  async hold(): Promise<() => void> {
    await this.#mutex.lock();
    let held = true;
    return () => {
      if (held) this.#mutex.unlock();
      held = false;
    };
  }

  /** Waits for the query or transaction in progress, then closes the file. */
  async destroy(): Promise<void> {
    if (this.#closed) return;
    await this.#mutex.lock();
    this.#closed = true;
    this.#db.close();
  }
}

/** SQLite supports transactional DDL; saying so makes Kysely's Migrator run in one transaction. */
class CertmintSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export type SqliteDialect = KyselyDialect & {
  /** A moment without this connection's queries (see SqliteDriver.hold). */
  hold(): Promise<() => void>;
  writeSync: SyncWrite;
};

export function sqliteDialect(db: BetterSqlite3.Database, busyTimeoutMs: number): SqliteDialect {
  const driver = new SqliteDriver(db, busyTimeoutMs);
  return {
    hold: () => driver.hold(),
    writeSync: (fn) => driver.writeSync(fn),
    createAdapter: () => new CertmintSqliteAdapter(),
    createDriver: () => driver,
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  };
}
