/**
 * Rows that belong to an account and are addressed by (account_id, id): entities, roles,
 * integrations. The one place that updates such a row and announces the change.
 */
import type { UpdateObject } from 'kysely';
import type { Touch, Tx } from '../context.ts';
import type { Database } from '../schema.ts';
import { num } from './rows.ts';

type Owned = 'entities' | 'roles' | 'integrations';

/**
 * Applies `set` to the row; announces the account when the row changed. True when the row
 * exists (an empty `set` changes nothing and is not checked: the caller's read decides).
 */
export async function updateOwned<T extends Owned>(
  trx: Tx,
  touch: Touch,
  table: T,
  accountId: string,
  id: number,
  set: UpdateObject<Database, T>,
): Promise<boolean> {
  if (Object.keys(set).length === 0) return true;
  // Kysely cannot type `.set` over a generic table name; `set` was typed for `T` by the caller.
  const r = await trx
    .updateTable(table as Owned)
    .set(set as UpdateObject<Database, Owned>)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (num(r.numUpdatedRows) === 0) return false;
  touch(accountId);
  return true;
}

/** True when the account has a row with this id. */
export async function ownedExists(
  trx: Tx,
  table: 'entities' | 'roles',
  accountId: string,
  id: number,
): Promise<boolean> {
  const row = await trx
    .selectFrom(table)
    .select('id')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined;
}
