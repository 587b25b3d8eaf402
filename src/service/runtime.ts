/**
 * Opening the services of a process: the store named by `--db` (or `$CERTMINT_DB`, or the
 * default SQLite file), the master key, and the composition root. The CLI's commands and `serve`
 * use this; embedders with a store of their own call `createServices` directly.
 */
import { join } from 'node:path';
import {
  keyFileFor,
  loadMasterKey,
  MASTER_KEY_FILE,
  type MasterKey,
} from '../crypto/master-key.ts';
import { type Clock, systemClock } from '../domain/clock.ts';
import { DEFAULT_SQLITE_PATH, openStore } from '../store/open.ts';
import type { Store } from '../store/ports.ts';
import { secretRequired, storedKeyCheck, verifyKeyCheck } from './cluster.ts';
import type { NoticeSettings } from './notices/index.ts';
import { createServices, type Services, type ServicesOptions } from './services.ts';

/** For embedders who build their own store and master key before `createServices`. */
export { keyFileFor, loadMasterKey, type MasterKey } from '../crypto/master-key.ts';
export {
  DEFAULT_SQLITE_PATH,
  FEED_TIMEOUT_MS,
  isPostgresUrl,
  type OpenStoreOptions,
  openStore,
} from '../store/open.ts';
export type { Store } from '../store/ports.ts';

export interface OpenServicesOptions {
  /** SQLite path or postgres:// URL; empty: `$CERTMINT_DB`, then ./.certmint/certmint.db. */
  db: string | undefined;
  /** Base URL clients use (the issuer prefix); commands that issue nothing may leave the default. */
  publicUrl?: string;
  /** `CERTMINT_SECRET`; without it a key file beside the database holds the master key. */
  secret?: string | undefined;
  /**
   * The folder for files kept beside the store (the generated master key). Default: the SQLite
   * file's folder, or ./.certmint for PostgreSQL.
   */
  filesDir?: string;
  /** SQLite: refuse to create a missing file (DomainError `store.not_found`). */
  mustExist?: boolean;
  /**
   * A long-running server: SQLite checkpoints move to a worker thread, the key loads now, and
   * the node's secret and public URL are checked against the store's (service/cluster.ts).
   */
  serving?: boolean;
  /**
   * Serving on SQLite: this process checkpoints the WAL from its own thread (default). False for
   * the primary of `serve --workers N`, which serves nothing: each worker checkpoints, and a
   * third thread watching the same file only did their work again (about 1 % of the node's CPU).
   */
  checkpoints?: boolean;
  /** Serving: make `publicUrl` the store's instead of refusing a different one. */
  changePublicUrl?: boolean;
  /** Days the audit trail is kept by the background purge (0: forever; default 90). */
  auditRetentionDays?: number;
  /** PostgreSQL: a silent change-feed listener is noticed within this long (default 3 s). */
  feedTimeoutMs?: number;
  clock?: Clock;
  /** Certificate expiry notices (thresholds, SMTP, webhook); none configured: none sent. */
  notices?: NoticeSettings;
  /** OAuth endpoint rate limits of this node (default: DEFAULT_RATE_LIMITS). */
  rateLimits?: ServicesOptions['rateLimits'];
  /** Demand server nonces in DPoP proofs (RFC 9449 §8). */
  dpopNonce?: boolean;
}

/**
 * A master key read on first use: most commands never decrypt anything, and must not create a
 * key file as a side effect. `load` also checks the key against the store's key-check value.
 */
function lazyMasterKey(load: () => MasterKey): MasterKey {
  let key: MasterKey | undefined;
  const get = (): MasterKey => {
    key ??= load();
    return key;
  };
  return {
    encrypt: (plaintext, context) => get().encrypt(plaintext, context),
    decrypt: (ciphertext, context) => get().decrypt(ciphertext, context),
    get source() {
      return get().source;
    },
    get kind() {
      return get().kind;
    },
  };
}

export async function openServices(opts: OpenServicesOptions): Promise<Services> {
  const clock = opts.clock ?? systemClock;
  const db = opts.db || process.env.CERTMINT_DB || DEFAULT_SQLITE_PATH;
  const keyFile =
    opts.filesDir === undefined ? keyFileFor(db) : join(opts.filesDir, MASTER_KEY_FILE);
  const hasSecret = opts.secret !== undefined && opts.secret !== '';
  // The store first: a command on a missing store must not leave a key file behind.
  const store = await openStore(db, {
    clock,
    backgroundCheckpoints: opts.serving === true && opts.checkpoints !== false,
    mustExist: opts.mustExist === true,
    ...(opts.feedTimeoutMs !== undefined && { feedTimeoutMs: opts.feedTimeoutMs }),
  });
  const load = (): MasterKey => {
    // A key file on PostgreSQL would be this host's alone: the other nodes could not decrypt.
    if (store.dialect === 'postgres' && !hasSecret) throw secretRequired();
    return loadMasterKey({ secret: opts.secret, keyFile });
  };
  // Until the services exist, the store is ours to close on any failure (a bad notice setting,
  // a refused secret); afterwards closing the services closes it.
  let services: Services;
  let check: string | null = null;
  // A server, or a secret given, is checked now (a bad one is a configuration error, whatever
  // the command); only the key file, which loading may create, waits for first use.
  const eager = opts.serving === true || hasSecret;
  try {
    if (!eager) check = await storedKeyCheck(store);
    const master = eager
      ? load()
      : lazyMasterKey(() => {
          const key = load();
          verifyKeyCheck(key, check);
          return key;
        });
    services = createServices(servicesOptions(opts, store, master, clock));
  } catch (e) {
    await store.close();
    throw e;
  }
  if (eager) {
    try {
      await services.checkCluster(
        opts.serving !== true ? 'skip' : opts.changePublicUrl === true ? 'change' : 'check',
      );
    } catch (e) {
      await services.close();
      throw e;
    }
  }
  return services;
}

function servicesOptions(opts: OpenServicesOptions, store: Store, master: MasterKey, clock: Clock) {
  return {
    store,
    master,
    clock,
    publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080',
    ownsStore: true,
    notices: opts.notices,
    ...(opts.rateLimits && { rateLimits: opts.rateLimits }),
    ...(opts.dpopNonce && { dpopNonce: true }),
    ...(opts.auditRetentionDays !== undefined && { auditRetentionDays: opts.auditRetentionDays }),
  };
}
