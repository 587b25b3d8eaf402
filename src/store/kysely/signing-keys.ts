import type { StoreContext } from '../context.ts';
import type { SigningKeyStore } from '../ports.ts';
import { num, toSigningKey } from './rows.ts';

export function signingKeyStore(ctx: StoreContext): SigningKeyStore {
  return {
    async list(accountId) {
      const rows = await ctx.db
        .selectFrom('signing_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc')
        .execute();
      return rows.map(toSigningKey);
    },

    /**
     * Serialized per account: PostgreSQL locks the account row (`FOR UPDATE`), so a second
     * `onlyIfNone` rotation waits and then sees the first one's key; SQLite's BEGIN IMMEDIATE
     * holds the database's write lock for the whole transaction.
     */
    rotate: (key, onlyIfNone) =>
      ctx.write(async (trx, touch) => {
        await trx
          .selectFrom('accounts')
          .select('id')
          .where('id', '=', key.accountId)
          .$if(ctx.forUpdate, (q) => q.forUpdate())
          .execute();
        if (onlyIfNone) {
          const current = await trx
            .selectFrom('signing_keys')
            .select('kid')
            .where('account_id', '=', key.accountId)
            .where('retired_at', 'is', null)
            .executeTakeFirst();
          if (current) return false;
        }
        await trx
          .updateTable('signing_keys')
          .set({ retired_at: key.createdAt })
          .where('account_id', '=', key.accountId)
          .where('retired_at', 'is', null)
          .execute();
        await trx
          .insertInto('signing_keys')
          .values({
            account_id: key.accountId,
            kid: key.kid,
            alg: key.alg,
            public_jwk: key.publicJwk,
            private_key_encrypted: key.privateKeyEncrypted,
            created_at: key.createdAt,
            retired_at: key.retiredAt,
          })
          .execute();
        touch(key.accountId);
        return true;
      }),

    purgeRetired: (accountId, before) =>
      ctx.write(async (trx, touch) => {
        const r = await trx
          .deleteFrom('signing_keys')
          .where('account_id', '=', accountId)
          .where('retired_at', 'is not', null)
          .where('retired_at', '<', before)
          .executeTakeFirst();
        const n = num(r.numDeletedRows);
        if (n > 0) touch(accountId);
        return n;
      }),

    async newest() {
      const row = await ctx.db
        .selectFrom('signing_keys')
        .selectAll()
        .orderBy('created_at', 'desc')
        .orderBy('kid', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row ? toSigningKey(row) : null;
    },
  };
}
