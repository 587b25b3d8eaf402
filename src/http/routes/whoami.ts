/** A protected resource: who the bearer token speaks for. */
import type { FastifyInstance } from 'fastify';
import { requireBearer } from '../bearer.ts';
import { inAccount } from './account-param.ts';

export async function whoamiRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  app.get(
    '/services/rest/whoami',
    inAccount(ctx, 'Bearer', async (accountId, req, reply) => {
      const t = await requireBearer(ctx, req, accountId);
      const [entity, role, mapping] = await Promise.all([
        ctx.cache.entity(accountId, t.entityId),
        ctx.cache.role(accountId, t.roleId),
        ctx.cache.mapping(t.claims.cid),
      ]);
      const integration = mapping
        ? await ctx.cache.integration(accountId, mapping.mapping.integrationId)
        : null;
      reply.header('cache-control', 'no-store');
      return {
        account: accountId,
        entity: { id: t.entityId, name: entity?.name ?? null },
        role: { id: t.roleId, name: role?.name ?? null },
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
