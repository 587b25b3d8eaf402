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
import type { NoticeSettings } from './notices/index.ts';
import { createServices, type Services, type ServicesOptions } from './services.ts';

/** For embedders who build their own store and master key before `createServices`. */
export { keyFileFor, loadMasterKey, type MasterKey } from '../crypto/master-key.ts';
export {
  DEFAULT_SQLITE_PATH,
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
  /** A long-running server: SQLite checkpoints move to a worker thread, the key loads now. */
  serving?: boolean;
  clock?: Clock;
  /** Certificate expiry notices (thresholds, SMTP, webhook); none configured: none sent. */
  notices?: NoticeSettings;
  /** OAuth endpoint rate limits of this node (default: DEFAULT_RATE_LIMITS). */
  rateLimits?: ServicesOptions['rateLimits'];
}

/**
 * A master key read on first use: most commands never decrypt anything, and must not create a
 * key file as a side effect.
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
  };
}

export async function openServices(opts: OpenServicesOptions): Promise<Services> {
  const clock = opts.clock ?? systemClock;
  const db = opts.db || process.env.CERTMINT_DB || DEFAULT_SQLITE_PATH;
  const keyFile =
    opts.filesDir === undefined ? keyFileFor(db) : join(opts.filesDir, MASTER_KEY_FILE);
  const load = () => loadMasterKey({ secret: opts.secret, keyFile });
  // The store first: a command on a missing store must not leave a key file behind.
  const store = await openStore(db, {
    clock,
    backgroundCheckpoints: opts.serving === true,
    mustExist: opts.mustExist === true,
  });
  let master: MasterKey;
  try {
    // A secret given is checked now (a bad one is a configuration error, whatever the
    // command); only the key file, which loading may create, waits for first use.
    const eager = opts.serving === true || (opts.secret !== undefined && opts.secret !== '');
    master = eager ? load() : lazyMasterKey(load);
  } catch (e) {
    await store.close();
    throw e;
  }
  try {
    return createServices({
      store,
      master,
      clock,
      publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080',
      ownsStore: true,
      notices: opts.notices,
      ...(opts.rateLimits && { rateLimits: opts.rateLimits }),
    });
  } catch (e) {
    // A bad notice setting: nothing may stay open behind the error.
    await store.close();
    throw e;
  }
}
