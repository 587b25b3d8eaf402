/** RFC 8414 authorization server metadata, advertising exactly what is enforced. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bindsTokens } from '../client-certificate.ts';
import { metadataSchema } from '../schemas.ts';
import { resolveAccount } from './account-param.ts';

export async function metadataRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const accountId = await resolveAccount(ctx, req, reply);
    if (accountId === null) return reply;
    reply.header('cache-control', 'public, max-age=300');
    return {
      ...ctx.services.tokens.metadata(accountId),
      // RFC 8705 §3.3: only when a client certificate can reach the token endpoint.
      ...(bindsTokens(ctx.clientCertificates) && {
        tls_client_certificate_bound_access_tokens: true,
      }),
    };
  };
  // RFC 8414 §3: both the path-inserted form and the form under the issuer.
  const schema = { schema: metadataSchema };
  app.get('/.well-known/oauth-authorization-server/accounts/:accountId', schema, handler);
  app.get('/accounts/:accountId/.well-known/oauth-authorization-server', schema, handler);
}
