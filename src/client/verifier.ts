import {
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { type ClientCertificateInput, certificateThumbprint } from './certificate-binding.ts';
import {
  checkDpopProof,
  type DpopRequest,
  type DpopVerifyBounds,
  ProofReplayCache,
} from './dpop-verify.ts';
import {
  CertmintClientError,
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  type InvalidTokenReason,
} from './errors.ts';
import { type JwksBounds, JwksCache } from './jwks.ts';
import type { Clock } from './token-client.ts';
import type { FetchLike } from './token-request.ts';
import { checkEndpointUrl } from './token-url.ts';

/** Signature algorithms a verifier may allow. ES256 is certmint's; NetSuite's are PS256/RS256. */
export type VerifierAlg = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512' | 'RS256';

export interface TokenVerifierOptions {
  /** Exact `iss`: certmint's `{publicUrl}/accounts/{A}`, or NetSuite's `https://system.netsuite.com`. */
  issuer: string;
  /** Default: `${issuer}/services/rest/auth/oauth2/v1/keys` (certmint's layout). */
  jwksUrl?: string;
  /** Scopes every token must hold (more can be asked per call). */
  requiredScopes?: readonly string[];
  /** Seconds of leeway on `exp`/`iat`/`nbf`. Default 5. */
  clockTolerance?: number;
  /** When given, `aud` must contain one of these. */
  audience?: string | readonly string[];
  /** Default ['ES256']. Add 'PS256' and 'RS256' for NetSuite's tokens. */
  algorithms?: readonly VerifierAlg[];
  /** Header `typ`: 'at+jwt' (default, RFC 9068 §4) or NetSuite's 'JWT'. */
  typ?: 'at+jwt' | 'JWT';
  fetch?: FetchLike;
  clock?: Clock;
  jwks?: JwksBounds;
  /** DPoP proofs (RFC 9449): their iat window and the replay cache's size. */
  dpop?: DpopVerifyBounds;
}

export interface VerifiedToken {
  /** `"<roleId>;<entityId>"`. */
  sub: string;
  roleId: number;
  entityId: number;
  clientId: string;
  scopes: string[];
  exp: number;
  iat: number;
  jti: string;
  /** From certmint's issuer path or NetSuite's `aud`, when either names one. */
  accountId?: string;
  /** RFC 8705 §3.1: the `x5t#S256` a certificate-bound token names (absent for bearer tokens). */
  certificateThumbprint?: string;
  /** Every claim, as verified. */
  claims: JWTPayload;
}

export interface VerifyOptions {
  /** Scopes this call needs on top of the verifier's `requiredScopes`. */
  requiredScopes?: readonly string[];
  /**
   * The certificate the caller's TLS connection presented (DER, PEM or X509Certificate). A
   * certificate-bound token (`cnf["x5t#S256"]`, RFC 8705 §3) is refused without it or with
   * another one; a plain bearer token does not need it. A function is called only for a bound
   * token (reading a socket's certificate costs a little on every request otherwise).
   */
  clientCertificate?: ClientCertificateInput | (() => ClientCertificateInput | undefined);
  /**
   * The request came with `Authorization: DPoP`: its proof must be good for this token, which
   * must be DPoP-bound. Without it, a DPoP-bound token is refused (RFC 9449 §7.1).
   */
  dpop?: DpopRequest;
}

export interface TokenVerifier {
  verify(token: string, options?: VerifyOptions): Promise<VerifiedToken>;
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Account id from the issuer path (certmint), else the issuer: the default Bearer realm. */
  readonly realm: string;
}

const MAX_TOKEN_LENGTH = 16 * 1024;
const ALLOWED: readonly string[] = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256'];
const INTEGER = /^-?[0-9]{1,15}$/;
const systemClock: Clock = { now: () => Date.now() };

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const issuer = options.issuer;
  if (typeof issuer !== 'string' || !/^https?:\/\//.test(issuer)) {
    throw new ConfigurationError('issuer must be an http(s) URL, compared exactly with `iss`');
  }
  const algorithms = [...(options.algorithms ?? ['ES256'])];
  for (const a of algorithms) {
    if (!ALLOWED.includes(a)) throw new ConfigurationError(`algorithm ${a} is not allowed`);
  }
  const jwksUrl = checkEndpointUrl(
    options.jwksUrl ?? `${issuer.replace(/\/+$/, '')}/services/rest/auth/oauth2/v1/keys`,
    'jwksUrl',
  );
  const clock = options.clock ?? systemClock;
  const systemTime = options.clock === undefined;
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const jwks = new JwksCache(jwksUrl, fetchFn, clock, options.jwks);
  const baseScopes = [...(options.requiredScopes ?? [])];
  const accountInIssuer = /\/accounts\/([^/]+)$/.exec(issuer)?.[1];
  const dpopMaxAge = options.dpop?.maxAgeSeconds ?? 60;
  const replay = new ProofReplayCache(options.dpop?.replayCacheSize ?? 50_000);
  const base: JWTVerifyOptions = {
    issuer,
    algorithms,
    typ: options.typ ?? 'at+jwt',
    clockTolerance: options.clockTolerance ?? 5,
    requiredClaims: ['sub', 'exp', 'iat', 'jti'],
    ...(options.audience !== undefined
      ? {
          audience: typeof options.audience === 'string' ? options.audience : [...options.audience],
        }
      : {}),
  };

  return {
    issuer,
    jwksUrl,
    realm: accountInIssuer ? decodeURIComponent(accountInIssuer) : issuer,
    async verify(token, opts) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw new InvalidTokenError('malformed', 'the access token is missing or too long');
      }
      let payload: JWTPayload;
      try {
        const dot = token.indexOf('.');
        const encodedHeader = dot > 0 ? token.slice(0, dot) : '';
        let key = jwks.cachedKey(encodedHeader);
        if (key === undefined) {
          const header = headerOf(token);
          // Checked before any key lookup, so a token with a foreign alg never triggers a fetch.
          if (typeof header.alg !== 'string' || !algorithms.includes(header.alg as VerifierAlg)) {
            throw new InvalidTokenError(
              'algorithm',
              `access token alg ${String(header.alg)} is not allowed`,
            );
          }
          key = await jwks.getKey(header, encodedHeader);
        }
        // The resolved key goes to jwtVerify directly: no per-call key-resolver round trip. With
        // the system clock, jose reads the time itself (no options object per call).
        ({ payload } = await jwtVerify(
          token,
          key,
          systemTime ? base : { ...base, currentDate: new Date(clock.now()) },
        ));
      } catch (e) {
        throw translate(e);
      }
      const v = toVerified(payload, accountInIssuer);
      checkBinding(v, opts?.clientCertificate);
      const cnf = payload.cnf as { jkt?: unknown } | undefined;
      const jkt = typeof cnf?.jkt === 'string' ? cnf.jkt : undefined;
      if (opts?.dpop === undefined && jkt !== undefined) {
        throw new InvalidTokenError('dpop_bound', 'a DPoP-bound access token was sent as Bearer');
      }
      if (opts?.dpop !== undefined) {
        if (jkt === undefined) {
          throw new InvalidTokenError('not_dpop_bound', 'the access token is not DPoP-bound');
        }
        await checkDpopProof(opts.dpop, token, jkt, clock.now(), dpopMaxAge, replay);
      }
      const required = opts?.requiredScopes ? [...baseScopes, ...opts.requiredScopes] : baseScopes;
      if (required.some((s) => !v.scopes.includes(s))) {
        throw new InsufficientScopeError(required, v.scopes);
      }
      return v;
    },
  };
}

