import type { StoreContext } from '../context.ts';
import type { RevokedTokenStore } from '../ports.ts';
import { prepare } from './prepared.ts';
import { num } from './rows.ts';

export function revokedTokenStore(ctx: StoreContext): RevokedTokenStore {
  const find = prepare(ctx.db, 2, (accountId: string, jti: string) =>
    ctx.db
      .selectFrom('revoked_tokens')
      .select('jti')
      .where('account_id', '=', accountId)
      .where('jti', '=', jti),
  );
  return {
    async add(accountId, jti, expiresAt) {
      await ctx.db
        .insertInto('revoked_tokens')
        .values({ account_id: accountId, jti, expires_at: expiresAt })
        .onConflict((oc) => oc.columns(['account_id', 'jti']).doNothing())
        .execute();
    },

    async isRevoked(accountId, jti) {
      return (await find(accountId, jti)).rows.length > 0;
    },

    async purgeExpired(now) {
      const r = await ctx.db
        .deleteFrom('revoked_tokens')
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return num(r.numDeletedRows);
    },
  };
}
