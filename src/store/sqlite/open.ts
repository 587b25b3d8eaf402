/**
 * SQLite adapter: one better-sqlite3 connection per Store, WAL, NORMAL sync (durable at every
 * checkpoint, fast commits; WAL keeps the database consistent after a crash), foreign keys on.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import type { Clock } from '../../domain/clock.ts';
import { invalidInput, notFound } from '../../domain/errors.ts';
import { StoreContext } from '../context.ts';
import { LocalFeed } from '../feed.ts';
import { kyselyStore, migrate } from '../kysely/store.ts';
import type { Store } from '../ports.ts';
import type { Database as Schema } from '../schema.ts';
import { classifySqlite } from '../unavailable.ts';
import { startCheckpointer } from './checkpointer.ts';
import { sqliteDialect } from './driver.ts';

/** How often other processes' record writes are looked for while someone listens to the feed. */
export const CHANGE_POLL_MS = 500;

/** Page size of a store created by this version (an existing store keeps its own). */
export const SQLITE_PAGE_SIZE = 2048;

export interface SqliteOptions {
  clock: Clock;
  /** Total time a statement or BEGIN IMMEDIATE waits for another connection's lock. */
  busyTimeoutMs?: number;
  /** Checkpoint the WAL from a worker thread instead of inside commits (a serving process). */
  backgroundCheckpoints?: boolean;
  /** Refuse to create the file: a missing one is 'store.not_found' naming its absolute path. */
  mustExist?: boolean;
  /** With background checkpoints: the bound of the WAL file (default 64 MB). */
  walLimitBytes?: number;
}

/**
 * The store's files are private to its owner: the folder is created 0700, the database file
 * 0600 before SQLite opens it. SQLite creates `-wal` and `-shm` later, lazily, with the
 * database file's permissions, so they are 0600 too. Files left wider by an older version are
 * narrowed (when we may: a file of another user stays as it is).
 */
function createPrivately(path: string, create: boolean): void {
  if (create) {
    mkdirSync(dirname(resolve(path)), { recursive: true, mode: 0o700 });
    closeSync(openSync(path, 'a', 0o600));
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // Missing (no -wal yet) or not ours to change.
    }
  }
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function openSqlite(path: string, opts: SqliteOptions): Promise<Store> {
  const busyTimeoutMs = opts.busyTimeoutMs ?? 10_000;
  const mustExist = opts.mustExist === true && path !== ':memory:';
  let raw: Database.Database;
  try {
    if (path !== ':memory:') createPrivately(path, !mustExist);
    // A generous busy timeout only while opening: setting WAL mode may briefly wait for another
    // process, and nothing else in this process can hold this new connection's locks yet.
    // fileMustExist makes SQLite itself refuse to create the file (no check-then-open race).
    raw = new Database(path, { timeout: busyTimeoutMs, fileMustExist: mustExist });
    // A new store gets smaller pages. The token endpoint's commits dirty a few scattered B-tree
    // leaves each (a random replay key lands on its own leaf), and the WAL holds every dirtied
    // page whole: 2 KB pages write ~38 % fewer WAL bytes per token at the same CPU, and reads
    // do not measurably slow down (measured: docs/performance.md). SQLite applies page_size
    // only to a database that has no content yet and never once in WAL mode
    // (https://sqlite.org/pragma.html#pragma_page_size), hence before journal_mode below. An
    // existing store keeps its page size (changing it would take a VACUUM).
    if (raw.pragma('page_count', { simple: true }) === 0) {
      raw.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
    }
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    // Statement journals (every multi-row upsert/insert of the token endpoint's group commit
    // writes one) in memory instead of a temporary file created, written and unlinked per
    // statement: ~25 % of the endpoint's SQLite CPU (measured: docs/performance.md).
    raw.pragma('temp_store = MEMORY');
    // From here on, lock waits are asynchronous retries in the driver (see sqlite/driver.ts for
    // why SQLite's blocking busy handler is unsafe in a server).
    raw.pragma('busy_timeout = 0');
  } catch (e) {
    if (mustExist && !existsSync(path)) {
      throw notFound('store.not_found', `no SQLite database at ${resolve(path)}`);
    }
    throw invalidInput(
      'store.cannot_open',
      `cannot open SQLite database at ${path}: ${reasonOf(e)}`,
    );
  }

  const dialect = sqliteDialect(raw, busyTimeoutMs);
  const db = new Kysely<Schema>({ dialect });
  const feed = new LocalFeed();
  const ctx = new StoreContext(db, 'sqlite', feed, opts.clock, { syncWrite: dialect.writeSync });
  try {
    await migrate(ctx);
  } catch (e) {
    await db.destroy();
    throw e;
  }

  // Other processes' record writes: each bumps the change counter (migration 0010), so a new
  // value means "anything may have changed" (null). Not PRAGMA data_version: it changes on any
  // other connection's commit, and other workers' token requests commit hundreds of times a
  // second (replay claims, audit rows), which would drop every cache on every poll. Our own
  // record writes move the counter too, and are already announced in-process: the poll counts
  // them out (ctx.ownChanges), so only other processes' writes say "anything may have changed".
  const changeCount = async (): Promise<number> => {
    const r = await sql<{ seq: number }>`select seq from change_counter where id = 1`.execute(db);
    return r.rows[0]?.seq ?? 0;
  };
  let seen = await changeCount();
  let timer: NodeJS.Timeout | null = null;
  let polling = false;
  let closed = false;
  const poll = async () => {
    if (polling || closed) return;
    polling = true;
    try {
      const v = await changeCount();
      // Another process wrote if any value since the last poll is not one of our commits'.
      let foreign = v - seen > 10_000;
      for (let n = seen + 1; !foreign && n <= v; n++) foreign = !ctx.ownChanges.has(n);
      for (const n of ctx.ownChanges) if (n <= v) ctx.ownChanges.delete(n);
      seen = v;
      if (foreign) feed.emit(null);
    } catch {
      // A transient lock error: try again at the next tick.
    } finally {
      polling = false;
    }
  };
  feed.onActiveChange = (active) => {
    if (active && !timer && !closed) {
      timer = setInterval(() => void poll(), CHANGE_POLL_MS);
      timer.unref();
    } else if (!active && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  const checkpointer =
    opts.backgroundCheckpoints && path !== ':memory:'
      ? startCheckpointer(raw, path, dialect.hold, opts.walLimitBytes)
      : null;

  return kyselyStore(
    ctx,
    async () => {
      closed = true;
      if (timer) clearInterval(timer);
      timer = null;
      await checkpointer?.stop();
      await db.destroy();
    },
    classifySqlite,
  );
}
