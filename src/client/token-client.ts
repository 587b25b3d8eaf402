import { createAssertion, type ScopeFormat } from './assertion.ts';
import { type DpopOption, DpopProver } from './dpop.ts';
import { ConfigurationError } from './errors.ts';
import { type AssertionAlg, loadSigningKey, type PrivateKeyInput } from './keys.ts';
import { type RetryOptions, retryPolicy } from './retry.ts';
import { type AutoRotateOptions, AutoRotation, type Credential } from './rotation/auto-rotate.ts';
import { type ClientTlsOptions, clientTlsAgent, httpsFetch } from './tls-fetch.ts';
import { type FetchLike, requestToken, type TokenResponse } from './token-request.ts';
import { auditHint, resolveTokenUrl } from './token-url.ts';

/** Time source in milliseconds since the epoch; inject a fixed one in tests. */
export interface Clock {
  now(): number;
}

interface CommonOptions {
  /** The integration record's client id: the assertion's `iss`. */
  clientId: string;
  /** The certificate id shown when the certificate was mapped: the assertion's `kid`. */
  certificateId: string;
  /** PEM text, a node KeyObject, or a private JWK. Never logged. */
  privateKey: PrivateKeyInput;
  /** Default: from the key (EC curve → ES*, RSA → PS256). Must fit the key when given. */
  alg?: AssertionAlg;
  /** e.g. ['restlets', 'rest_webservices']. */
  scopes: readonly string[];
  /** How `scope` is sent in the assertion: JSON array (default, Oracle's samples) or comma string. */
  scopeFormat?: ScopeFormat;
  /** The assertion's `aud`. Default: the token URL. */
  audience?: string;
  /** `exp − iat` of each assertion, in seconds. Default 300; at most 3 599. */
  assertionLifetimeSeconds?: number;
  clock?: Clock;
  /** Used for token requests and for `client.fetch`. Default: the global fetch. */
  fetch?: FetchLike;
  /**
   * Mutual TLS with the mapped certificate (RFC 8705): token requests and `client.fetch` go
   * over node:https presenting it, so a server that binds tokens binds them to it (and the
   * calls present it again). Not with `fetch` (give one or the other) nor `autoRotate`.
   */
  tls?: ClientTlsOptions;
  retry?: RetryOptions;
  /** Seconds before `expires_in` runs out when a new token is fetched. Default 60. */
  refreshMargin?: number;
  /** Per token request. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * Rotate the certificate before it expires, through the rotation API, and keep the new key and
   * id in `store` (see docs/client.md, "Rotating certificates").
   */
  autoRotate?: AutoRotateOptions;
  /**
   * DPoP (RFC 9449): `true` for a fresh ES256 key pair of this client, or `{ privateKey, alg? }`.
   * Token requests carry a proof; a DPoP-bound token is sent by `fetch` as `Authorization: DPoP`
   * with a proof of the request (docs/client.md, "DPoP").
   */
  dpop?: DpopOption;
}

/** Exactly one of `tokenUrl` (certmint, or a NetSuite Company URL) and `accountId` (NetSuite). */
export type TokenClientOptions = CommonOptions &
  ({ tokenUrl: string; accountId?: never } | { accountId: string; tokenUrl?: never });

export interface TokenClient {
  /** A valid access token, from the cache when it has one that is not about to expire. */
  getToken(): Promise<string>;
  /** The whole token response behind `getToken()`. */
  getTokenResponse(): Promise<TokenResponse>;
  /**
   * `fetch` with `Authorization: Bearer`, or `DPoP` and a proof for a DPoP-bound token. On 401
   * `invalid_token` it gets a new token and retries once, on `use_dpop_nonce` with a new
   * `DPoP-Nonce` it retries once with it (not for a ReadableStream body, which cannot be sent
   * twice).
   */
  fetch(url: string | URL, init?: RequestInit): Promise<Response>;
  /** Forgets the cached token: the next call fetches a new one. */
  invalidate(): void;
  readonly tokenUrl: string;
  /** The algorithm of the current key. */
  readonly alg: AssertionAlg;
  /** The certificate id assertions currently carry (it changes when autoRotate rotates). */
  readonly certificateId: string;
}

interface Entry {
  response: TokenResponse;
  token: Promise<string>;
  responsePromise: Promise<TokenResponse>;
  /** Clock time (ms) from which a new token is fetched instead. */
  refreshAt: number;
}

