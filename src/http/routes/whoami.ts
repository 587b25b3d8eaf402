/** A protected resource: who the bearer token speaks for. */
import type { FastifyInstance } from 'fastify';
import { WHOAMI_PATH } from '../../domain/endpoints.ts';
import { requireBearer } from '../bearer.ts';
import { whoamiSchema } from '../schemas.ts';
import { inAccount } from './account-param.ts';

export async function whoamiRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  app.get(
    WHOAMI_PATH,
    { schema: whoamiSchema },
    inAccount(ctx, 'Bearer', async (accountId, req, reply) => {
      const t = await requireBearer(ctx, req, accountId);
      const { entity, role, integration } = t;
      reply.header('cache-control', 'no-store');
      return {
        account: accountId,
        entity: { id: entity.id, name: entity.name },
        role: { id: role.id, name: role.name },
        application: integration
          ? {
              id: integration.id,
              name: integration.name,
              application_id: integration.applicationId,
            }
          : null,
        client_id: t.claims.client_id,
        certificate_id: t.claims.cid,
        scopes: t.claims.scope,
        issued_at: new Date(t.claims.iat * 1000).toISOString(),
        expires_at: new Date(t.claims.exp * 1000).toISOString(),
      };
    }),
  );
}
