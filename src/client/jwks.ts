import {
  type CryptoKey,
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { JwksError } from './errors.ts';
import { readBounded } from './http-body.ts';
import type { Clock } from './token-client.ts';
import type { FetchLike } from './token-request.ts';

export interface JwksBounds {
  /** Per fetch (headers and body). Default 5 000 ms. */
  timeoutMs?: number;
  /** Largest accepted key set. Default 64 KiB. */
  maxBytes?: number;
  /** No two fetches start closer than this, whatever triggers them. Default 30 000 ms. */
  minRefetchIntervalMs?: number;
  /** Keys older than this are fetched again on the next use. Default 600 000 ms. */
  maxAgeMs?: number;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * A JWKS cache over a fetcher of our own, with jose's createLocalJWKSet for key selection.
 * jose's createRemoteJWKSet was not enough: it has no body-size limit, and its cooldown only
 * follows a *successful* fetch, so a failing JWKS endpoint would be hit on every request.
 * Here every fetch attempt counts toward the minimum interval, and only one runs at a time.
 */
export class JwksCache {
  private set: LocalSet | undefined;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<LocalSet> | undefined;
  /**
   * Keys jose already selected and imported, by the token's encoded protected header (which
   * fixes alg and kid exactly), for the current set only. Bounded: headers are caller input.
   */
  private resolved = new Map<string, CryptoKey>();
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly minInterval: number;
  private readonly maxAge: number;

  constructor(
    readonly url: string,
    private readonly fetchFn: FetchLike,
    private readonly clock: Clock,
    bounds: JwksBounds = {},
  ) {
    this.timeoutMs = bounds.timeoutMs ?? 5_000;
    this.maxBytes = bounds.maxBytes ?? 64 * 1024;
    this.minInterval = bounds.minRefetchIntervalMs ?? 30_000;
    this.maxAge = bounds.maxAgeMs ?? 600_000;
  }

  /**
   * The hot path: the key already resolved for this encoded protected header from the current,
   * fresh set — no decoding and no await (verify() then costs what a bare jwtVerify costs).
   */
  cachedKey(encodedHeader: string): CryptoKey | undefined {
    if (this.set === undefined || this.clock.now() - this.fetchedAt >= this.maxAge) {
      return undefined;
    }
    return this.resolved.get(encodedHeader);
  }

  /**
   * Selects the key for a JWS header (jose's rules: kid, alg → kty, use), fetching if needed,
   * and remembers it under `encodedHeader` for cachedKey().
   */
  async getKey(header: JWSHeaderParameters, encodedHeader: string): Promise<CryptoKey> {
    let set = this.set;
    if (set === undefined || this.clock.now() - this.fetchedAt >= this.maxAge) {
      set = await this.refresh();
    }
    try {
      return this.remember(set, encodedHeader, await set(header));
    } catch (e) {
      // An unknown kid may be a freshly rotated key: fetch again, but at most once per interval,
      // or a stream of tokens with random kids would turn us into a JWKS hammer.
      if (!(e instanceof errors.JWKSNoMatchingKey) || !this.mayFetch()) throw e;
      set = await this.refresh();
      return this.remember(set, encodedHeader, await set(header));
    }
  }

  private remember(set: LocalSet, encodedHeader: string, key: CryptoKey): CryptoKey {
    // Only for the set still current: a refresh may have replaced it meanwhile.
    if (set === this.set) {
      if (this.resolved.size >= MAX_RESOLVED) this.resolved.clear();
      this.resolved.set(encodedHeader, key);
    }
    return key;
  }

  private mayFetch(): boolean {
    return this.inflight !== undefined || this.clock.now() - this.lastAttempt >= this.minInterval;
  }

  /** The current set after at most one fetch; keeps the old set if that fetch fails. */
  private refresh(): Promise<LocalSet> {
    if (this.inflight) return this.inflight;
    if (!this.mayFetch()) {
      if (this.set) return Promise.resolve(this.set);
      return Promise.reject(
        new JwksError(`JWKS fetch from ${this.url} failed recently; not retrying yet`),
      );
    }
    this.lastAttempt = this.clock.now();
    const p = this.load().then(
      (set) => {
        this.set = set;
        this.resolved = new Map();
        this.fetchedAt = this.clock.now();
        this.inflight = undefined;
        return set;
      },
      (e: unknown) => {
        this.inflight = undefined;
        // Stale keys beat no keys while the key endpoint is down; a first load has none.
        if (this.set) return this.set;
        throw e;
      },
    );
    this.inflight = p;
    return p;
  }

  private async load(): Promise<LocalSet> {
    let res: Response;
    try {
      res = await this.fetchFn(this.url, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new JwksError(`JWKS fetch from ${this.url} failed: ${describe(e)}`, e);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new JwksError(`JWKS fetch from ${this.url} answered HTTP ${res.status}`);
    }
    let text: string;
    try {
      text = await readBounded(res, this.maxBytes);
    } catch (e) {
      throw new JwksError(`JWKS from ${this.url} refused: ${describe(e)}`, e);
    }
    let jwks: unknown;
    try {
      jwks = JSON.parse(text);
    } catch (e) {
      throw new JwksError(`JWKS from ${this.url} is not JSON`, e);
    }
    try {
      return createLocalJWKSet(jwks as JSONWebKeySet);
    } catch (e) {
      throw new JwksError(`JWKS from ${this.url} is not a JSON Web Key Set`, e);
    }
  }
}

/** Real issuers use a handful of header forms; more means someone is varying them. */
const MAX_RESOLVED = 64;

function describe(e: unknown): string {
  if (e instanceof Error) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out';
    return e.cause instanceof Error ? `${e.message}: ${e.cause.message}` : e.message;
  }
  return String(e);
}
