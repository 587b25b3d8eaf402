/**
 * Store factories for tests on every backend. One suite, every adapter:
 *
 *   import { describeEachStore } from '../support/stores.ts';
 *   describeEachStore('my service', (f) => {
 *     it('works', async () => {
 *       const store = await f.open();            // fresh, empty, migrated database
 *       try { ... } finally { await store.close(); }  // close also deletes the database
 *     });
 *   });
 *
 * A suite about something other than storage, which needs a store but not every backend, uses
 * `sqliteStores` (or `postgresStores()`, null without CERTMINT_TEST_PG_URL: skip with
 * PG_SKIP_REASON). SQLite: a fresh temporary file per `open()`, deleted by `close()`.
 * PostgreSQL: only when CERTMINT_TEST_PG_URL is set; per `open()` a migrated, empty schema of its
 * own in the database `certmint_test` (created on first use), emptied for reuse by `close()`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'node:test';
import pg from 'pg';
import type { Clock } from '../../src/domain/clock.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { eventually } from './wait.ts';

export const PG_SKIP_REASON = 'PostgreSQL suite skipped: set CERTMINT_TEST_PG_URL';

export interface OpenOptions {
  clock?: Clock;
}

/** A test Store, plus where its database is (to open more stores on it, or inspect it). */
export type TestStore = Store & {
  /** The SQLite file or the PostgreSQL URL (its search_path pins the test schema). */
  readonly location: string;
};

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** A Store on a fresh, empty, migrated database; its `close()` also deletes the database. */
  open(opts?: OpenOptions): Promise<TestStore>;
  /**
   * Two independent Store instances (separate connections, as two processes would have) on one
   * fresh database; the database is deleted when both are closed.
   */
  openPair(opts?: OpenOptions): Promise<[TestStore, TestStore]>;
}

/** Opens `count` stores on one fresh database, deleting it after the last one closes. */
type OpenMany = (count: number, opts: OpenOptions) => Promise<TestStore[]>;

function withCleanup(stores: Store[], location: string, cleanup: () => Promise<void>): TestStore[] {
  let open = stores.length;
  return stores.map((s) => {
    let closing: Promise<void> | null = null;
    const close = () => {
      closing ??= s.close().then(async () => {
        open -= 1;
        if (open === 0) await cleanup();
      });
      return closing;
    };
    return { ...s, close, location };
  });
}

const openSqliteMany: OpenMany = async (count, opts) => {
  const dir = mkdtempSync(join(tmpdir(), 'certmint-store-'));
  const file = join(dir, 'certmint.db');
  const stores: Store[] = [];
  for (let i = 0; i < count; i++) stores.push(await openStore(file, opts));
  return withCleanup(stores, file, async () => rmSync(dir, { recursive: true, force: true }));
};

/** Shared by every test process; each store gets its own schema in it (cheap to create and drop). */
const PG_TEST_DATABASE = 'certmint_test';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * Creates the shared test database once. Test files run as parallel processes: each takes an
 * advisory lock on the base database around check-then-create, so a second process waits for
 * the first one's CREATE DATABASE to commit instead of racing it (the lock is the event to wait
 * for; it is released at unlock or when the connection ends).
 */
let testDatabase: Promise<string> | null = null;
function ensureTestDatabase(baseUrl: string): Promise<string> {
  testDatabase ??= (async () => {
    const url = new URL(baseUrl);
    url.pathname = `/${PG_TEST_DATABASE}`;
    await withClient(baseUrl, async (c) => {
      await c.query('select pg_advisory_lock(hashtext($1))', [PG_TEST_DATABASE]);
      try {
        const found = await c.query('select 1 from pg_database where datname = $1', [
          PG_TEST_DATABASE,
        ]);
        if (found.rowCount === 0) await c.query(`CREATE DATABASE ${PG_TEST_DATABASE}`);
      } finally {
        await c.query('select pg_advisory_unlock(hashtext($1))', [PG_TEST_DATABASE]);
      }
    });
    return url.toString();
  })();
  return testDatabase;
}

/**
 * Schemas this process migrated and used, for the next `open()` to empty and use again. Opening
 * a store on a new schema runs every migration (~250 ms); emptying a used one with TRUNCATE
 * (every table but Kysely's migration bookkeeping, identities restarted) and opening on it takes
 * a fifth of that, and the store cannot tell the difference: same tables, no rows, ids from 1.
 * A schema is handed out again only once every store on it is closed; whatever is left when
 * the process ends is dropped.
 */
const usedSchemas: string[] = [];
/** False if a fresh migration ever leaves rows behind: emptying would then not be "fresh". */
let reuseIsFresh = true;

async function tablesOf(c: pg.Client, schema: string): Promise<string[]> {
  const r = await c.query<{ t: string }>(
    "select tablename as t from pg_tables where schemaname = $1 and tablename not like 'kysely\\_%'",
    [schema],
  );
  return r.rows.map((row) => `"${schema}"."${row.t}"`);
}

