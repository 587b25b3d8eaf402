/** The OAuth endpoints of one account: token, keys (JWKS), introspect, revoke. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAUTH_PATH } from '../../domain/endpoints.ts';
import { OAuthError } from '../../domain/oauth-error.ts';
import { jwksSchema, oauthEndpointSchema } from '../schemas.ts';
import { senderOf } from '../sender.ts';
import { inAccount, resolveAccount } from './account-param.ts';

const tokenResponseSchema = {
  200: {
    type: 'object',
    properties: {
      access_token: { type: 'string' },
      token_type: { type: 'string' },
      expires_in: { type: 'integer' },
    },
  },
};

/** RFC 6749 §5.1: token responses must not be cached (the Fastify routes and token-route.ts). */
export function noStore(reply: { header(name: string, value: string): unknown }): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** RFC 6749 §4.4.2: the token request is application/x-www-form-urlencoded. */
export function isFormContentType(value: string | undefined): boolean {
  // What clients send (no parameters, lower case) matches without building a string.
  if (value === FORM_TYPE) return true;
  return (value ?? '').split(';')[0]?.trim().toLowerCase() === FORM_TYPE;
}

/** The raw form body, or '' with a wrong content type (the service then refuses it). */
function formBody(req: FastifyRequest): string {
  return typeof req.body === 'string' ? req.body : '';
}

function isForm(req: FastifyRequest): boolean {
  return isFormContentType(req.headers['content-type']);
}

export async function oauthRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  app.post(
    `${OAUTH_PATH}/token`,
    {
      schema: {
        ...oauthEndpointSchema(
          'Token endpoint: client credentials grant (RFC 6749 §4.4, RFC 7523 §2.2)',
          'Form body: grant_type=client_credentials, client_assertion_type (jwt-bearer), client_assertion (a JWT signed with the mapped certificate’s key), optional scope.',
        ),
        response: tokenResponseSchema,
      },
    },
    inAccount(ctx, 'Basic', async (accountId, req, reply) => {
      noStore(reply);
      return ctx.services.tokens.issue(
        accountId,
        isForm(req) ? formBody(req) : '',
        req.ip,
        senderOf(ctx, req),
      );
    }),
  );

  app.post(
    `${OAUTH_PATH}/introspect`,
    {
      schema: oauthEndpointSchema(
        'Token introspection (RFC 7662)',
        'Form body: the caller’s client_assertion_type and client_assertion, and token. Only the caller’s own tokens are reported active.',
      ),
    },
    inAccount(ctx, 'Basic', async (accountId, req, reply) => {
      noStore(reply);
      if (!isForm(req)) throw new OAuthError('invalid_request', 'InvalidRequest');
      return ctx.services.tokens.introspect(accountId, formBody(req), req.ip);
    }),
  );

  app.post(
    `${OAUTH_PATH}/revoke`,
    {
      schema: oauthEndpointSchema(
        'Token revocation (RFC 7009)',
        'Form body: the caller’s client_assertion_type and client_assertion, and token. Only the caller’s own tokens are revoked; any other token answers 200 too.',
      ),
    },
    inAccount(ctx, 'Basic', async (accountId, req, reply) => {
      noStore(reply);
      if (!isForm(req)) throw new OAuthError('invalid_request', 'InvalidRequest');
      await ctx.services.tokens.revoke(accountId, formBody(req), req.ip);
      return reply.code(200).send();
    }),
  );

  app.get(`${OAUTH_PATH}/keys`, { schema: jwksSchema }, async (req, reply) => {
    const accountId = await resolveAccount(ctx, req, reply);
    if (accountId === null) return reply;
    reply.header('cache-control', 'public, max-age=300');
    return ctx.services.signingKeys.jwks(accountId);
  });
}
