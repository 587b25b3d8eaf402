import { sql } from 'kysely';
import { notFound } from '../../domain/errors.ts';
import {
  ADMINISTRATOR_ROLE_ID,
  ADMINISTRATOR_ROLE_NAME,
  ALL_PERMISSIONS,
} from '../../domain/permissions.ts';
import type { StoreContext, Tx } from '../context.ts';
import type { AccountStore, RefreshResult } from '../ports.ts';
import { num, toAccount } from './rows.ts';

const ACCOUNT_COLUMNS = ['id', 'kind', 'parent_id', 'created_at', 'refreshed_at'] as const;

export function accountStore(ctx: StoreContext): AccountStore {
  return {
    create: (account) =>
      ctx.write(async (trx, touch) => {
        const r = await trx
          .insertInto('accounts')
          .values({
            id: account.id,
            kind: account.kind,
            parent_id: account.parentId,
            created_at: account.createdAt,
            refreshed_at: account.refreshedAt,
            next_entity_id: 1,
            next_role_id: 1000,
            next_integration_id: 1,
          })
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        if (num(r.numInsertedOrUpdatedRows ?? 0n) === 0) return false;
        await trx
          .insertInto('roles')
          .values({
            account_id: account.id,
            id: ADMINISTRATOR_ROLE_ID,
            name: ADMINISTRATOR_ROLE_NAME,
            active: ctx.bool(true),
            permissions: JSON.stringify(ALL_PERMISSIONS),
          })
          .execute();
        touch(account.id);
        return true;
      }),

    async get(id) {
      const r = await ctx.db
        .selectFrom('accounts')
        .select(ACCOUNT_COLUMNS)
        .where('id', '=', id)
        .executeTakeFirst();
      return r ? toAccount(r) : null;
    },

    async list() {
      const rows = await ctx.db
        .selectFrom('accounts')
        .select(ACCOUNT_COLUMNS)
        .orderBy('id')
        .execute();
      return rows.map(toAccount);
    },

    refreshSandbox: (sandboxId, productionId, now) =>
      ctx.write(async (trx, touch) => {
        const result = await refresh(ctx, trx, sandboxId, productionId, now);
        touch(sandboxId);
        return result;
      }),
  };
}

async function refresh(
  ctx: StoreContext,
  trx: Tx,
  sandboxId: string,
  productionId: string,
  now: number,
): Promise<RefreshResult> {
  // Lock both account rows (PostgreSQL) so no create in either account interleaves with the copy.
  const accounts = await trx
    .selectFrom('accounts')
    .select(['id', 'next_entity_id', 'next_role_id', 'next_integration_id'])
    .where('id', 'in', [sandboxId, productionId])
    .orderBy('id')
    .$if(ctx.forUpdate, (q) => q.forUpdate())
    .execute();
  const production = accounts.find((a) => a.id === productionId);
  if (!accounts.some((a) => a.id === sandboxId)) {
    throw notFound('account.not_found', `account ${sandboxId} does not exist`);
  }
  if (!production || sandboxId === productionId) {
    throw notFound('account.not_found', `production account ${productionId} does not exist`);
  }

  // Take the sandbox's integration rows too: a mapping create in the sandbox holds its
  // integration's lock until it commits, so after this no create is half-way (its mapping is
  // visible to the delete below) and none can start (it would find its integration gone).
  await trx
    .selectFrom('integrations')
    .select('id')
    .where('account_id', '=', sandboxId)
    .$if(ctx.forUpdate, (q) => q.forUpdate())
    .execute();

  // Clear the sandbox: children before parents (foreign keys).
  const cleared = await trx
    .deleteFrom('mappings')
    .where('account_id', '=', sandboxId)
    .executeTakeFirst();
  await trx.deleteFrom('signing_keys').where('account_id', '=', sandboxId).execute();
  await trx.deleteFrom('revoked_tokens').where('account_id', '=', sandboxId).execute();
  await trx.deleteFrom('role_assignments').where('account_id', '=', sandboxId).execute();
  await trx.deleteFrom('entities').where('account_id', '=', sandboxId).execute();
  await trx.deleteFrom('roles').where('account_id', '=', sandboxId).execute();
  await trx.deleteFrom('integrations').where('account_id', '=', sandboxId).execute();

  // Copy production, same ids. `cast(? as text)`: PostgreSQL cannot type a bare parameter in a
  // SELECT list.
  const sb = sql<string>`cast(${sandboxId} as text)`.as('account_id');
  const entities = await trx
    .insertInto('entities')
    .columns([
      'account_id',
      'id',
      'name',
      'email',
      'email_lc',
      'type',
      'active',
      'password_hash',
      'totp_secret',
      'recovery_codes',
    ])
    .expression(
      trx
        .selectFrom('entities')
        .select([
          sb,
          'id',
          'name',
          'email',
          'email_lc',
          'type',
          'active',
          'password_hash',
          'totp_secret',
          'recovery_codes',
        ])
        .where('account_id', '=', productionId),
    )
    .executeTakeFirst();
  const roles = await trx
    .insertInto('roles')
    .columns(['account_id', 'id', 'name', 'active', 'permissions'])
    .expression(
      trx
        .selectFrom('roles')
        .select([sb, 'id', 'name', 'active', 'permissions'])
        .where('account_id', '=', productionId),
    )
    .executeTakeFirst();
  await trx
    .insertInto('role_assignments')
    .columns(['account_id', 'entity_id', 'role_id'])
    .expression(
      trx
        .selectFrom('role_assignments')
        .select([sb, 'entity_id', 'role_id'])
        .where('account_id', '=', productionId),
    )
    .execute();
  const integrations = await trx
    .insertInto('integrations')
    .columns([
      'account_id',
      'id',
      'name',
      'state',
      'client_id',
      'client_secret_hash',
      'application_id',
      'm2m_grant',
      'scopes',
      'created_at',
      'mtls_binding',
      'dpop_mode',
    ])
    .expression(
      trx
        .selectFrom('integrations')
        .select([
          sb,
          'id',
          'name',
          'state',
          'client_id',
          'client_secret_hash',
          'application_id',
          'm2m_grant',
          'scopes',
          'created_at',
          'mtls_binding',
          'dpop_mode',
        ])
        .where('account_id', '=', productionId),
    )
    .executeTakeFirst();

  // The sandbox continues production's id sequences: copied ids must never be handed out again.
  await trx
    .updateTable('accounts')
    .set({
      refreshed_at: now,
      next_entity_id: production.next_entity_id,
      next_role_id: production.next_role_id,
      next_integration_id: production.next_integration_id,
    })
    .where('id', '=', sandboxId)
    .execute();

  return {
    entities: num(entities.numInsertedOrUpdatedRows ?? 0n),
    roles: num(roles.numInsertedOrUpdatedRows ?? 0n),
    integrations: num(integrations.numInsertedOrUpdatedRows ?? 0n),
    mappingsCleared: num(cleared.numDeletedRows),
  };
}
