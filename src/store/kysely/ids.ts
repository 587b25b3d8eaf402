import { notFound } from '../../domain/errors.ts';
import type { Tx } from '../context.ts';
import { num } from './rows.ts';

type Counter = 'next_entity_id' | 'next_role_id' | 'next_integration_id';

/**
 * Hands out the next per-account id from the account row's counter, in the caller's
 * transaction. `UPDATE … RETURNING` is atomic on both dialects (on PostgreSQL it also locks the
 * account row until commit), so two parallel creates never get the same id, unlike max(id)+1.
 */
export async function nextId(trx: Tx, accountId: string, counter: Counter): Promise<number> {
  const row = await trx
    .updateTable('accounts')
    .set(counter, (eb) => eb(counter, '+', 1))
    .where('id', '=', accountId)
    .returning(counter)
    .executeTakeFirst();
  if (!row) throw notFound('account.not_found', `account ${accountId} does not exist`);
  return num(row[counter]) - 1;
}
