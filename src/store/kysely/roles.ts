import type { StoreContext } from '../context.ts';
import type { RoleStore } from '../ports.ts';
import type { DbBool } from '../schema.ts';
import { nextId } from './ids.ts';
import { updateOwned } from './owned-rows.ts';
import { prepare } from './prepared.ts';
import { toRole } from './rows.ts';

export function roleStore(ctx: StoreContext): RoleStore {
  const byId = prepare(ctx.db, 2, (accountId: string, id: number) =>
    ctx.db.selectFrom('roles').selectAll().where('account_id', '=', accountId).where('id', '=', id),
  );
  const get: RoleStore['get'] = async (accountId, id) => {
    const r = (await byId(accountId, id)).rows[0];
    return r ? toRole(r) : null;
  };

  return {
    create: (input) =>
      ctx.write(async (trx, touch) => {
        const id = await nextId(trx, input.accountId, 'next_role_id');
        await trx
          .insertInto('roles')
          .values({
            account_id: input.accountId,
            id,
            name: input.name,
            active: ctx.bool(input.active),
            permissions: JSON.stringify(input.permissions),
          })
          .execute();
        touch(input.accountId);
        return {
          accountId: input.accountId,
          id,
          name: input.name,
          active: input.active,
          permissions: [...input.permissions],
        };
      }),

    get,

    async list(accountId) {
      const rows = await ctx.db
        .selectFrom('roles')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('id')
        .execute();
      return rows.map(toRole);
    },

    async update(accountId, id, patch) {
      const found = await ctx.write(async (trx, touch) => {
        const set: { name?: string; active?: DbBool; permissions?: string } = {};
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.active !== undefined) set.active = ctx.bool(patch.active);
        if (patch.permissions !== undefined) set.permissions = JSON.stringify(patch.permissions);
        return updateOwned(trx, touch, 'roles', accountId, id, set);
      });
      return found ? get(accountId, id) : null;
    },
  };
}
