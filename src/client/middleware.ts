import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestCertificate } from './certificate-binding.ts';
import { DPOP_ALGS, type DpopRequest } from './dpop-verify.ts';
import { InsufficientScopeError, InvalidDpopProofError, InvalidTokenError } from './errors.ts';
import type { TokenVerifier, VerifiedToken, VerifyOptions } from './verifier.ts';

export interface BearerAuthOptions {
  /** `realm` of the challenge. Default: the verifier's realm (certmint's account id). */
  realm?: string;
  /** Scopes this route needs, on top of the verifier's. */
  requiredScopes?: readonly string[];
  /**
   * Behind a TLS-terminating proxy: the header it forwards the client certificate in (URL-encoded
   * PEM, e.g. nginx `proxy_set_header X-SSL-Client-Cert $ssl_client_escaped_cert`). The proxy
   * must overwrite or strip it on every request, or clients could send any certificate. Without
   * it the certificate is read from the Node https socket (`requestCert: true`). Either way it
   * only matters for certificate-bound tokens (RFC 8705 §3).
   */
  clientCertificateHeader?: string;
  /**
   * The origin clients address, e.g. `https://api.example.com`, for a DPoP proof's `htu`
   * (behind a proxy). Default: the request's protocol and Host header.
   */
  origin?: string;
}

/** What the hook or middleware answers; exported for servers that want to answer themselves. */
export interface BearerChallenge {
  status: 400 | 401 | 403 | 503;
  /** `WWW-Authenticate` value; absent for 503. */
  wwwAuthenticate?: string;
  body: { error: string; error_description?: string };
}

const verified = new WeakMap<object, VerifiedToken>();

/** The token a request was let through with, set by the hook or middleware. */
export function verifiedToken(request: object): VerifiedToken | undefined {
  return verified.get(request);
}

/** RFC 6750 §2.1: `Bearer` SP b64token. The scheme is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** RFC 9449 §7.1: `DPoP` SP token68, with a `DPoP` proof header. */
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;
const MALFORMED = 'The request could not be understood by the server due to malformed syntax.';

