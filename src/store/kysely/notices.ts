import type { NoticeChannel, NoticeStatus } from '../../domain/notices.ts';
import type { StoreContext } from '../context.ts';
import type { NoticeDelivery, NoticeKey, NoticeStore } from '../ports.ts';
import type { NoticeDeliveriesTable } from '../schema.ts';
import { num, toMapping } from './rows.ts';

const toDelivery = (r: NoticeDeliveriesTable): NoticeDelivery => ({
  certificateId: r.certificate_id,
  thresholdDays: num(r.threshold_days),
  channel: r.channel as NoticeChannel,
  accountId: r.account_id,
  status: r.status as NoticeStatus,
  attempts: num(r.attempts),
  nextAttemptAt: r.next_attempt_at === null ? null : num(r.next_attempt_at),
  claimedAt: num(r.claimed_at),
  claimedBy: r.claimed_by,
  finishedAt: r.finished_at === null ? null : num(r.finished_at),
  lastError: r.last_error,
});

/** Errors are kept for the operator, bounded: a remote server chooses their text. */
const bounded = (error: string | null): string | null =>
  error === null ? null : error.slice(0, 500);

export function noticeStore(ctx: StoreContext): NoticeStore {
  const one = (key: NoticeKey) =>
    ctx.db
      .updateTable('notice_deliveries')
      .where('certificate_id', '=', key.certificateId)
      .where('threshold_days', '=', key.thresholdDays)
      .where('channel', '=', key.channel);

  return {
    async expiring(now, until) {
      const rows = await ctx.db
        .selectFrom('mappings')
        .selectAll()
        .where('revoked_at', 'is', null)
        .where('valid_until', '>', now)
        .where('valid_until', '<=', until)
        .orderBy('valid_until')
        .orderBy('certificate_id')
        .execute();
      return rows.map(toMapping);
    },

    /**
     * INSERT … ON CONFLICT DO NOTHING: concurrent claims of one key serialize on its primary
     * key (PostgreSQL: the second insert waits for the first transaction, then does nothing;
     * SQLite: one writer at a time), so exactly one insert reports a row.
     */
    async claim(key, accountId, now, leaseUntil, by) {
      const r = await ctx.db
        .insertInto('notice_deliveries')
        .values({
          certificate_id: key.certificateId,
          threshold_days: key.thresholdDays,
          channel: key.channel,
          account_id: accountId,
          status: 'sending',
          attempts: 1,
          next_attempt_at: leaseUntil,
          claimed_at: now,
          claimed_by: by,
          finished_at: null,
          last_error: null,
        })
        .onConflict((oc) => oc.columns(['certificate_id', 'threshold_days', 'channel']).doNothing())
        .executeTakeFirst();
      return num(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async due(now, limit) {
      const rows = await ctx.db
        .selectFrom('notice_deliveries')
        .selectAll()
        .where('status', 'in', ['retry', 'sending'])
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit)
        .execute();
      return rows.map(toDelivery);
    },

    /**
     * One conditional UPDATE: on PostgreSQL (READ COMMITTED) a second updater waits for the
     * first one's row lock and then re-checks the WHERE against the new row, whose attempt count
     * has moved on, so it updates nothing; SQLite runs one writer at a time.
     */
    async retake(key, attempts, now, leaseUntil, by) {
      const r = await one(key)
        .set({
          status: 'sending',
          attempts: attempts + 1,
          next_attempt_at: leaseUntil,
          claimed_by: by,
        })
        .where('attempts', '=', attempts)
        .where('status', 'in', ['retry', 'sending'])
        .where('next_attempt_at', '<=', now)
        .executeTakeFirst();
      return num(r.numUpdatedRows) === 1;
    },

    async finish(key, attempts, outcome) {
      const r = await one(key)
        .set({
          status: outcome.status,
          next_attempt_at: outcome.status === 'retry' ? outcome.nextAttemptAt : null,
          finished_at: outcome.status === 'retry' ? null : outcome.at,
          last_error: bounded(outcome.error),
        })
        .where('attempts', '=', attempts)
        .where('status', '=', 'sending')
        .executeTakeFirst();
      return num(r.numUpdatedRows) === 1;
    },

    async list(filter) {
      const rows = await ctx.db
        .selectFrom('notice_deliveries')
        .selectAll()
        .$if(filter.accountId !== undefined, (q) =>
          q.where('account_id', '=', filter.accountId as string),
        )
        .$if(filter.certificateId !== undefined, (q) =>
          q.where('certificate_id', '=', filter.certificateId as string),
        )
        .orderBy('claimed_at', 'desc')
        .orderBy('certificate_id')
        .orderBy('threshold_days')
        .orderBy('channel')
        .limit(filter.limit)
        .execute();
      return rows.map(toDelivery);
    },
  };
}
