import type { Kysely } from 'kysely';
import type { AuditEvent } from '../../domain/audit.ts';
import type { StoreContext } from '../context.ts';
import type { AuditStore } from '../ports.ts';
import type { AuditEventsTable, Database } from '../schema.ts';
import { type Prepared, prepare } from './prepared.ts';
import { toAuditEvent } from './rows.ts';

/** Rows per INSERT: 12 columns × 500 stays far below both dialects' bound-parameter limits. */
const CHUNK = 500;
/** `list` never returns more than this, whatever the caller asks. */
export const AUDIT_LIST_MAX = 1000;

const COLUMNS = 11;

type AuditInsert = Omit<AuditEventsTable, 'id'>;

/** The events as flat insert arguments, column by column, row after row. */
const flatten = (events: readonly AuditEvent[]): unknown[] =>
  events.flatMap((e) => [
    e.at,
    e.accountId,
    e.type,
    e.result,
    e.detail,
    e.clientId,
    e.certificateId,
    e.entityId,
    e.roleId,
    e.remoteAddress,
    e.actor,
  ]);

/** Inverse of `flatten`, typed for the builder (only ever called with sentinels by `prepare`). */
function rows(args: readonly unknown[]): AuditInsert[] {
  const out: AuditInsert[] = [];
  for (let i = 0; i < args.length; i += COLUMNS) {
    const a = args.slice(i, i + COLUMNS) as [
      number,
      string,
      string,
      string,
      string | null,
      string | null,
      string | null,
      number | null,
      number | null,
      string | null,
      number | null,
    ];
    out.push({
      at: a[0],
      account_id: a[1],
      type: a[2],
      result: a[3],
      detail: a[4],
      client_id: a[5],
      certificate_id: a[6],
      entity_id: a[7],
      role_id: a[8],
      remote_address: a[9],
      actor: a[10],
    });
  }
  return out;
}

export function auditStore(ctx: StoreContext): AuditStore {
  // One compiled multi-row INSERT per batch size seen (at most CHUNK of them).
  const inserts = new Map<number, Prepared<unknown[], unknown>>();
  const insert = (db: Kysely<Database>, events: readonly AuditEvent[]) => {
    let q = inserts.get(events.length);
    if (!q) {
      q = prepare<unknown[], unknown>(ctx.db, events.length * COLUMNS, (...args) =>
        ctx.db.insertInto('audit_events').values(rows(args)),
      );
      inserts.set(events.length, q);
    }
    return q.on(db, ...flatten(events));
  };
  return {
    /**
     * One multi-row INSERT per 500 events, all in one transaction. Ids come from the sequence /
     * rowid in VALUES order, so they follow the order of `events`.
     */
    async append(events) {
      if (events.length === 0) return;
      if (events.length <= CHUNK) {
        await insert(ctx.db, events);
        return;
      }
      await ctx.db.transaction().execute(async (trx) => {
        for (let i = 0; i < events.length; i += CHUNK) {
          await insert(trx, events.slice(i, i + CHUNK));
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
