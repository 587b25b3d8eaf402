/**
 * Admin API: integration records as JSON (list, one, change), so scripts can read and set, among
 * the rest, the mTLS binding (RFC 8705) without the console. Permissions are the service's:
 * reading with Integration Application or OAuth 2.0 Authorized Applications Management,
 * changing with Integration Application. The client secret is never part of any answer.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Integration } from '../../domain/integration.ts';
import type { Actor } from '../../service/context.ts';
import type { UpdateIntegrationInput } from '../../service/index.ts';
import type { AppContext } from '../context.ts';
import {
  integrationGetSchema,
  integrationListSchema,
  integrationUpdateSchema,
} from '../schemas-integrations.ts';
import { inAccount } from './account-param.ts';

/** How admin.ts finds the caller: the console session, else the bearer token. */
export type ActorFor = (ctx: AppContext, req: FastifyRequest, accountId: string) => Promise<Actor>;

const API = { errorBody: 'api' } as const;

/** The record as the admin API shows it (times ISO 8601, like the audit trail). */
const integrationJson = (i: Integration) => ({
  id: i.id,
  name: i.name,
  state: i.state,
  clientId: i.clientId,
  applicationId: i.applicationId,
  m2mGrant: i.m2mGrant,
  scopes: i.scopes,
  dpop: i.dpop,
  mtlsBinding: i.mtlsBinding,
  createdAt: new Date(i.createdAt).toISOString(),
});

export async function adminIntegrationRoutes(
  app: FastifyInstance,
  opts: { actorFor: ActorFor },
): Promise<void> {
  const { actorFor } = opts;
  const ctx = app.certmint;
  const { records } = ctx.services;

  app.get(
    '/accounts/:accountId/integrations',
    { schema: integrationListSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      return (await records.listIntegrations(actor, accountId)).map(integrationJson);
    }),
  );

  app.get(
    '/accounts/:accountId/integrations/:clientId',
    { schema: integrationGetSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      return integrationJson(await records.getIntegration(actor, accountId, clientId));
    }),
  );

  app.patch(
    '/accounts/:accountId/integrations/:clientId',
    { schema: integrationUpdateSchema, config: API },
    inAccount(ctx, 'Bearer', async (accountId, req) => {
      const actor = await actorFor(ctx, req, accountId);
      const { clientId } = req.params as { clientId: string };
      const patch = req.body as UpdateIntegrationInput;
      return integrationJson(await records.updateIntegration(actor, accountId, clientId, patch));
    }),
  );
}