const SCOPE_VALUE = /^[A-Za-z0-9_.:-]+$/;
const systemClock: Clock = { now: () => Date.now() };

export function createTokenClient(options: TokenClientOptions): TokenClient {
  const o = options as CommonOptions & { tokenUrl?: string; accountId?: string };
  const tokenUrl = resolveTokenUrl(o);
  requireText('clientId', o.clientId);
  requireText('certificateId', o.certificateId);
  const scopes = checkScopes(o.scopes);
  const scopeFormat = o.scopeFormat ?? 'array';
  if (scopeFormat !== 'array' && scopeFormat !== 'comma') {
    throw new ConfigurationError(`scopeFormat must be 'array' or 'comma', not ${scopeFormat}`);
  }
  const lifetime = o.assertionLifetimeSeconds ?? 300;
  // NetSuite: exp must be less than 60 minutes after iat (section_162790605110).
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > 3599) {
    throw new ConfigurationError('assertionLifetimeSeconds must be an integer from 1 to 3599');
  }
  const margin = o.refreshMargin ?? 60;
  if (!(margin >= 0)) throw new ConfigurationError('refreshMargin must be ≥ 0 seconds');
  const signingKey = loadSigningKey(o.privateKey, o.alg);
  const clock = o.clock ?? systemClock;
  const fetchFn: FetchLike = fetchFor(o, tokenUrl);
  const policy = retryPolicy(o.retry);
  const hint = auditHint(tokenUrl);
  const audience = o.audience ?? tokenUrl;
  const dpop = o.dpop === undefined ? undefined : new DpopProver(o.dpop, clock);

  let cached: Entry | undefined;
  let inflight: Promise<Entry> | undefined;
  /** Bumped when autoRotate switches certificates: tokens fetched before are not cached. */
  let generation = 0;
  let inflightGeneration = 0;
  const auto = o.autoRotate
    ? new AutoRotation(
        o.autoRotate,
        { certificateId: o.certificateId, signingKey },
        {
          tokenUrl,
          clientId: o.clientId,
          fetch: fetchFn,
          clock,
          retry: o.retry,
          timeoutMs: o.timeoutMs,
          scopeFormat,
          dpop,
          onSwap: () => {
            generation += 1;
            cached = undefined;
          },
        },
      )
    : undefined;
  const fixed: Credential = { certificateId: o.certificateId, signingKey };
  const credential = (): Credential => auto?.current ?? fixed;

  const load = (): Promise<Entry> => {
    if (inflight && inflightGeneration === generation) return inflight;
    const gen = generation;
    const cred = credential();
    const p = (async (): Promise<Entry> => {
      const startedAt = clock.now();
      const response = await requestToken({
        fetch: fetchFn,
        tokenUrl,
        policy,
        timeoutMs: o.timeoutMs ?? 10_000,
        hint,
        dpop,
        makeAssertion: () =>
          createAssertion({
            signingKey: cred.signingKey,
            certificateId: cred.certificateId,
            clientId: o.clientId,
            audience,
            scopes,
            scopeFormat,
            nowMs: clock.now(),
            lifetimeSeconds: lifetime,
          }),
      });
      // Counted from the request's start: the server's clock started before we got the answer.
      // A margin larger than half the lifetime would make the cache useless, so cap it.
      const keep = response.expires_in - Math.min(margin, response.expires_in / 2);
      // Shared by every caller: frozen, so one caller cannot change what the others get.
      Object.freeze(response);
      const entry: Entry = {
        response,
        token: Promise.resolve(response.access_token),
        responsePromise: Promise.resolve(response),
        refreshAt: startedAt + keep * 1000,
      };
      // A token of a certificate replaced meanwhile goes to its callers only, not to the cache.
      if (gen === generation) cached = entry;
      return entry;
    })();
    inflight = p;
    inflightGeneration = gen;
    // Clear the slot whatever happens, so a failure is not cached and the next call retries.
    p.then(
      () => {
        if (inflight === p) inflight = undefined;
      },
      () => {
        if (inflight === p) inflight = undefined;
      },
    );
    return p;
  };

  const fresh = (): Entry | undefined =>
    cached !== undefined && clock.now() < cached.refreshAt ? cached : undefined;

  const tokenNow = (): Promise<string> =>
    fresh()?.token ?? load().then((e) => e.response.access_token);
  const responseNow = (): Promise<TokenResponse> =>
    fresh()?.responsePromise ?? load().then((e) => e.response);

  // With autoRotate, first the stored credential and, when due, the rotation (one for all callers).
  const getToken = (): Promise<string> => {
    const wait = auto?.ready();
    return wait === undefined ? tokenNow() : wait.then(tokenNow);
  };
  const getTokenResponse = (): Promise<TokenResponse> => {
    const wait = auto?.ready();
    return wait === undefined ? responseNow() : wait.then(responseNow);
  };

  const send = async (url: string | URL, init: RequestInit | undefined, t: TokenResponse) => {
    const headers = new Headers(init?.headers);
    const token = t.access_token;
    const bound = dpop !== undefined && t.token_type.toLowerCase() === 'dpop';
    if (bound) {
      headers.set('authorization', `DPoP ${token}`);
      headers.set('dpop', await dpop.proof(init?.method ?? 'GET', url, token));
    } else {
      headers.set('authorization', `Bearer ${token}`);
    }
    const res = await fetchFn(url, { ...init, headers });
    if (bound) dpop.remember(url, res.headers);
    return res;
  };

  return {
    tokenUrl,
    get alg() {
      return credential().signingKey.alg;
    },
    get certificateId() {
      return credential().certificateId;
    },
    getToken,
    getTokenResponse,
    invalidate() {
      cached = undefined;
    },
    async fetch(url, init) {
      const t = await getTokenResponse();
      const res = await send(url, init, t);
      if (res.status !== 401) return res;
      const challenge = res.headers.get('www-authenticate');
      if (init?.body instanceof ReadableStream) return res;
      if (dpop !== undefined && saysUseNonce(challenge) && res.headers.has('dpop-nonce')) {
        await res.body?.cancel();
        return send(url, init, t);
      }
      if (!saysInvalidToken(challenge)) return res;
      await res.body?.cancel();
      // Only drop the token this request used: when many requests fail together, the first
      // one's refresh must not be thrown away by the others.
      if (cached?.response.access_token === t.access_token) cached = undefined;
      return send(url, init, await getTokenResponse());
    },
  };
}

