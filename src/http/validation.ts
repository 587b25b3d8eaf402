/**
 * Refusals of Fastify itself — an input its route schema refuses (http/schemas.ts), a body that
 * is not JSON, too large, of an unknown type — turned into the errors the one serializer
 * (http/errors.ts) knows, with a message that names the offending part and says what is
 * expected. The OAuth endpoints answer RFC 6749 §5.2 `invalid_request`; the admin and rotation
 * APIs `{ error, message }` (routes say which with `config.errorBody`).
 */
import type { FastifyError, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { invalidInput } from '../domain/errors.ts';
import { OAuthError } from '../domain/oauth-error.ts';
import { SHARED_SCHEMAS } from './schemas.ts';

/** How a route's refusals look on the wire. */
export type ErrorBody = 'oauth' | 'api';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** 'api': `{ error, message }` (admin, rotation); default 'oauth' (RFC 6749 §5.2). */
    errorBody?: ErrorBody;
  }
}

export const errorBodyOf = (req: FastifyRequest): ErrorBody =>
  req.routeOptions.config?.errorBody ?? 'oauth';

type Part = 'params' | 'querystring' | 'body' | 'headers';

const WHERE: Record<Part, string> = {
  params: 'the path parameter',
  querystring: 'the query parameter',
  body: 'the body field',
  headers: 'the header',
};

interface SchemaNode {
  description?: string;
  $ref?: string;
  properties?: Record<string, SchemaNode>;
}

/** The description of a property of the route's schema for `part`, following a named $ref. */
function descriptionOf(req: FastifyRequest, part: Part, name: string | null): string | undefined {
  const schema = (req.routeOptions.schema as Record<string, SchemaNode | undefined> | undefined)?.[
    part
  ];
  if (!schema) return undefined;
  if (name === null) return schema.description;
  const node = schema.properties?.[name];
  if (node?.$ref) {
    const shared = SHARED_SCHEMAS.find((s) => `${s.$id}#` === node.$ref);
    return node.description ?? shared?.description;
  }
  return node?.description;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  object: 'a JSON object',
  array: 'an array',
  boolean: 'true or false',
};

/** What is wrong with the value, in words (ajv's keyword and parameters). */
function problem(e: FastifySchemaValidationError): string {
  const p = e.params;
  switch (e.keyword) {
    case 'type':
      return `must be ${TYPE_WORDS[String(p.type)] ?? String(p.type)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map(String).join(', ')}`;
    case 'maxLength':
      return `is too long (at most ${String(p.limit)} characters)`;
    case 'minLength':
      return 'is empty';
    default:
      return 'is not valid';
  }
}

/** One line that says which part of the request is wrong and what is expected instead. */
export function schemaMessage(err: FastifyError, req: FastifyRequest): string {
  const part = (err.validationContext ?? 'body') as Part;
  // With `anyOf`, ajv lists each failed branch first: the `anyOf` error speaks for the value.
  const e = err.validation?.find((v) => v.keyword === 'anyOf') ?? err.validation?.[0];
  if (!e) return `the request ${part} is not valid`;
  if (e.keyword === 'required') {
    const name = String(e.params.missingProperty);
    const what = descriptionOf(req, part, name);
    return `${WHERE[part]} "${name}" is missing${what ? ` (${what})` : ''}`;
  }
  const name = e.instancePath.split('/')[1] ?? '';
  if (name === '') {
    const what = descriptionOf(req, part, null);
    const body = part === 'body' ? 'the request body' : `the ${part}`;
    return `${body} ${problem(e)}${what ? `: ${what}` : ''}`;
  }
  // A repeated query parameter arrives as an array: name that, not its type.
  const value = (req.query as Record<string, unknown> | undefined)?.[name];
  if (part === 'querystring' && Array.isArray(value)) {
    return `the query parameter "${name}" is repeated: give it once`;
  }
  const what = descriptionOf(req, part, name);
  return `${WHERE[part]} "${name}" ${problem(e)}${what ? ` (${what})` : ''}`;
}

const isClientError = (err: unknown): err is FastifyError =>
  typeof (err as { statusCode?: unknown }).statusCode === 'number' &&
  (err as { statusCode: number }).statusCode >= 400 &&
  (err as { statusCode: number }).statusCode < 500;

/**
 * A schema refusal as the route's kind of error (OAuthError `invalid_request`, or DomainError
 * `request.invalid` for the APIs); anything else unchanged.
 */
export function asRefusal(err: unknown, req: FastifyRequest): unknown {
  if (!isClientError(err) || err.code !== 'FST_ERR_VALIDATION') return err;
  const message = schemaMessage(err, req);
  return errorBodyOf(req) === 'api'
    ? invalidInput('request.invalid', message)
    : new OAuthError('invalid_request', null, message);
}

/** Before routing there is no route config: the admin and rotation APIs are told by their URL. */
export const errorBodyForUrl = (url: string): ErrorBody =>
  url.startsWith('/api/') || /\/oauth2\/v1\/clients\//.test(url) ? 'api' : 'oauth';

/** Fastify's router refusals (`frameworkErrors`), with a message that does not echo the URL. */
export function routerRefusal(err: FastifyError): { statusCode: number; message: string } {
  if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    return { statusCode: 414, message: 'a path segment is too long (at most 100 characters)' };
  }
  if (err.code === 'FST_ERR_BAD_URL') {
    return { statusCode: 400, message: 'the URL is not valid: check its percent-encoding' };
  }
  return { statusCode: 400, message: 'the request could not be routed' };
}
