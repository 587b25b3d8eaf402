import type { Entity } from '../../domain/entity.ts';
import type { StoreContext, Tx } from '../context.ts';
import type { EntityStore } from '../ports.ts';
import { type DbBool, fromDbBool } from '../schema.ts';
import { nextId } from './ids.ts';
import { ownedExists, updateOwned } from './owned-rows.ts';
import { prepare } from './prepared.ts';
import { entityTypeOf, num } from './rows.ts';

interface EntityRoleRow {
  account_id: string;
  id: number;
  name: string;
  email: string | null;
  type: string;
  active: DbBool;
  has_password: DbBool;
  role_id: number | null;
}

/** The entity and the role both exist in the account (assignments never dangle). */
const bothExist = async (trx: Tx, accountId: string, entityId: number, roleId: number) =>
  (await ownedExists(trx, 'entities', accountId, entityId)) &&
  (await ownedExists(trx, 'roles', accountId, roleId));

/** Folds entity ⟕ role_assignments rows (ordered by entity) into entities with their role ids. */
function fold(rows: readonly EntityRoleRow[]): Entity[] {
  const out: Entity[] = [];
  let last: Entity | undefined;
  for (const r of rows) {
    if (!last || last.id !== num(r.id) || last.accountId !== r.account_id) {
      last = {
        accountId: r.account_id,
        id: num(r.id),
        name: r.name,
        email: r.email,
        type: entityTypeOf(r.type),
        active: fromDbBool(r.active),
        roleIds: [],
        hasPassword: fromDbBool(r.has_password),
      };
      out.push(last);
    }
    if (r.role_id !== null) last.roleIds.push(num(r.role_id));
  }
  return out;
}

export function entityStore(ctx: StoreContext): EntityStore {
  // One statement per read (the token endpoint reads an entity per request): the join brings
  // the role ids, and the hash itself never leaves the database on this path.
  const withRoles = () =>
    ctx.db
      .selectFrom('entities as e')
      .leftJoin('role_assignments as ra', (j) =>
        j.onRef('ra.account_id', '=', 'e.account_id').onRef('ra.entity_id', '=', 'e.id'),
      )
      .select((eb) => [
        'e.account_id',
        'e.id',
        'e.name',
        'e.email',
        'e.type',
        'e.active',
        eb('e.password_hash', 'is not', null).$castTo<DbBool>().as('has_password'),
        'ra.role_id',
      ])
      .orderBy('e.account_id')
      .orderBy('e.id')
      .orderBy('ra.role_id');

  const byId = prepare(ctx.db, 2, (accountId: string, id: number) =>
    withRoles().where('e.account_id', '=', accountId).where('e.id', '=', id),
  );
  const get = async (accountId: string, id: number): Promise<Entity | null> =>
    fold((await byId(accountId, id)).rows)[0] ?? null;

  return {
    create: (input) =>
      ctx.write(async (trx, touch) => {
        const id = await nextId(trx, input.accountId, 'next_entity_id');
        await trx
          .insertInto('entities')
          .values({
            account_id: input.accountId,
            id,
            name: input.name,
            email: input.email,
            email_lc: input.email === null ? null : input.email.toLowerCase(),
            type: input.type,
            active: ctx.bool(input.active),
            password_hash: null,
            totp_secret: null,
            recovery_codes: null,
          })
          .execute();
        touch(input.accountId);
        return {
          accountId: input.accountId,
          id,
          name: input.name,
          email: input.email,
          type: input.type,
          active: input.active,
          roleIds: [],
          hasPassword: false,
        };
      }),

    get,

    async list(accountId) {
      return fold(await withRoles().where('e.account_id', '=', accountId).execute());
    },

    async findByEmail(email) {
      return fold(await withRoles().where('e.email_lc', '=', email.toLowerCase()).execute());
    },

    async update(accountId, id, patch) {
      const changed = await ctx.write(async (trx, touch) => {
        const set: {
          name?: string;
          email?: string | null;
          email_lc?: string | null;
          type?: string;
          active?: DbBool;
        } = {};
        if (patch.name !== undefined) set.name = patch.name;
        if (patch.email !== undefined) {
          set.email = patch.email;
          set.email_lc = patch.email === null ? null : patch.email.toLowerCase();
        }
        if (patch.type !== undefined) set.type = patch.type;
        if (patch.active !== undefined) set.active = ctx.bool(patch.active);
        return updateOwned(trx, touch, 'entities', accountId, id, set);
      });
      return changed ? get(accountId, id) : null;
    },

    assignRole: (accountId, entityId, roleId) =>
      ctx.write(async (trx, touch) => {
        if (!(await bothExist(trx, accountId, entityId, roleId))) return false;
        const r = await trx
          .insertInto('role_assignments')
          .values({ account_id: accountId, entity_id: entityId, role_id: roleId })
          .onConflict((oc) => oc.columns(['account_id', 'entity_id', 'role_id']).doNothing())
          .executeTakeFirst();
        if (num(r.numInsertedOrUpdatedRows ?? 0n) > 0) touch(accountId);
        return true;
      }),

    unassignRole: (accountId, entityId, roleId) =>
      ctx.write(async (trx, touch) => {
        if (!(await bothExist(trx, accountId, entityId, roleId))) return false;
        const r = await trx
          .deleteFrom('role_assignments')
          .where('account_id', '=', accountId)
          .where('entity_id', '=', entityId)
          .where('role_id', '=', roleId)
          .executeTakeFirst();
        if (num(r.numDeletedRows) > 0) touch(accountId);
        return true;
      }),

    setPasswordHash: (accountId, id, hash) =>
      ctx.write(async (trx, touch) => {
        const r = await trx
          .updateTable('entities')
          .set({ password_hash: hash })
          .where('account_id', '=', accountId)
          .where('id', '=', id)
          .executeTakeFirst();
        if (num(r.numUpdatedRows) === 0) return false;
        touch(accountId);
        return true;
      }),

    async getPasswordHash(accountId, id) {
      const r = await ctx.db
        .selectFrom('entities')
        .select('password_hash')
        .where('account_id', '=', accountId)
        .where('id', '=', id)
        .executeTakeFirst();
      return r?.password_hash ?? null;
    },
  };
}
