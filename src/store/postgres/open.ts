/**
 * PostgreSQL adapter: a `pg` Pool behind Kysely's PostgresDialect, plus a LISTEN connection
 * for the change feed. Many certmint processes may share one database.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Clock } from '../../domain/clock.ts';
import { invalidInput } from '../../domain/errors.ts';
import { StoreContext } from '../context.ts';
import { LocalFeed } from '../feed.ts';
import { kyselyStore, migrate } from '../kysely/store.ts';
import { FEED_TIMEOUT_MS } from '../open.ts';
import type { Store } from '../ports.ts';
import type { Database as Schema } from '../schema.ts';
import { classifyPg } from '../unavailable.ts';
import { PgListener } from './listener.ts';

export interface PostgresOptions {
  clock: Clock;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** A silent change-feed listener counts as stale after this long (default FEED_TIMEOUT_MS). */
  feedTimeoutMs?: number;
}

/**
 * int8 (times in ms, bigserial ids, count(*)) as JS numbers: every value certmint stores is
 * far below 2^53. Per pool, not pg's global parser, so other pg users in the process are not
 * affected.
 */
const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** The driver's reason, also for errors that carry none in `message` (AggregateError of a refused dual-stack connect). */
function reasonOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) {
    return e.errors.map(reasonOf).join('; ');
  }
  if (e instanceof Error) {
    return e.message || (e as { code?: string }).code || e.name;
  }
  return String(e);
}

export async function openPostgres(url: string, opts: PostgresOptions): Promise<Store> {
  const where = redactUrl(url);
  const fail = (e: unknown) =>
    invalidInput(
      'store.cannot_connect',
      `cannot connect to PostgreSQL at ${where}: ${reasonOf(e)}`,
    );
  // application_name: so an operator can tell certmint's connections apart in pg_stat_activity.
  const config: pg.ClientConfig = {
    connectionString: url,
    types,
    connectionTimeoutMillis: 10_000,
    application_name: 'certmint',
  };
  let pool: pg.Pool;
  try {
    pool = new pg.Pool({
      ...config,
      max: opts.maxConnections ?? 10,
      // Idle pooled connections must not keep a finished CLI command (or test) running.
      allowExitOnIdle: true,
    });
  } catch (e) {
    throw fail(e);
  }
  // An idle client's connection dying (server restart) must not crash the process; the pool
  // replaces it on the next query.
  pool.on('error', () => undefined);
  // Backend process ids of this pool's connections: their notifications were already
  // announced locally after commit (StoreContext.write), so the listener skips them.
  const ownBackends = new Set<number>();
  const pidOf = (c: pg.PoolClient) => (c as unknown as { processID?: number | null }).processID;
  pool.on('connect', (c) => {
    const pid = pidOf(c);
    if (typeof pid === 'number') ownBackends.add(pid);
    // The pool listens for errors of idle clients only: a connection lost while a client is
    // checked out (a query running: the server went away) emits an 'error' nobody would hear,
    // an uncaught exception that ends the process. The query itself rejects with the same
    // error (classified as "unavailable"), so this listener has nothing left to do.
    c.on('error', () => undefined);
  });
  pool.on('remove', (c) => {
    const pid = pidOf(c);
    if (typeof pid === 'number') ownBackends.delete(pid);
  });
  let schema: string;
  try {
    const client = await pool.connect();
    try {
      const r = await client.query<{ s: string | null }>('select current_schema() as s');
      const s = r.rows[0]?.s;
      if (!s) {
        throw new Error('no schema to create tables in: set search_path to an existing schema');
      }
      schema = s;
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw fail(e);
  }

  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  const feed = new LocalFeed();
  const ctx = new StoreContext(db, 'postgres', feed, opts.clock, { schema });
  const listener = new PgListener(config, feed, ctx.channel, (pid) => ownBackends.has(pid), {
    timeoutMs: opts.feedTimeoutMs ?? FEED_TIMEOUT_MS,
    notify: async (channel, payload) => {
      await pool.query('select pg_notify($1, $2)', [channel, payload]);
    },
  });
  try {
    await migrate(ctx);
    await listener.start();
  } catch (e) {
    await listener.close();
    await db.destroy();
    if (e instanceof Error && e.message.startsWith('migrating')) throw e;
    throw fail(e);
  }

  return kyselyStore(
    ctx,
    async () => {
      // The sockets are unref'd (idle pool clients, the listener), so nothing would keep the
      // event loop alive while they say goodbye: hold it open until the close completes, or a
      // caller awaiting close() could see the process exit under it.
      const keepAlive = setInterval(() => undefined, 1_000);
      try {
        await listener.close();
        await db.destroy();
      } finally {
        clearInterval(keepAlive);
      }
    },
    classifyPg,
  );
}
