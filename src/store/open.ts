import { type Clock, systemClock } from '../domain/clock.ts';
import type { Store } from './ports.ts';

/** Default of `feedTimeoutMs`: a silent PostgreSQL listener is noticed within this long. */
export const FEED_TIMEOUT_MS = 3000;

/** Where the embedded database lives when neither `--db` nor `$CERTMINT_DB` says otherwise. */
export const DEFAULT_SQLITE_PATH = './.certmint/certmint.db';

export interface OpenStoreOptions {
  /** Time source for the store's own decisions (replay expiry). Default: the system clock. */
  clock?: Clock;
  /**
   * SQLite only: checkpoint the WAL from a worker thread instead of inside request commits.
   * For serving processes (`certmint serve`); short-lived commands keep SQLite's default.
   */
  backgroundCheckpoints?: boolean;
  /**
   * SQLite only: refuse to create the file. A missing one is a DomainError 'store.not_found'
   * (kind not_found) naming its absolute path. A PostgreSQL database always exists already.
   */
  mustExist?: boolean;
  /** SQLite with background checkpoints: the bound of the WAL file (default 64 MB). */
  walLimitBytes?: number;
  /**
   * PostgreSQL: the longest the change-feed listener may stay silent before it counts as stale
   * (its caches are dropped and it reconnects); default FEED_TIMEOUT_MS (3 s).
   */
  feedTimeoutMs?: number;
}

/** True for a `postgres://` or `postgresql://` URL. */
export const isPostgresUrl = (db: string): boolean => /^postgres(?:ql)?:\/\//i.test(db);

/**
 * Opens the store named by `dbOption` (a CLI `--db`): a `postgres://` / `postgresql://` URL, or
 * an SQLite file path (`:memory:` for a private in-memory database). Empty or undefined falls
 * back to `$CERTMINT_DB`, then `./.certmint/certmint.db` (its folder is created unless
 * `mustExist`). Only the adapter that is used gets loaded (a CLI command pays for one driver,
 * not both). Runs pending
 * migrations before resolving. Throws a DomainError ('store.cannot_open' /
 * 'store.cannot_connect', kind invalid_input) with a one-line reason when the database cannot
 * be reached; the message never contains the URL's password.
 */
export async function openStore(
  dbOption: string | undefined,
  opts: OpenStoreOptions = {},
): Promise<Store> {
  const target = dbOption || process.env.CERTMINT_DB || DEFAULT_SQLITE_PATH;
  const clock = opts.clock ?? systemClock;
  if (isPostgresUrl(target)) {
    const { openPostgres } = await import('./postgres/open.ts');
    return openPostgres(target, {
      clock,
      ...(opts.feedTimeoutMs !== undefined && { feedTimeoutMs: opts.feedTimeoutMs }),
    });
  }
  const { openSqlite } = await import('./sqlite/open.ts');
  return openSqlite(target, {
    clock,
    backgroundCheckpoints: opts.backgroundCheckpoints === true,
    mustExist: opts.mustExist === true,
    ...(opts.walLimitBytes !== undefined && { walLimitBytes: opts.walLimitBytes }),
  });
}
