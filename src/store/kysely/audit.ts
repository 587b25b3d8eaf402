import type { StoreContext } from '../context.ts';
import type { AuditStore } from '../ports.ts';
import { toAuditEvent } from './rows.ts';

/** Rows per INSERT: 12 columns × 500 stays far below both dialects' bound-parameter limits. */
const CHUNK = 500;
/** `list` never returns more than this, whatever the caller asks. */
export const AUDIT_LIST_MAX = 1000;

export function auditStore(ctx: StoreContext): AuditStore {
  return {
    /**
     * One multi-row INSERT per 500 events, all in one transaction. Ids come from the sequence /
     * rowid in VALUES order, so they follow the order of `events`.
     */
    async append(events) {
      if (events.length === 0) return;
      const rows = events.map((e) => ({
        at: e.at,
        account_id: e.accountId,
        type: e.type,
        result: e.result,
        detail: e.detail,
        client_id: e.clientId,
        certificate_id: e.certificateId,
        entity_id: e.entityId,
        role_id: e.roleId,
        remote_address: e.remoteAddress,
        actor: e.actor,
      }));
      if (rows.length <= CHUNK) {
        await ctx.db.insertInto('audit_events').values(rows).execute();
        return;
      }
      await ctx.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += CHUNK) {
          await trx
            .insertInto('audit_events')
            .values(rows.slice(i, i + CHUNK))
            .execute();
        }
      });
    },

    async list(f) {
      const limit = Math.max(0, Math.min(Math.floor(f.limit), AUDIT_LIST_MAX));
      if (limit === 0) return [];
      const rows = await ctx.db
        .selectFrom('audit_events')
        .selectAll()
        .where('account_id', '=', f.accountId)
        .$if(f.result !== undefined, (q) => q.where('result', '=', f.result ?? ''))
        .$if(f.detail !== undefined, (q) => q.where('detail', '=', f.detail ?? ''))
        .$if(f.clientId !== undefined, (q) => q.where('client_id', '=', f.clientId ?? ''))
        .$if(f.type !== undefined, (q) => q.where('type', '=', f.type ?? ''))
        .$if(f.from !== undefined, (q) => q.where('at', '>=', f.from ?? 0))
        .$if(f.to !== undefined, (q) => q.where('at', '<', f.to ?? 0))
        .$if(f.before !== undefined, (q) => q.where('id', '<', f.before ?? 0))
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toAuditEvent);
    },
  };
}