/** RFC 8705 §3: a bound token only with the certificate it names. */
function checkBinding(v: VerifiedToken, given: VerifyOptions['clientCertificate']): void {
  const bound = v.certificateThumbprint;
  if (bound === undefined) return;
  const presented = typeof given === 'function' ? given() : given;
  if (presented === undefined) {
    throw new InvalidTokenError(
      'certificate',
      'the access token is bound to a client certificate and the connection presented none',
    );
  }
  if (certificateThumbprint(presented) !== bound) {
    throw new InvalidTokenError(
      'certificate',
      'the access token is bound to another client certificate than the connection presented',
    );
  }
}

function headerOf(token: string): ReturnType<typeof decodeProtectedHeader> {
  try {
    return decodeProtectedHeader(token);
  } catch (e) {
    // jose throws a TypeError here, not one of its JOSE errors.
    throw new InvalidTokenError('malformed', 'the access token is not a JWS', e);
  }
}

function toVerified(p: JWTPayload, accountInIssuer: string | undefined): VerifiedToken {
  const sub = p.sub as string;
  const [role, entity, extra] = sub.split(';');
  if (extra !== undefined || !role || !entity || !INTEGER.test(role) || !INTEGER.test(entity)) {
    throw new InvalidTokenError('claims', 'sub is not "<roleId>;<entityId>"');
  }
  if (typeof p.jti !== 'string' || p.iat === undefined || p.exp === undefined) {
    throw new InvalidTokenError('claims', 'jti, iat or exp has the wrong type');
  }
  // RFC 9068 §2.2.3 says a space-separated string; certmint and NetSuite send an array.
  const raw = p.scope;
  const scopes =
    typeof raw === 'string'
      ? raw.split(' ').filter((s) => s !== '')
      : Array.isArray(raw) && raw.every((s) => typeof s === 'string')
        ? (raw as string[])
        : undefined;
  if (!scopes) throw new InvalidTokenError('claims', 'scope is missing or not strings');
  // NetSuite names the client in `aud` (["<appId>;<account>", "<clientId>"]), not client_id.
  const aud = Array.isArray(p.aud) ? p.aud : [];
  const clientId =
    typeof p.client_id === 'string' ? p.client_id : aud.find((a) => !a.includes(';'));
  if (!clientId) throw new InvalidTokenError('claims', 'client_id is missing');
  const thumbprint = thumbprintOf(p.cnf);
  const accountId = accountInIssuer
    ? decodeURIComponent(accountInIssuer)
    : aud.find((a) => a.includes(';'))?.split(';')[1];
  return {
    sub,
    roleId: Number(role),
    entityId: Number(entity),
    clientId,
    scopes,
    exp: p.exp,
    iat: p.iat,
    jti: p.jti,
    ...(accountId ? { accountId } : {}),
    ...(thumbprint !== undefined ? { certificateThumbprint: thumbprint } : {}),
    claims: p,
  };
}

