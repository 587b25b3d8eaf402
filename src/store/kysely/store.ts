import { Migrator } from 'kysely';
import type { StoreContext } from '../context.ts';
import { migrationProvider } from '../migrations/index.ts';
import type { Store } from '../ports.ts';
import { accountStore } from './accounts.ts';
import { auditStore } from './audit.ts';
import { consoleStore } from './console.ts';
import { entityStore } from './entities.ts';
import { integrationStore } from './integrations.ts';
import { mappingStore } from './mappings.ts';
import { replayStore } from './replay.ts';
import { revokedTokenStore } from './revoked-tokens.ts';
import { roleStore } from './roles.ts';
import { signingKeyStore } from './signing-keys.ts';

/** Brings the schema up to date. Concurrent openers serialize (PG advisory lock, SQLite write lock). */
export async function migrate(ctx: StoreContext): Promise<void> {
  const migrator = new Migrator({ db: ctx.db, provider: migrationProvider(ctx.dialect) });
  const { error } = await migrator.migrateToLatest();
  if (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migrating the ${ctx.dialect} database failed: ${reason}`, { cause: error });
  }
}

/** The ports over one StoreContext; `close` is the adapter's own shutdown. */
export function kyselyStore(ctx: StoreContext, close: () => Promise<void>): Store {
  let closing: Promise<void> | null = null;
  return {
    dialect: ctx.dialect,
    accounts: accountStore(ctx),
    entities: entityStore(ctx),
    roles: roleStore(ctx),
    integrations: integrationStore(ctx),
    mappings: mappingStore(ctx),
    audit: auditStore(ctx),
    replay: replayStore(ctx),
    signingKeys: signingKeyStore(ctx),
    revokedTokens: revokedTokenStore(ctx),
    changes: { subscribe: (listener) => ctx.feed.subscribe(listener) },
    console: consoleStore(ctx),
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
