import { conflict } from '../../domain/errors.ts';
import type { Integration } from '../../domain/integration.ts';
import { type StoreContext, uniqueViolation } from '../context.ts';
import type { IntegrationStore } from '../ports.ts';
import type { DbBool } from '../schema.ts';
import { nextId } from './ids.ts';
import { updateOwned } from './owned-rows.ts';
import { prepare } from './prepared.ts';
import { toIntegration } from './rows.ts';

/** Every column but the secret hash: it is written once and never read back through this port. */
const COLUMNS = [
  'account_id',
  'id',
  'name',
  'state',
  'client_id',
  'application_id',
  'm2m_grant',
  'scopes',
  'created_at',
  'mtls_binding',
  'dpop_mode',
] as const;

export function integrationStore(ctx: StoreContext): IntegrationStore {
  const byId = prepare(ctx.db, 2, (accountId: string, id: number) =>
    ctx.db
      .selectFrom('integrations')
      .select(COLUMNS)
      .where('account_id', '=', accountId)
      .where('id', '=', id),
  );
  const byClientId = prepare(ctx.db, 2, (accountId: string, clientId: string) =>
    ctx.db
      .selectFrom('integrations')
      .select(COLUMNS)
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId),
  );
  const get: IntegrationStore['get'] = async (accountId, id) => {
    const r = (await byId(accountId, id)).rows[0];
    return r ? toIntegration(r) : null;
  };

  return {
    create: (input) =>
      createOrConflict(input.accountId, () =>
        ctx.write(async (trx, touch) => {
          const id = await nextId(trx, input.accountId, 'next_integration_id');
          await trx
            .insertInto('integrations')
            .values({
              account_id: input.accountId,
              id,
              name: input.name,
              state: input.state,
              client_id: input.clientId,
              client_secret_hash: input.clientSecretHash,
              application_id: input.applicationId,
              m2m_grant: ctx.bool(input.m2mGrant),
              scopes: JSON.stringify(input.scopes),
              created_at: input.createdAt,
              mtls_binding: input.mtlsBinding ?? 'off',
              dpop_mode: input.dpop ?? 'off',
            })
            .execute();
          touch(input.accountId);
          return {
            accountId: input.accountId,
            id,
            name: input.name,
            state: input.state,
            clientId: input.clientId,
            applicationId: input.applicationId,
            m2mGrant: input.m2mGrant,
            scopes: [...input.scopes],
            createdAt: input.createdAt,
            mtlsBinding: input.mtlsBinding ?? 'off',
            dpop: input.dpop ?? 'off',
          };
        }),
      ),

    get,

    async getByClientId(accountId, clientId) {
      const r = (await byClientId(accountId, clientId)).rows[0];
      return r ? toIntegration(r) : null;
    },

    async list(accountId) {
      const rows = await ctx.db
        .selectFrom('integrations')
        .select(COLUMNS)
        .where('account_id', '=', accountId)
        .orderBy('id')
        .execute();
      return rows.map(toIntegration);
    },

    async update(accountId, id, patch) {
      const found = await ctx.write(async (trx, touch) => {
        const set: {
          name?: string;
          state?: string;
          m2m_grant?: DbBool;
          scopes?: string;
          mtls_binding?: string;
          dpop_mode?: string;
        } = {};
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.state !== undefined) set.state = patch.state;
        if (patch.m2mGrant !== undefined) set.m2m_grant = ctx.bool(patch.m2mGrant);
        if (patch.scopes !== undefined) set.scopes = JSON.stringify(patch.scopes);
        if (patch.mtlsBinding !== undefined) set.mtls_binding = patch.mtlsBinding;
        if (patch.dpop !== undefined) set.dpop_mode = patch.dpop;
        return updateOwned(trx, touch, 'integrations', accountId, id, set);
      });
      return found ? get(accountId, id) : null;
    },
  };
}

/** A client id is unique within its account: a clash is a conflict, not a driver error. */
async function createOrConflict(
  accountId: string,
  create: () => Promise<Integration>,
): Promise<Integration> {
  try {
    return await create();
  } catch (e) {
    const v = uniqueViolation(e);
    if (v === 'integrations_client_id_unique' || v?.includes('integrations.client_id')) {
      throw conflict(
        'integration.client_id_taken',
        `account ${accountId} already has an integration with this client id`,
      );
    }
    throw e;
  }
}
