import { Migrator } from 'kysely';
import type { StoreContext } from '../context.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store } from '../ports.ts';
import type { Classify } from '../unavailable.ts';
import { accountStore } from './accounts.ts';
import { auditStore } from './audit.ts';
import { consoleStore } from './console.ts';
import { entityStore } from './entities.ts';
import { integrationStore } from './integrations.ts';
import { ledgerStore } from './ledger.ts';
import { Lifecycle } from './lifecycle.ts';
import { mappingStore } from './mappings.ts';
import { noticeStore } from './notices.ts';
import { replayStore } from './replay.ts';
import { revokedTokenStore } from './revoked-tokens.ts';
import { roleStore } from './roles.ts';
import { settingsStore } from './settings.ts';
import { signingKeyStore } from './signing-keys.ts';

/**
 * Kysely's Migrator introspects every table of the database (to see whether its bookkeeping
 * tables exist), resolving each by schema-qualified name. If another schema is dropped at that
 * moment (test suites sharing one database do that all the time), the lookup fails with
 * "schema … does not exist" (3F000), "relation … does not exist" (42P01) or "column … of
 * relation … does not exist" (42703) about the other schema. Nothing of ours was touched, so
 * trying again is safe.
 */
const RETRIED_PG_CODES = new Set(['3F000', '42P01', '42703']);

/** Brings the schema up to date. Concurrent openers serialize (PG advisory lock, SQLite write lock). */
export async function migrate(ctx: StoreContext): Promise<void> {
  const migrator = new Migrator({
    db: ctx.db,
    provider: migrationProvider(ctx.dialect),
    // Kysely looks for its bookkeeping tables in every schema unless told which one: with
    // several installations in one database, it would find another schema's and skip its own.
    ...(ctx.schema ? { migrationTableSchema: ctx.schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    const code = (error as { code?: unknown }).code;
    if (ctx.dialect === 'postgres' && typeof code === 'string' && RETRIED_PG_CODES.has(code)) {
      if (attempt < 5) continue;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migrating the ${ctx.dialect} database failed: ${reason}`, { cause: error });
  }
}

/**
 * The ports over one StoreContext; `close` is the adapter's own shutdown, run once, after
 * the calls in flight have finished (see lifecycle.ts).
 */
export function kyselyStore(
  ctx: StoreContext,
  close: () => Promise<void>,
  classify?: Classify,
): Store {
  const life = new Lifecycle(classify);
  let closing: Promise<void> | null = null;
  return {
    dialect: ctx.dialect,
    accounts: life.wrap(accountStore(ctx)),
    entities: life.wrap(entityStore(ctx)),
    roles: life.wrap(roleStore(ctx)),
    integrations: life.wrap(integrationStore(ctx)),
    mappings: life.wrap(mappingStore(ctx)),
    audit: life.wrap(auditStore(ctx)),
    replay: life.wrap(replayStore(ctx)),
    ledger: life.wrap(ledgerStore(ctx, auditStore(ctx))),
    signingKeys: life.wrap(signingKeyStore(ctx)),
    revokedTokens: life.wrap(revokedTokenStore(ctx)),
    changes: { subscribe: (listener) => ctx.feed.subscribe(listener) },
    console: life.wrap(consoleStore(ctx)),
    notices: life.wrap(noticeStore(ctx)),
    settings: life.wrap(settingsStore(ctx)),
    close: () => {
      closing ??= life.drain().then(close);
      return closing;
    },
  };
}
