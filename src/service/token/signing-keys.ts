/**
 * Per-account token-signing keys: the active signer is created on first use (one wins when two
 * nodes race: store.signingKeys.rotate(onlyIfNone)), kept warm in memory, and re-read after a
 * change-feed event or `refreshMs` (so a rotation by another process is picked up).
 * Retired keys stay in the JWKS until the last token they signed has expired.
 */
import type { KeyObject } from 'node:crypto';
import { AccessTokenSigner } from '../../crypto/access-token.ts';
import type { MasterKey } from '../../crypto/master-key.ts';
import { type LoadedSigningKey, loadSigningKey, newSigningKey } from '../../crypto/signing-key.ts';
import { ACCESS_TOKEN_TTL_SECONDS } from '../../domain/access-token.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Store } from '../../store/ports.ts';

/** Keep a retired key published this long after it stopped signing (token lifetime + skew). */
const RETIRED_KEY_GRACE_MS = (ACCESS_TOKEN_TTL_SECONDS + 60) * 1000;

interface AccountKeys {
  signer: AccessTokenSigner | null;
  byKid: Map<string, LoadedSigningKey>;
  jwks: { keys: Record<string, unknown>[] };
  loadedAt: number;
}

export class SigningKeys {
  private readonly accounts = new Map<string, AccountKeys>();
  private readonly loading = new Map<string, Promise<AccountKeys>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly master: MasterKey,
    private readonly refreshMs = 60_000,
  ) {
    this.unsubscribe = store.changes.subscribe((accountId) => {
      if (accountId === null) this.accounts.clear();
      else this.accounts.delete(accountId);
    });
  }

  close(): void {
    this.unsubscribe();
  }

  /** The account's signer when its keys are in memory and fresh, else undefined: then `signer`. */
  peekSigner(accountId: string): AccessTokenSigner | undefined {
    return this.fresh(accountId)?.signer ?? undefined;
  }

  /** The key that signs new tokens; creates the account's first key if it has none. */
  async signer(accountId: string): Promise<AccessTokenSigner> {
    const cached = this.fresh(accountId);
    if (cached?.signer) return cached.signer;
    let keys = await this.load(accountId);
    if (!keys.signer) {
      await this.store.signingKeys.rotate(
        newSigningKey(accountId, this.clock.now(), this.master),
        true,
      );
      this.accounts.delete(accountId);
      // A read of its own, begun after the key exists: another request's read still in flight
      // may have begun before it (through `load`, it answered "no signer": a server error).
      keys = await this.read(accountId);
    }
    if (!keys.signer) throw new Error(`no signing key for account ${accountId}`);
    return keys.signer;
  }

  /** Public key by kid for verifying our own tokens (undefined: unknown or no longer published). */
  async publicKey(accountId: string, kid: string): Promise<KeyObject | undefined> {
    let keys = this.fresh(accountId) ?? (await this.load(accountId));
    if (!keys.byKid.has(kid) && this.clock.now() - keys.loadedAt > 1000) {
      // An unknown kid may be a key another node just created: re-read once (at most 1/s).
      this.accounts.delete(accountId);
      keys = await this.load(accountId);
    }
    return keys.byKid.get(kid)?.publicKey;
  }

  async jwks(accountId: string): Promise<{ keys: Record<string, unknown>[] }> {
    return (this.fresh(accountId) ?? (await this.load(accountId))).jwks;
  }

  /** New active key; the previous one keeps verifying until its tokens have expired. */
  async rotate(accountId: string): Promise<string> {
    const now = this.clock.now();
    const key = newSigningKey(accountId, now, this.master);
    await this.store.signingKeys.rotate(key, false);
    await this.store.signingKeys.purgeRetired(accountId, now - RETIRED_KEY_GRACE_MS);
    this.accounts.delete(accountId);
    return key.kid;
  }

  private fresh(accountId: string): AccountKeys | undefined {
    const k = this.accounts.get(accountId);
    return k && this.clock.now() - k.loadedAt < this.refreshMs ? k : undefined;
  }

  private load(accountId: string): Promise<AccountKeys> {
    let p = this.loading.get(accountId);
    if (!p) {
      p = this.read(accountId).finally(() => this.loading.delete(accountId));
      this.loading.set(accountId, p);
    }
    return p;
  }

  private async read(accountId: string): Promise<AccountKeys> {
    const now = this.clock.now();
    const records = await this.store.signingKeys.list(accountId);
    const byKid = new Map<string, LoadedSigningKey>();
    let signer: AccessTokenSigner | null = null;
    for (const r of records) {
      if (r.retiredAt !== null && now - r.retiredAt > RETIRED_KEY_GRACE_MS) continue;
      const loaded = loadSigningKey(r, this.master);
      byKid.set(r.kid, loaded);
      if (r.retiredAt === null && !signer)
        signer = new AccessTokenSigner(r.kid, loaded.privateKey());
    }
    const keys: AccountKeys = {
      signer,
      byKid,
      jwks: { keys: [...byKid.values()].map((k) => k.jwk) },
      loadedAt: now,
    };
    this.accounts.set(accountId, keys);
    return keys;
  }
}