/** `cnf["x5t#S256"]`; a `cnf` of the wrong shape is refused rather than read as unbound. */
function thumbprintOf(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw new InvalidTokenError('claims', 'cnf is not an object');
  }
  const x5t = (cnf as Record<string, unknown>)['x5t#S256'];
  if (x5t === undefined) return undefined;
  if (typeof x5t !== 'string' || x5t === '') {
    throw new InvalidTokenError('claims', 'cnf x5t#S256 is not a string');
  }
  return x5t;
}

/** jose's errors → one InvalidTokenError with a reason for logs; the wire says only 401. */
function translate(e: unknown): Error {
  if (e instanceof CertmintClientError) return e;
  const reason = ((): InvalidTokenReason | undefined => {
    if (e instanceof errors.JWTExpired) return 'expired';
    if (e instanceof errors.JWTClaimValidationFailed) {
      if (e.claim === 'iss') return 'issuer';
      if (e.claim === 'aud') return 'audience';
      if (e.claim === 'typ') return 'type';
      if (e.claim === 'nbf' || e.claim === 'iat') return 'not_yet_valid';
      return 'claims';
    }
    if (e instanceof errors.JOSEAlgNotAllowed) return 'algorithm';
    if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature';
    if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys)
      return 'unknown_key';
    if (
      e instanceof errors.JWSInvalid ||
      e instanceof errors.JWTInvalid ||
      e instanceof errors.JOSENotSupported
    )
      return 'malformed';
    return undefined;
  })();
  if (reason === undefined) return e instanceof Error ? e : new Error(String(e));
  const message = e instanceof Error ? e.message : String(e);
  return new InvalidTokenError(reason, `access token refused (${reason}): ${message}`, e);
}
