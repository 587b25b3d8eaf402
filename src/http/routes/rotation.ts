/**
 * NetSuite's certificate rotation API (clients/{clientId}/certificates), JSON shapes as
 * NetSuite's. Bearer token with the rest_webservices scope. A role with
 * oauth2_authorized_apps_management manages every certificate of the account; a role with only
 * oauth2_manage_own_certificates manages the certificates of the token's own entity.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, invalidInput } from '../../domain/errors.ts';
import type { Mapping } from '../../domain/mapping.ts';
import { roleHas } from '../../domain/permissions.ts';
import type { Actor } from '../../service/context.ts';
import { createMapping, listMappings, revokeMapping } from '../../service/index.ts';
import { actorOf, requireBearer } from '../bearer.ts';
import type { AppContext } from '../context.ts';
import { inAccount } from './account-param.ts';

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

interface Caller {
  actor: Actor & { kind: 'entity' };
  /** null: all entities; else only this entity's certificates. */
  ownEntity: number | null;
}

async function caller(ctx: AppContext, req: FastifyRequest, accountId: string): Promise<Caller> {
  const token = await requireBearer(ctx, req, accountId, 'rest_webservices');
  const actor = (await actorOf(ctx, token)) as Actor & { kind: 'entity' };
  const role = { id: actor.roleId, permissions: [...actor.permissions] };
  if (roleHas(role, 'oauth2_authorized_apps_management')) return { actor, ownEntity: null };
  if (roleHas(role, 'oauth2_manage_own_certificates')) return { actor, ownEntity: actor.entityId };
  throw forbidden(
    'permission.missing',
    'your role needs "Manage own OAuth 2.0 Client Credentials Certificates" or "OAuth 2.0 Authorized Applications Management"',
  );
}

/**
 * The service layer checks oauth2_authorized_apps_management; for a manage-own caller the
 * entity restriction has been enforced here, so the call runs with that permission granted.
 */
const asManager = (a: Caller['actor']): Actor => ({
  ...a,
  permissions: [...a.permissions, 'oauth2_authorized_apps_management'],
});

export async function rotationRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.certmint;
  const base = '/services/rest/auth/oauth2/v1/clients/:clientId/certificates';

  app.get(
    base,
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const c = await caller(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      const views = await listMappings(ctx, asManager(c.actor), accountId);
      const integrations = await ctx.store.integrations.list(accountId);
      const integration = integrations.find((i) => i.clientId === clientId.toLowerCase());
      if (!integration) return [];
      const [entities, roles] = await Promise.all([
        ctx.store.entities.list(accountId),
        ctx.store.roles.list(accountId),
      ]);
      return views
        .filter((m) => m.integrationId === integration.id)
        .filter((m) => c.ownEntity === null || m.entityId === c.ownEntity)
        .map((m) => ({
          application: {
            id: integration.id,
            name: integration.name,
            url: `/app/common/integration/integrapp.nl?id=${integration.id}`,
            application_id: integration.applicationId,
          },
          entity: {
            id: m.entityId,
            name: entities.find((e) => e.id === m.entityId)?.name ?? null,
            url: `/app/common/entity/entity.nl?id=${m.entityId}`,
          },
          role: {
            id: m.roleId,
            name: roles.find((r) => r.id === m.roleId)?.name ?? null,
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
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const c = await caller(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      const body = req.body as { fileContent?: unknown; role?: unknown; entity?: unknown } | null;
      if (!body || typeof body.fileContent !== 'string') {
        throw invalidInput(
          'rotation.body',
          'send JSON {"fileContent": "<PEM>", "role": <id>, "entity": "<id>"}',
        );
      }
      const entityId = Number(body.entity);
      if (c.ownEntity !== null && entityId !== c.ownEntity) {
        throw forbidden(
          'permission.own_certificates_only',
          'your role may only manage its own certificates: use your own entity id',
        );
      }
      const m: Mapping = await createMapping(ctx, asManager(c.actor), {
        accountId,
        clientId,
        entityId: body.entity as number | string,
        roleId: body.role as number | string,
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
      };
    }),
  );

  app.post(
    `${base}/:certificateId/revoke`,
    inAccount(ctx, 'Bearer', async (accountId, req, reply) => {
      const c = await caller(ctx, req, accountId);
      const { clientId, certificateId } = req.params as { clientId: string; certificateId: string };
      const mapping = await ctx.store.mappings.get(certificateId);
      const integration = await ctx.store.integrations.getByClientId(
        accountId,
        clientId.toLowerCase(),
      );
      const visible =
        mapping &&
        mapping.accountId === accountId &&
        integration &&
        mapping.integrationId === integration.id &&
        (c.ownEntity === null || mapping.entityId === c.ownEntity);
      if (!visible) {
        return reply.code(404).send({
          error: 'mapping.not_found',
          message: `no certificate ${certificateId.slice(0, 60)} of client ${clientId.slice(0, 64)} that you may manage`,
        });
      }
      await revokeMapping(ctx, asManager(c.actor), accountId, certificateId);
      return reply.type('text/plain; charset=utf-8').send('Successfully revoked');
    }),
  );
}
