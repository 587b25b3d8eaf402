import { notFound } from '../../domain/errors.ts';
import { type StoreContext, uniqueViolation } from '../context.ts';
import type { CreateMappingResult, MappingStore } from '../ports.ts';
import { prepare } from './prepared.ts';
import { fromMapping, num, toMapping } from './rows.ts';

/** Which result a unique violation on `mappings` means (PostgreSQL: constraint, SQLite: column). */
function takenBy(violated: string): CreateMappingResult | null {
  if (violated === 'mappings_pkey' || violated === 'mappings.certificate_id') {
    return 'certificate_taken';
  }
  if (violated === 'mappings_public_key_id_unique' || violated === 'mappings.public_key_id') {
    return 'key_taken';
  }
  return null;
}

export function mappingStore(ctx: StoreContext): MappingStore {
  const byId = prepare(ctx.db, 1, (certificateId: string) =>
    ctx.db.selectFrom('mappings').selectAll().where('certificate_id', '=', certificateId),
  );
  return {
    /**
     * One transaction: lock the integration, check both global uniqueness rules, count active
     * mappings, insert.
     *
     * - PostgreSQL (READ COMMITTED): `SELECT … FOR UPDATE` on the integration row queues every
     *   create for that integration behind the lock holder; each statement after the lock sees
     *   all rows committed before it, so the count is exact and the limit cannot be overshot.
     *   Two creates of one certificate into *different* integrations do not share a lock: both
     *   may pass the existence check, and then the unique indexes decide — the second insert
     *   waits for the first transaction and fails with 23505, mapped to *_taken below.
     * - SQLite: the transaction is BEGIN IMMEDIATE (sqlite/driver.ts), which holds the
     *   database's single write lock from the first statement, across connections and
     *   processes, so check-then-insert is atomic.
     */
    async create(mapping, maxActive, now) {
      try {
        return await ctx.write(async (trx, touch): Promise<CreateMappingResult> => {
          const integration = await trx
            .selectFrom('integrations')
            .select('id')
            .where('account_id', '=', mapping.accountId)
            .where('id', '=', mapping.integrationId)
            .$if(ctx.forUpdate, (q) => q.forUpdate())
            .executeTakeFirst();
          if (!integration) {
            throw notFound(
              'integration.not_found',
              `integration ${mapping.integrationId} does not exist in account ${mapping.accountId}`,
            );
          }
          const existing = await trx
            .selectFrom('mappings')
            .select('certificate_id')
            .where((eb) =>
              eb.or([
                eb('certificate_id', '=', mapping.certificateId),
                eb('public_key_id', '=', mapping.publicKeyId),
              ]),
            )
            .execute();
          if (existing.some((r) => r.certificate_id === mapping.certificateId)) {
            return 'certificate_taken';
          }
          if (existing.length > 0) return 'key_taken';
          const active = await trx
            .selectFrom('mappings')
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .where('account_id', '=', mapping.accountId)
            .where('integration_id', '=', mapping.integrationId)
            .where('revoked_at', 'is', null)
            .where('valid_until', '>', now)
            .executeTakeFirstOrThrow();
          if (num(active.n) >= maxActive) return 'limit_reached';
          await trx
            .insertInto('mappings')
            .values(fromMapping(mapping, ctx.bool.bind(ctx)))
            .execute();
          touch(mapping.accountId);
          return 'created';
        });
      } catch (e) {
        const violated = uniqueViolation(e);
        const result = violated === null ? null : takenBy(violated);
        if (result) return result;
        throw e;
      }
    },

    async get(certificateId) {
      const r = (await byId(certificateId)).rows[0];
      return r ? toMapping(r) : null;
    },

    async list(accountId) {
      const rows = await ctx.db
        .selectFrom('mappings')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .orderBy('certificate_id')
        .execute();
      return rows.map(toMapping);
    },

    revoke: (accountId, certificateId, at, by) =>
      ctx.write(async (trx, touch) => {
        const r = await trx
          .updateTable('mappings')
          .set({ revoked_at: at, revoked_by: by })
          .where('certificate_id', '=', certificateId)
          .where('account_id', '=', accountId)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        if (num(r.numUpdatedRows) === 0) return false;
        touch(accountId);
        return true;
      }),
  };
}
