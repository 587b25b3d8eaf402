/**
 * Error pages. A refused permission is a 403 page that shows nothing of the record asked for;
 * a record of another account is "not found" (the service layer says so), as any unknown id.
 * Unexpected errors are logged and shown without details.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorKind } from '../domain/errors.ts';
import { isStoreUnavailable, STORE_RETRY_AFTER_SECONDS } from '../domain/store-unavailable.ts';
import { render } from './render.ts';

const STATUS: Record<ErrorKind, number> = {
  invalid_input: 400,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
  policy: 422,
};

const TITLES: Record<number, string> = {
  400: 'Cannot do that',
  403: 'Permission denied',
  404: 'Not found',
  409: 'Cannot do that',
  413: 'Too large',
  422: 'Refused',
  429: 'Too many requests',
  503: 'Unavailable',
};

export function errorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
): FastifyReply {
  return render(
    req,
    reply,
    'error',
    { status, message },
    { title: TITLES[status] ?? 'Error', status },
  );
}

export const statusOf = (e: DomainError): number => STATUS[e.kind];

export const isForbidden = (e: unknown): boolean =>
  e instanceof DomainError && e.kind === 'forbidden';

/** A refusal the user can act on (shown next to the form), as opposed to a 403 or a bug. */
export const isUserError = (e: unknown): e is DomainError =>
  e instanceof DomainError && e.kind !== 'forbidden';

export function consoleErrorHandler(
  err: FastifyError | Error,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (err instanceof DomainError) return errorPage(req, reply, STATUS[err.kind], err.message);
  if (isStoreUnavailable(err)) {
    reply.header('retry-after', String(STORE_RETRY_AFTER_SECONDS));
    return errorPage(req, reply, 503, 'The database is unavailable. Try again in a few seconds.');
  }
  const code = (err as { code?: unknown }).code;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (code === 'FST_CSRF_INVALID_TOKEN' || code === 'FST_CSRF_MISSING_SECRET') {
    return errorPage(
      req,
      reply,
      403,
      'This form has expired or did not come from this console. Go back, reload the page and try again.',
    );
  }
  if (status === 429) {
    return errorPage(
      req,
      reply,
      429,
      'Too many attempts from your address. Wait a minute and try again.',
    );
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return errorPage(req, reply, status, 'The request could not be processed.');
  }
  req.log.error({ err }, 'console error');
  return errorPage(req, reply, 500, 'Something went wrong on our side. Try again later.');
}
