/**
 * The one error serializer. OAuth errors are RFC 6749 §5.2 JSON (RFC 6750 §3 for bearer-protected
 * resources); domain errors of the admin API are `{ error, message }`; anything else is a 500
 * `server_error` whose details go to the log only. The private audit detail never reaches the
 * wire unless the server runs with --explain-errors (local development).
 */
import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import { DomainError, type ErrorKind } from '../domain/errors.ts';
import { OAuthError } from '../domain/oauth-error.ts';
import { isStoreUnavailable, STORE_RETRY_AFTER_SECONDS } from '../domain/store-unavailable.ts';

export interface ErrorContext {
  /** The account (realm) of the request, when known. */
  realm: string | null;
  explain: boolean;
  /** The token endpoints use Basic (client auth, RFC 6749 §5.2); resources use Bearer. */
  scheme: 'Basic' | 'Bearer';
  log: FastifyBaseLogger;
  /** The admin and rotation APIs: Fastify's own refusals as `{ error, message }` too. */
  api?: boolean;
}

const DOMAIN_STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  policy: 422,
};

const quote = (s: string) => s.replace(/["\\]/g, '');

/**
 * Where an error answer is written: a Fastify reply, or the token route's own answer on
 * node:http (token-route.ts), so both paths answer every error the same way.
 */
export interface ErrorReply<R> {
  header(name: string, value: string): unknown;
  code(status: number): unknown;
  send(body: Record<string, string>): R;
}

export function sendError(reply: FastifyReply, err: unknown, ctx: ErrorContext): FastifyReply {
  return answerError(reply, err, ctx);
}

/** sendError on any ErrorReply: the token route's answer on node:http uses it directly. */
export function answerError<R>(reply: ErrorReply<R>, err: unknown, ctx: ErrorContext): R {
  reply.header('cache-control', 'no-store');
  if (err instanceof OAuthError) {
    if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS));
    if (err.dpopNonce !== undefined) reply.header('dpop-nonce', err.dpopNonce);
    const body: Record<string, string> = { error: err.error };
    const description = ctx.explain && err.detail ? err.detail : err.description;
    if (description) body.error_description = description;
    if (err.status === 401 || err.status === 403) {
      const realm = `realm="${quote(ctx.realm ?? 'certmint')}"`;
      reply.header(
        'www-authenticate',
        ctx.scheme === 'Basic'
          ? `Basic ${realm}`
          : err.dpopAlgs !== undefined
            ? `DPoP ${realm}, error="${err.error}", algs="${err.dpopAlgs.join(' ')}"`
            : err.error === 'invalid_token' || err.error === 'insufficient_scope'
              ? `Bearer ${realm}, error="${err.error}"`
              : `Bearer ${realm}`,
      );
    }
    reply.code(err.status);
    return reply.send(body);
  }
  if (err instanceof DomainError) {
    reply.code(DOMAIN_STATUS[err.kind]);
    return reply.send({ error: err.code, message: err.message });
  }
  if (isStoreUnavailable(err)) return sendUnavailable(reply, ctx, err);
  const fe = err as { statusCode?: unknown; code?: unknown; message?: unknown };
  // Fastify's own client errors (body too large, bad JSON, wrong content type).
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const message = String(fe.message ?? 'bad request');
    reply.code(fe.statusCode);
    return reply.send(
      ctx.api
        ? { error: 'request.invalid', message }
        : { error: 'invalid_request', error_description: message },
    );
  }
  ctx.log.error({ err }, 'unexpected error');
  reply.code(500);
  return reply.send({ error: 'server_error' });
}

/** Logged at most this often while the database stays unavailable (not once per request). */
const UNAVAILABLE_LOG_EVERY_MS = 10_000;
let unavailableLoggedAt = 0;

/**
 * The database is unavailable (store/unavailable.ts decides which faults are): 503 with
 * Retry-After. The OAuth endpoints answer `temporarily_unavailable` (RFC 6749 §5.2 allows
 * codes beyond its list; §4.1.2.1 defines this one), everything else `{ error, message }`.
 */
function sendUnavailable<R>(reply: ErrorReply<R>, ctx: ErrorContext, err: Error): R {
  const now = Date.now();
  if (now - unavailableLoggedAt >= UNAVAILABLE_LOG_EVERY_MS) {
    unavailableLoggedAt = now;
    ctx.log.warn({ reason: err.message }, 'database unavailable: answering 503');
  }
  reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
  const message = 'The database is unavailable; try again in a few seconds.';
  reply.code(503);
  return reply.send(
    ctx.scheme === 'Basic'
      ? { error: 'temporarily_unavailable', error_description: message }
      : { error: 'store.unavailable', message },
  );
}