function quoted(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * Checks the Authorization header and the token, and says how to answer. Same words as NetSuite
 * (section subsect_158521885412): 401 `invalid_token` "Invalid login attempt." whatever the
 * private reason; 400 `invalid_request` for a malformed header; 403 `insufficient_scope`.
 */
export async function authenticate(
  verifier: TokenVerifier,
  authorization: string | undefined,
  opts: BearerAuthOptions = {},
  request?: Omit<DpopRequest, 'proof'> & { dpop: DpopRequest['proof'] },
  clientCertificate?: VerifyOptions['clientCertificate'],
): Promise<{ token: VerifiedToken } | { challenge: BearerChallenge }> {
  const dpopMatch = authorization === undefined ? null : DPOP.exec(authorization);
  if (dpopMatch?.[1] && request !== undefined) {
    return authenticateDpop(verifier, dpopMatch[1], opts, request, clientCertificate);
  }
  const realm = `Bearer realm=${quoted(opts.realm ?? verifier.realm)}`;
  // RFC 6750 §3.1: a request with no bearer credentials at all gets the bare challenge.
  if (authorization === undefined || !/^bearer(?: |$)/i.test(authorization)) {
    return { challenge: { status: 401, wwwAuthenticate: realm, body: { error: 'invalid_token' } } };
  }
  const m = BEARER.exec(authorization);
  if (!m?.[1]) {
    return {
      challenge: {
        status: 400,
        wwwAuthenticate: `${realm}, error="invalid_request", error_description="${MALFORMED}"`,
        body: { error: 'invalid_request', error_description: MALFORMED },
      },
    };
  }
  try {
    const token = await verifier.verify(m[1], {
      ...(opts.requiredScopes && { requiredScopes: opts.requiredScopes }),
      ...(clientCertificate !== undefined && { clientCertificate }),
    });
    return { token };
  } catch (e) {
    if (e instanceof InvalidTokenError && e.reason === 'dpop_bound') {
      return { challenge: dpopChallenge(opts.realm ?? verifier.realm, 'invalid_token') };
    }
    if (e instanceof InvalidTokenError) {
      const d = 'Invalid login attempt.';
      return {
        challenge: {
          status: 401,
          wwwAuthenticate: `${realm}, error="invalid_token", error_description="${d}"`,
          body: { error: 'invalid_token', error_description: d },
        },
      };
    }
    if (e instanceof InsufficientScopeError) {
      const d = 'The request requires higher privileges than provided by the access token.';
      const scope = quoted(e.requiredScopes.join(' '));
      return {
        challenge: {
          status: 403,
          wwwAuthenticate: `${realm}, error="insufficient_scope", error_description="${d}", scope=${scope}`,
          body: { error: 'insufficient_scope', error_description: d },
        },
      };
    }
    return { challenge: unavailable() };
  }
}

/**
 * The key set is unreachable: not the caller's fault, and a 401 would only make it fetch new
 * tokens in a loop (both schemes answer so).
 */
const unavailable = (): BearerChallenge => ({
  status: 503,
  body: {
    error: 'temporarily_unavailable',
    error_description: 'The access token cannot be checked right now.',
  },
});

const DPOP_ALG_LIST = quoted(DPOP_ALGS.join(' '));

/** RFC 9449 §7.1: 401 with a `DPoP` challenge naming the accepted proof algorithms. */
function dpopChallenge(
  realm: string,
  error: 'invalid_token' | 'invalid_dpop_proof',
): BearerChallenge {
  return {
    status: 401,
    wwwAuthenticate: `DPoP realm=${quoted(realm)}, error="${error}", algs=${DPOP_ALG_LIST}`,
    body: { error },
  };
}

async function authenticateDpop(
  verifier: TokenVerifier,
  token: string,
  opts: BearerAuthOptions,
  request: Omit<DpopRequest, 'proof'> & { dpop: DpopRequest['proof'] },
  clientCertificate?: VerifyOptions['clientCertificate'],
): Promise<{ token: VerifiedToken } | { challenge: BearerChallenge }> {
  const realm = opts.realm ?? verifier.realm;
  try {
    const verified = await verifier.verify(token, {
      ...(opts.requiredScopes && { requiredScopes: opts.requiredScopes }),
      dpop: { proof: request.dpop, method: request.method, url: request.url },
      ...(clientCertificate !== undefined && { clientCertificate }),
    });
    return { token: verified };
  } catch (e) {
    if (e instanceof InvalidDpopProofError)
      return { challenge: dpopChallenge(realm, 'invalid_dpop_proof') };
    if (e instanceof InvalidTokenError) return { challenge: dpopChallenge(realm, 'invalid_token') };
    if (e instanceof InsufficientScopeError) {
      const scope = quoted(e.requiredScopes.join(' '));
      return {
        challenge: {
          status: 403,
          wwwAuthenticate: `DPoP realm=${quoted(realm)}, error="insufficient_scope", scope=${scope}, algs=${DPOP_ALG_LIST}`,
          body: { error: 'insufficient_scope' },
        },
      };
    }
    return { challenge: unavailable() };
  }
}

/** The URL a client addressed: `origin` when configured, else the protocol and Host header. */
function requestUrl(
  origin: string | undefined,
  secure: boolean,
  host: string | undefined,
  path: string,
): string {
  const base =
    origin?.replace(/\/+$/, '') ?? `${secure ? 'https' : 'http'}://${host ?? 'localhost'}`;
  return `${base}${path}`;
}

/**
 * Fastify `onRequest` hook: `app.addHook('onRequest', fastifyBearerAuth(verifier))`. Read the
 * token in handlers with `verifiedToken(request)`.
 */
export function fastifyBearerAuth(
  verifier: TokenVerifier,
  opts: BearerAuthOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const r = await authenticate(
      verifier,
      request.headers.authorization,
      opts,
      {
        dpop: request.headers.dpop,
        method: request.method,
        url: requestUrl(
          opts.origin,
          request.protocol === 'https',
          request.headers.host,
          request.url,
        ),
      },
      () => requestCertificate(request.raw, opts.clientCertificateHeader),
    );
    if ('token' in r) {
      verified.set(request, r.token);
      return;
    }
    const c = r.challenge;
    if (c.wwwAuthenticate) reply.header('www-authenticate', c.wwwAuthenticate);
    reply.header('cache-control', 'no-store');
    // Sent before the async hook resolves, so Fastify stops the chain here (Hooks.md).
    reply.code(c.status).send(c.body);
  };
}

export type NextFunction = (err?: unknown) => void;

/**
 * Node http / Express / Connect middleware `(req, res, next)`. Read the token in handlers with
 * `verifiedToken(req)`.
 */
export function bearerAuth(
  verifier: TokenVerifier,
  opts: BearerAuthOptions = {},
): (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void {
  return (req, res, next) => {
    const secure = (req.socket as { encrypted?: boolean }).encrypted === true;
    authenticate(
      verifier,
      req.headers.authorization,
      opts,
      {
        dpop: req.headers.dpop,
        method: req.method ?? 'GET',
        url: requestUrl(opts.origin, secure, req.headers.host, req.url ?? '/'),
      },
      () => requestCertificate(req, opts.clientCertificateHeader),
    ).then(
      (r) => {
        if ('token' in r) {
          verified.set(req, r.token);
          next();
          return;
        }
        const c = r.challenge;
        const headers: Record<string, string> = {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
        };
        if (c.wwwAuthenticate) headers['www-authenticate'] = c.wwwAuthenticate;
        res.writeHead(c.status, headers).end(JSON.stringify(c.body));
      },
      (e: unknown) => next(e),
    );
  };
}
