/**
 * NetSuite's certificate rotation API (clients/{clientId}/certificates), JSON shapes as
 * NetSuite's. Bearer token with the rest_webservices scope; what the caller may manage (all of
 * the integration's certificates, or only its own entity's) is decided by the service from the
 * token's role.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { OAUTH_PATH } from '../../domain/endpoints.ts';
import type { Actor } from '../../service/context.ts';
import { actorOf, requireBearer } from '../bearer.ts';
import type { AppContext } from '../context.ts';
import { rotationListSchema, rotationRevokeSchema, rotationUploadSchema } from '../schemas.ts';
import { inAccount } from './account-param.ts';

/** Refusals of this API are `{ error, message }`, as the admin API's. */
const API = { errorBody: 'api' } as const;

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function caller(ctx: AppContext, req: FastifyRequest, accountId: string): Promise<Actor> {
  return actorOf(await requireBearer(ctx, req, accountId, 'rest_webservices'));
}

export async function rotationRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  const certificates = ctx.services.certificates;
  const base = `${OAUTH_PATH}/clients/:clientId/certificates`;

  app.get(
    base,
    { schema: rotationListSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await caller(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      const found = await certificates.list(actor, accountId, clientId);
      if (!found) return [];
      const { integration, views } = found;
      return views.map((m) => ({
        application: {
          id: integration.id,
          name: integration.name,
          url: `/app/common/integration/integrapp.nl?id=${integration.id}`,
          application_id: integration.applicationId,
        },
        entity: {
          id: m.entityId,
          name: m.entityName,
          url: `/app/common/entity/entity.nl?id=${m.entityId}`,
        },
        role: {
          id: m.roleId,
          name: m.roleName,
          url: `/app/setup/role.nl?id=${m.roleId}`,
        },
        created: day(m.createdAt),
        valid_from: day(m.validFrom),
        valid_until: day(m.validUntil),
        revoked: m.revokedAt !== null,
        certificate_id: m.certificateId,
        algorithm: m.algorithm,
      }));
    }),
  );

  app.post(
    base,
    { schema: rotationUploadSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await caller(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      // The shape is the schema's (rotationUploadSchema): checked before the handler runs.
      const body = req.body as {
        fileContent: string;
        role: number | string;
        entity: number | string;
      };
      const m = await certificates.upload(actor, {
        accountId,
        clientId,
        entityId: body.entity,
        roleId: body.role,
        certificate: body.fileContent,
      });
      return {
        entity_role_id: { com: accountId, ent: m.entityId, rol: m.roleId },
        application_id: m.integrationId,
        certificate_id: m.certificateId,
        certificate: m.pem,
        algorithm: m.algorithm,
        created_at: day(m.createdAt),
        valid_from: day(m.validFrom),
        valid_until: day(m.validUntil),
        invalidated: false,
        // certmint's extension of NetSuite's shape: what the caller should know although the
        // certificate was accepted (codes and messages; empty when nothing).
        warnings: m.warnings.map((w) => ({ code: w.code, message: w.message })),
      };
    }),
  );

  app.post(
    `${base}/:certificateId/revoke`,
    { schema: rotationRevokeSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req, reply) => {
      const actor = await caller(ctx, req, accountId);
      const { clientId, certificateId } = req.params as { clientId: string; certificateId: string };
      await certificates.revoke(actor, accountId, clientId, certificateId);
      return reply.type('text/plain; charset=utf-8').send('Successfully revoked');
    }),
  );
}
