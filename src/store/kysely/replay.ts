import type { StoreContext } from '../context.ts';
import type { ReplayStore } from '../ports.ts';
import { replayDigest } from '../replay-key.ts';
import { prepare } from './prepared.ts';
import { num } from './rows.ts';

export function replayStore(ctx: StoreContext): ReplayStore {
  const claim = prepare(ctx.db, 3, (key: string, expiresAt: number, now: number) =>
    ctx.db
      .insertInto('replay')
      .values({ key, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column('key')
          .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
          .where('replay.expires_at', '<=', now),
      ),
  );
  return {
    // Every key is stored as its digest (replay-key.ts): callers keep readable keys.
    /**
     * One statement, atomic on both dialects:
     *   INSERT … ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
     *     WHERE replay.expires_at <= now
     * A fresh key inserts (1 row). A live key conflicts and the WHERE is false (0 rows): a
     * replay. A key whose record has expired but not yet been purged is taken over (1 row), so
     * a key is unique exactly until its expiresAt, whether or not purge has run. Concurrent
     * claims of one key serialize on its unique index: exactly one sees 1 row.
     */
    async claim(key, expiresAt) {
      const r = await claim(replayDigest(key), expiresAt, ctx.clock.now());
      return num(r.numAffectedRows ?? 0n) === 1;
    },

    async claimMany(readable) {
      if (readable.length === 0) return [];
      const entries = readable.map((e) => ({ key: replayDigest(e.key), expiresAt: e.expiresAt }));
      const now = ctx.clock.now();
      if (entries.length === 1) {
        const [e] = entries as [{ key: string; expiresAt: number }];
        return [num((await claim(e.key, e.expiresAt, now)).numAffectedRows ?? 0n) === 1];
      }
      // Insert in key order: two PostgreSQL transactions claiming overlapping keys then lock
      // them in the same order and cannot deadlock.
      const order = entries
        .map((_, i) => i)
        .sort((a, b) => {
          const x = entries[a]?.key ?? '';
          const y = entries[b]?.key ?? '';
          return x < y ? -1 : x > y ? 1 : a - b;
        });
      return ctx.db.transaction().execute(async (trx) => {
        const out = new Array<boolean>(entries.length).fill(false);
        for (const i of order) {
          const e = entries[i];
          if (!e) continue;
          const r = await claim.on(trx, e.key, e.expiresAt, now);
          out[i] = num(r.numAffectedRows ?? 0n) === 1;
        }
        return out;
      });
    },

    async purgeExpired(now) {
      const r = await ctx.db.deleteFrom('replay').where('expires_at', '<=', now).executeTakeFirst();
      return num(r.numDeletedRows);
    },

    /** A range scan of the replay_expires_at index: cheap enough for every metrics scrape. */
    async countLive(now) {
      const r = await ctx.db
        .selectFrom('replay')
        .select((eb) => eb.fn.countAll<number | string | bigint>().as('n'))
        .where('expires_at', '>', now)
        .executeTakeFirstOrThrow();
      return num(r.n);
    },
  };
}
