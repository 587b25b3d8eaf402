/**
 * Admin API (JSON) under /api/v1. Authenticated by a bearer token of the account (any scope)
 * whose role holds the needed permission; the console adds its session as another way in
 * (request.certmintActor). Permissions are checked in the service layer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../../service/context.ts';
import { actorOf, requireBearer } from '../bearer.ts';
import type { AppContext } from '../context.ts';
import { auditListSchema, mappingListSchema, mappingRevokeSchema } from '../schemas.ts';
import { inAccount } from './account-param.ts';
import { adminIntegrationRoutes } from './admin-integrations.ts';

const API = { errorBody: 'api' } as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the console's session hook when a signed-in user calls the API. */
    certmintActor?: Actor;
  }
}

async function actorFor(ctx: AppContext, req: FastifyRequest, accountId: string): Promise<Actor> {
  if (req.certmintActor) return req.certmintActor;
  return actorOf(await requireBearer(ctx, req, accountId));
}

export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  const { records } = ctx.services;

  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await app.register(adminIntegrationRoutes, { actorFor });

  app.get(
    '/accounts/:accountId/audit',
    { schema: auditListSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      const q = req.query as Record<string, string | undefined>;
      const events = await records.listAudit(actor, {
        accountId,
        ...(q.result !== undefined && { result: q.result }),
        ...(q.detail !== undefined && { detail: q.detail }),
        ...(q.client_id !== undefined && { clientId: q.client_id }),
        ...(q.type !== undefined && { type: q.type }),
        ...(q.from !== undefined && { from: q.from }),
        ...(q.to !== undefined && { to: q.to }),
        ...(q.before !== undefined && { before: q.before }),
        ...(q.limit !== undefined && { limit: q.limit }),
      });
      const last = events.at(-1);
      return {
        events: events.map((e) => ({
          ...e,
          at: new Date(e.at).toISOString(),
          ...(e.firstAt !== undefined && { firstAt: new Date(e.firstAt).toISOString() }),
        })),
        next: last?.id !== undefined ? `?before=${last.id}` : null,
      };
    }),
  );

  app.get(
    '/accounts/:accountId/mappings',
    { schema: mappingListSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      const list = await records.listMappings(actor, accountId);
      return list.map(({ pem: _pem, ...m }) => m);
    }),
  );

  app.post(
    '/accounts/:accountId/mappings/:certificateId/revoke',
    { schema: mappingRevokeSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      const { certificateId } = req.params as { certificateId: string };
      const m = await records.revokeMapping(actor, accountId, certificateId);
      return {
        certificateId: m.certificateId,
        revokedAt: new Date(m.revokedAt ?? 0).toISOString(),
      };
    }),
  );
}
