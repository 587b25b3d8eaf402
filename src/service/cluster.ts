/**
 * What every node of one store must agree on, checked when a node starts, against values kept
 * in the store itself (the `settings` table):
 *
 * - The signing-key secret. Token-signing keys are encrypted under a key derived from
 *   CERTMINT_SECRET (or a key file beside an SQLite store). A node with another secret would
 *   create keys no other node can decrypt, and fail on keys the others created. The first node
 *   stores a key-check value (a fixed label encrypted under its key, AES-GCM: only the same key
 *   decrypts it); every later node must decrypt it. On a store that already has signing keys
 *   but no check yet (made before the check existed), the newest key must decrypt instead.
 * - The public URL (the issuer base). A token names its issuer; a node with another public
 *   URL refuses every token the others issued, and they refuse its tokens. The first serving
 *   node stores its URL; a node with another one is refused until the store's is changed
 *   deliberately (`change`, `certmint serve --change-public-url`).
 * - PostgreSQL needs CERTMINT_SECRET: a key file would be this host's alone.
 */
import type { MasterKey } from '../crypto/master-key.ts';
import { loadSigningKey } from '../crypto/signing-key.ts';
import type { Clock } from '../domain/clock.ts';
import { conflict, type DomainError, invalidInput } from '../domain/errors.ts';
import type { Store } from '../store/ports.ts';

/** Setting names (`settings.name`). */
export const KEY_CHECK_SETTING = 'signing_key_check';
export const PUBLIC_URL_SETTING = 'public_url';

const KEY_CHECK_LABEL = 'certmint signing-key secret check v1';
const KEY_CHECK_CONTEXT = 'certmint|key-check';

/** Check the public URL against the store's (default), make it the store's, or leave it. */
export type PublicUrlCheck = 'check' | 'change' | 'skip';

export interface ClusterDeps {
  store: Pick<Store, 'settings' | 'signingKeys' | 'dialect'>;
  master: MasterKey;
  clock: Clock;
  /** This node's public URL, without a trailing slash. */
  publicUrl: string;
}

export interface ClusterCheck {
  /** The store's public URL before `change` replaced it (null: it was this one, or none). */
  publicUrlChangedFrom: string | null;
}

export function secretRequired(): DomainError {
  return invalidInput(
    'cluster.secret_required',
    'a PostgreSQL store needs CERTMINT_SECRET: every node sharing the database must encrypt token-signing keys with the same secret, and a generated key file would be this host’s alone.',
    {
      cli: 'Set CERTMINT_SECRET (or --secret-file <file>) to the secret the other nodes use (the first node: 32 or more random characters).',
    },
  );
}

function secretMismatch(master: MasterKey): DomainError {
  const what =
    master.source === 'CERTMINT_SECRET'
      ? 'CERTMINT_SECRET is not the secret'
      : `the key file ${master.source} is not the key`;
  const todo =
    master.source === 'CERTMINT_SECRET'
      ? 'start this node with the same CERTMINT_SECRET (or --secret-file) as the other nodes'
      : 'put the store’s own key file back, or start with the CERTMINT_SECRET the store was set up with';
  return conflict(
    'cluster.secret_mismatch',
    `${what} this store’s token-signing keys are encrypted with (this node could not sign or verify its tokens): ${todo}.`,
  );
}

function publicUrlMismatch(mine: string, stored: string): DomainError {
  return conflict(
    'cluster.public_url_mismatch',
    `this node’s public URL ${mine} differs from the store’s, ${stored}, under which its other nodes issue tokens (each would refuse the other’s tokens).`,
    {
      cli: `Start it with --public-url ${stored} (or CERTMINT_PUBLIC_URL), or make ${mine} the store’s with --change-public-url and restart every other node with it.`,
    },
  );
}

/** True when `master` is the key that made `check`. */
function opens(master: MasterKey, check: string): boolean {
  try {
    return master.decrypt(check, KEY_CHECK_CONTEXT) === KEY_CHECK_LABEL;
  } catch {
    return false;
  }
}

/** The key-check value stored for the store, if any (read it before loading a key lazily). */
export const storedKeyCheck = (store: Pick<Store, 'settings'>): Promise<string | null> =>
  store.settings.get(KEY_CHECK_SETTING);

/** Throws `cluster.secret_mismatch` unless `master` made the stored `check` (none: passes). */
export function verifyKeyCheck(master: MasterKey, check: string | null): void {
  if (check !== null && !opens(master, check)) throw secretMismatch(master);
}

async function checkSecret(deps: ClusterDeps): Promise<void> {
  const { store, master } = deps;
  if (store.dialect === 'postgres' && master.kind === 'key-file') throw secretRequired();
  let check = await storedKeyCheck(store);
  if (check === null) {
    // A store from before the check: its newest signing key must be ours before we vouch.
    const newest = await store.signingKeys.newest();
    if (newest !== null) {
      try {
        loadSigningKey(newest, master).privateKey();
      } catch {
        throw secretMismatch(master);
      }
    }
    const mine = master.encrypt(KEY_CHECK_LABEL, KEY_CHECK_CONTEXT);
    // Two first nodes at once: one value wins, and the other node checks against it.
    check = await store.settings.putIfAbsent(KEY_CHECK_SETTING, mine, deps.clock.now());
  }
  verifyKeyCheck(master, check);
}

async function checkPublicUrl(deps: ClusterDeps, how: PublicUrlCheck): Promise<string | null> {
  const { store, publicUrl, clock } = deps;
  if (how === 'skip') return null;
  if (how === 'change') {
    const before = await store.settings.get(PUBLIC_URL_SETTING);
    await store.settings.put(PUBLIC_URL_SETTING, publicUrl, clock.now());
    return before !== null && before !== publicUrl ? before : null;
  }
  const stored = await store.settings.putIfAbsent(PUBLIC_URL_SETTING, publicUrl, clock.now());
  if (stored !== publicUrl) throw publicUrlMismatch(publicUrl, stored);
  return null;
}

/**
 * The start-up check of a node: its secret against the store's key-check value (stored by the
 * first node), then its public URL against the store's (`how`, default `check`). Throws a
 * DomainError whose message says what to do; changes nothing when it throws on the secret.
 */
export async function checkCluster(
  deps: ClusterDeps,
  how: PublicUrlCheck = 'check',
): Promise<ClusterCheck> {
  await checkSecret(deps);
  return { publicUrlChangedFrom: await checkPublicUrl(deps, how) };
}
