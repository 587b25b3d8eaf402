/**
 * Opening the services of a process: the store named by `--db` (or `$CERTMINT_DB`, or the
 * default SQLite file), the master key, and the composition root. The CLI's commands and `serve`
 * use this; embedders with a store of their own call `createServices` directly.
 */
import { keyFileFor, loadMasterKey, type MasterKey } from '../crypto/master-key.ts';
import { type Clock, systemClock } from '../domain/clock.ts';
import { DEFAULT_SQLITE_PATH, openStore } from '../store/open.ts';
import { createServices, type Services } from './services.ts';

export interface OpenServicesOptions {
  /** SQLite path or postgres:// URL; empty: `$CERTMINT_DB`, then ./.certmint/certmint.db. */
  db: string | undefined;
  /** Base URL clients use (the issuer prefix); commands that issue nothing may leave the default. */
  publicUrl?: string;
  /** `CERTMINT_SECRET`; without it a key file beside the database holds the master key. */
  secret?: string | undefined;
  /** A long-running server: SQLite checkpoints move to a worker thread, the key loads now. */
  serving?: boolean;
  clock?: Clock;
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
  const load = () => loadMasterKey({ secret: opts.secret, keyFile: keyFileFor(db) });
  const master = opts.serving ? load() : lazyMasterKey(load);
  const store = await openStore(db, { clock, backgroundCheckpoints: opts.serving === true });
  return createServices({
    store,
    master,
    clock,
    publicUrl: opts.publicUrl ?? 'http://127.0.0.1:8080',
    ownsStore: true,
  });
}
