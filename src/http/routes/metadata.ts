/** RFC 8414 authorization server metadata, advertising exactly what is enforced. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ASSERTION_ALGS } from '../../crypto/algorithms.ts';
import { SCOPES } from '../../domain/scope.ts';
import { resolveAccount } from './account-param.ts';

export async function metadataRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const accountId = await resolveAccount(ctx, req, reply);
    if (accountId === null) return reply;
    const t = ctx.tokens;
    const algs = [...ASSERTION_ALGS];
    reply.header('cache-control', 'public, max-age=300');
    return {
      issuer: t.issuer(accountId),
      token_endpoint: t.endpoint(accountId, 'token'),
      jwks_uri: t.endpoint(accountId, 'keys'),
      introspection_endpoint: t.endpoint(accountId, 'introspect'),
      revocation_endpoint: t.endpoint(accountId, 'revoke'),
      grant_types_supported: ['client_credentials'],
      response_types_supported: [],
      scopes_supported: [...SCOPES],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: algs,
      introspection_endpoint_auth_methods_supported: ['private_key_jwt'],
      introspection_endpoint_auth_signing_alg_values_supported: algs,
      revocation_endpoint_auth_methods_supported: ['private_key_jwt'],
      revocation_endpoint_auth_signing_alg_values_supported: algs,
    };
  };
  // RFC 8414 §3: both the path-inserted form and the form under the issuer.
  app.get('/.well-known/oauth-authorization-server/accounts/:accountId', handler);
  app.get('/accounts/:accountId/.well-known/oauth-authorization-server', handler);
}
