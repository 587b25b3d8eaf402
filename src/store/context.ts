/**
 * What every port implementation shares: the Kysely instance, the dialect's few differences,
 * and `write`, the one way to run a write transaction (it publishes changes on commit).
 */
import { type CompiledQuery, type Kysely, type QueryResult, sql, type Transaction } from 'kysely';
import type { Clock } from '../domain/clock.ts';
import type { LocalFeed } from './feed.ts';
import type { Database, DbBool } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** PostgreSQL NOTIFY channel of the change feed (payload: the account id). */
export const CHANGES_CHANNEL = 'certmint_changes';

/**
 * The channel of an installation in `schema`. NOTIFY channels are per database, not per schema:
 * installations sharing a database in separate schemas (test suites do) get their own channel,
 * so they never invalidate each other's caches. The default schema keeps the plain name.
 */
export const changesChannel = (schema: string): string =>
  schema === 'public' ? CHANGES_CHANNEL : `${CHANGES_CHANNEL}_${schema}`;

export type Tx = Transaction<Database>;

/** Runs one compiled query inside a SyncWrite transaction. */
export type SyncRun = <R>(query: CompiledQuery) => QueryResult<R>;

/** A write transaction of synchronous statements (SQLite: sqlite/driver.ts writeSync). */
export type SyncWrite = <T>(fn: (run: SyncRun) => T) => Promise<T>;

/** Records which accounts a transaction changed; published only if it commits. */
export type Touch = (accountId: string) => void;

export class StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  readonly feed: LocalFeed;
  readonly clock: Clock;
  /** PostgreSQL: the schema the tables live in (the connection's current_schema). */
  readonly schema: string | undefined;
  /** PostgreSQL: where writes NOTIFY (see changesChannel). */
  readonly channel: string;
  /** SQLite: a write transaction of synchronous statements (sqlite/driver.ts), for hot paths. */
  readonly syncWrite: SyncWrite | null;
  /** SQLite: change-counter values this instance's commits set (its poll skips them, sqlite/open.ts). */
  readonly ownChanges = new Set<number>();

  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    feed: LocalFeed,
    clock: Clock,
    opts: { schema?: string; syncWrite?: SyncWrite } = {},
  ) {
    this.db = db;
    this.dialect = dialect;
    this.feed = feed;
    this.clock = clock;
    this.schema = opts.schema;
    this.channel = changesChannel(opts.schema ?? 'public');
    this.syncWrite = opts.syncWrite ?? null;
  }

  /** Boolean as the column stores it: PostgreSQL boolean, SQLite 0/1 (better-sqlite3 rejects JS booleans). */
  bool(v: boolean): DbBool {
    if (this.dialect === 'postgres') return v;
    return v ? 1 : 0;
  }

  /**
   * Runs `fn` in a transaction (SQLite: BEGIN IMMEDIATE, see sqlite/driver.ts). Accounts passed
   * to `touch` are announced: on PostgreSQL by pg_notify inside the transaction, which the
   * server delivers to every listener only on commit; on SQLite by bumping the change counter
   * other processes poll; then, after commit, to this process's subscribers directly (so a
   * node sees its own writes without waiting for the round trip).
   */
  async write<T>(fn: (trx: Tx, touch: Touch) => Promise<T>): Promise<T> {
    const touched = new Set<string>();
    let own: number | null = null;
    const result = await this.db.transaction().execute(async (trx) => {
      const r = await fn(trx, (accountId) => touched.add(accountId));
      if (this.dialect === 'postgres') {
        for (const a of touched) {
          await sql`select pg_notify(${this.channel}, ${a})`.execute(trx);
        }
      } else {
        // Other processes on this file poll the counter (sqlite/open.ts). Every write
        // transaction bumps it, touched or not: a write that forgot to touch still reaches
        // other processes' caches.
        const bumped = await sql<{
          seq: number;
        }>`update change_counter set seq = seq + 1 where id = 1 returning seq`.execute(trx);
        own = bumped.rows[0]?.seq ?? null;
      }
      return r;
    });
    // Recorded once committed, never before: a number recorded for a write that did not commit
    // would hide another process's write from sqlite/open.ts's poll (a stale cache); one
    // recorded late at worst costs a spare invalidation.
    if (own !== null) {
      if (this.ownChanges.size >= 10_000) this.ownChanges.clear();
      this.ownChanges.add(own);
    }
    for (const a of touched) this.feed.emit(a);
    return result;
  }

  /** Lock a row for the rest of the transaction on PostgreSQL; SQLite's BEGIN IMMEDIATE already holds the whole database. */
  get forUpdate(): boolean {
    return this.dialect === 'postgres';
  }
}

/**
 * Which unique constraint a driver error violated, if any: PostgreSQL reports SQLSTATE 23505
 * with the constraint name; SQLite reports SQLITE_CONSTRAINT_PRIMARYKEY/UNIQUE with the columns
 * in the message ("UNIQUE constraint failed: mappings.public_key_id").
 */
export function uniqueViolation(e: unknown): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const err = e as { code?: unknown; constraint?: unknown; message?: unknown };
  if (err.code === '23505') return typeof err.constraint === 'string' ? err.constraint : '';
  if (
    (err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || err.code === 'SQLITE_CONSTRAINT_UNIQUE') &&
    typeof err.message === 'string'
  ) {
    return err.message.replace(/^UNIQUE constraint failed: /, '');
  }
  return null;
}