/** RFC 9449 §9: a resource server's nonce demand. */
function saysUseNonce(header: string | null): boolean {
  return header !== null && /\berror\s*=\s*"?use_dpop_nonce\b/i.test(header);
}

/** RFC 6750 §3: `Bearer … error="invalid_token"` (the quotes are optional in practice). */
function saysInvalidToken(header: string | null): boolean {
  return header !== null && /\berror\s*=\s*"?invalid_token\b/i.test(header);
}

/** The given fetch, mutual TLS (an https agent with the certificate), or the global fetch. */
function fetchFor(o: CommonOptions, tokenUrl: string): FetchLike {
  if (o.tls === undefined) return o.fetch ?? ((input, init) => fetch(input, init));
  if (o.fetch !== undefined) {
    throw new ConfigurationError('give either fetch or tls: the tls option brings its own fetch');
  }
  if (o.autoRotate !== undefined) {
    throw new ConfigurationError(
      'tls and autoRotate together are not supported: a rotation would change the certificate the connection presents',
    );
  }
  if (!tokenUrl.startsWith('https://')) {
    throw new ConfigurationError('with tls, the token URL must be https (mutual TLS needs TLS)');
  }
  return httpsFetch(clientTlsAgent(o.tls));
}

function requireText(name: string, v: unknown): void {
  if (typeof v !== 'string' || v.trim() === '' || v !== v.trim()) {
    throw new ConfigurationError(`${name} must be a non-empty string without surrounding spaces`);
  }
}

function checkScopes(scopes: unknown): string[] {
  if (!Array.isArray(scopes) || scopes.length === 0) {
    throw new ConfigurationError(
      "scopes must be a non-empty array, e.g. ['restlets', 'rest_webservices']",
    );
  }
  for (const s of scopes) {
    if (typeof s !== 'string' || !SCOPE_VALUE.test(s)) {
      throw new ConfigurationError(`invalid scope ${JSON.stringify(s)}: one scope name per item`);
    }
  }
  return [...(scopes as string[])];
}