async function isEmpty(dbUrl: string, schema: string): Promise<boolean> {
  return withClient(dbUrl, async (c) => {
    const tables = await tablesOf(c, schema);
    if (tables.length === 0) return true;
    const counts = tables.map((t) => `(select count(*) from ${t})`).join(' + ');
    const r = await c.query<{ n: string }>(`select ${counts} as n`);
    return r.rows[0]?.n === '0';
  });
}

/** Empties a used schema; null (and the schema dropped) if that fails. */
async function emptied(dbUrl: string, schema: string): Promise<string | null> {
  try {
    await withClient(dbUrl, async (c) => {
      // The closed stores' LISTEN connections (their statement names the schema's channel) end
      // on the server a moment after the client leaves: the next test on this schema must not
      // see them (the lost-connection test counts the listeners).
      await eventually(
        `the listeners of the closed stores on ${schema} have gone`,
        async () => {
          const r = await c.query(
            'select 1 from pg_stat_activity where pid <> pg_backend_pid() and position($1 in query) > 0',
            [schema],
          );
          return r.rowCount === 0;
        },
        { timeoutMs: 5000, everyMs: 10 },
      );
      const tables = await tablesOf(c, schema);
      if (tables.length > 0) {
        await c.query(`TRUNCATE TABLE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
      }
    });
    return schema;
  } catch {
    await dropSchema(dbUrl, schema);
    return null;
  }
}

const dropSchema = (dbUrl: string, schema: string) =>
  withClient(dbUrl, async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

let dropUsedAtExit = false;
function registerDropAtExit(dbUrl: string): void {
  if (dropUsedAtExit) return;
  dropUsedAtExit = true;
  process.once('beforeExit', () => {
    const all = usedSchemas.splice(0);
    void Promise.all(all.map((schema) => dropSchema(dbUrl, schema).catch(() => undefined)));
  });
}

/**
 * PostgreSQL: a migrated, empty schema in the shared database `certmint_test` per call (a new
 * `t_<random>` one, or one this process used and now empties), the store's connections pinned
 * to it with `search_path` (the URL's `options`). Isolation is complete: tables, migrations
 * bookkeeping and the change-feed channel are all per schema.
 */
function openPostgresMany(baseUrl: string): OpenMany {
  return async (count, opts) => {
    const dbUrl = await ensureTestDatabase(baseUrl);
    registerDropAtExit(dbUrl);
    const used = usedSchemas.pop();
    const reused = used !== undefined && reuseIsFresh ? await emptied(dbUrl, used) : null;
    if (used !== undefined && !reuseIsFresh) await dropSchema(dbUrl, used);
    const schema = reused ?? `t_${randomBytes(8).toString('hex')}`;
    if (reused === null) await withClient(dbUrl, (c) => c.query(`CREATE SCHEMA ${schema}`));
    const url = new URL(dbUrl);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const stores: Store[] = [];
    try {
      for (let i = 0; i < count; i++) stores.push(await openStore(url.toString(), opts));
      // Checked on every new schema: if migrations ever seed rows, stop reusing schemas.
      if (reused === null && !(await isEmpty(dbUrl, schema))) reuseIsFresh = false;
    } catch (e) {
      for (const s of stores) await s.close();
      await dropSchema(dbUrl, schema);
      throw e;
    }
    return withCleanup(stores, url.toString(), async () => {
      usedSchemas.push(schema);
    });
  };
}

function factory(name: StoreFactory['name'], many: OpenMany): StoreFactory {
  return {
    name,
    open: async (opts = {}) => {
      const [s] = await many(1, opts);
      if (!s) throw new Error('no store opened');
      return s;
    },
    openPair: async (opts = {}) => {
      const [a, b] = await many(2, opts);
      if (!a || !b) throw new Error('no store opened');
      return [a, b];
    },
  };
}

/** The SQLite factory, for suites that need a store but are not about storage. */
export const sqliteStores: StoreFactory = factory('sqlite', openSqliteMany);

let postgres: StoreFactory | null | undefined;
/** The PostgreSQL factory, or null when CERTMINT_TEST_PG_URL is not set. */
export function postgresStores(): StoreFactory | null {
  if (postgres === undefined) {
    const pgUrl = process.env.CERTMINT_TEST_PG_URL;
    postgres = pgUrl ? factory('postgres', openPostgresMany(pgUrl)) : null;
  }
  return postgres;
}

/**
 * The storage conformance idiom: `describe(`${title} [backend]`, …)` once per backend, SQLite
 * always and PostgreSQL when CERTMINT_TEST_PG_URL is set; without it the PostgreSQL block is
 * reported as skipped (with the reason) instead of silently missing.
 */
export function describeEachStore(title: string, body: (f: StoreFactory) => void): void {
  describe(`${title} [sqlite]`, () => body(sqliteStores));
  const postgresFactory = postgresStores();
  if (postgresFactory) describe(`${title} [postgres]`, () => body(postgresFactory));
  else describe(`${title} [postgres]`, { skip: PG_SKIP_REASON }, () => {});
}
