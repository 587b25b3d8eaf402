import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { AUDIT_FOLD_WINDOW_MS, type AuditEvent, foldsInAudit } from '../../domain/audit.ts';
import type { StoreContext } from '../context.ts';
import type { AuditStore } from '../ports.ts';
import type { AuditEventsTable, Database } from '../schema.ts';
import { type Prepared, prepare } from './prepared.ts';
import { num, toAuditEvent } from './rows.ts';

/** Rows per INSERT: 14 columns × 500 stays far below both dialects' bound-parameter limits. */
const CHUNK = 500;
/** `list` never returns more than this, whatever the caller asks. */
export const AUDIT_LIST_MAX = 1000;

const COLUMNS = 14;

type AuditInsert = Omit<AuditEventsTable, 'id'>;

/** One row to write: the event, how many identical failures it stands for, and its fold key. */
interface Row {
  event: AuditEvent;
  count: number;
  lastAt: number;
  foldKey: string | null;
}

/**
 * The key identical failures fold under: everything the row says except its time, plus the
 * fold window the failure falls in. Hashed, so a long junk client id makes no long index key.
 */
function foldKeyOf(e: AuditEvent): string {
  const window = Math.floor(e.at / AUDIT_FOLD_WINDOW_MS);
  const fields = [
    window,
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
  ];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/**
 * The rows of a batch, in event order: a folding failure whose key already occurred in the
 * batch adds to that row instead of making one (one statement may not upsert a key twice).
 */
function rowsOf(events: readonly AuditEvent[]): Row[] {
  const out: Row[] = [];
  const byKey = new Map<string, Row>();
  for (const event of events) {
    if (!foldsInAudit(event)) {
      out.push({ event, count: 1, lastAt: event.at, foldKey: null });
      continue;
    }
    const foldKey = foldKeyOf(event);
    const seen = byKey.get(foldKey);
    if (seen) {
      seen.count += 1;
      seen.lastAt = Math.max(seen.lastAt, event.at);
      continue;
    }
    const row = { event, count: 1, lastAt: event.at, foldKey };
    byKey.set(foldKey, row);
    out.push(row);
  }
  return out;
}

/** The rows as flat insert arguments, column by column, row after row. */
const flatten = (rows: readonly Row[]): unknown[] =>
  rows.flatMap(({ event: e, count, lastAt, foldKey }) => [
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
    count,
    lastAt,
    foldKey,
  ]);

/** Inverse of `flatten`, typed for the builder (only ever called with sentinels by `prepare`). */
function inserts(args: readonly unknown[]): AuditInsert[] {
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
      number,
      number,
      string | null,
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
      count: a[11],
      last_at: a[12],
      fold_key: a[13],
    });
  }
  return out;
}

export function auditStore(ctx: StoreContext): AuditStore {
  const later = sql.raw(ctx.dialect === 'postgres' ? 'greatest' : 'max');
  // One compiled multi-row INSERT per batch size seen (at most CHUNK of them). A row with a
  // fold key that is already stored adds its count to the stored row instead (rows without a
  // key, NULL, never conflict): one statement, atomic on both dialects and across nodes.
  const statements = new Map<number, Prepared<unknown[], unknown>>();
  const insert = (db: Kysely<Database>, rows: readonly Row[]) => {
    let q = statements.get(rows.length);
    if (!q) {
      q = prepare<unknown[], unknown>(ctx.db, rows.length * COLUMNS, (...args) =>
        ctx.db
          .insertInto('audit_events')
          .values(inserts(args))
          .onConflict((oc) =>
            oc.column('fold_key').doUpdateSet({
              count: (eb) => eb('audit_events.count', '+', eb.ref('excluded.count')),
              last_at: sql<number>`${later}(audit_events.last_at, excluded.last_at)`,
            }),
          ),
      );
      statements.set(rows.length, q);
    }
    return q.on(db, ...flatten(rows));
  };
  return {
    /**
     * One multi-row INSERT per 500 rows, all in one transaction. Ids come from the sequence /
     * rowid in VALUES order, so they follow the order of `events`.
     */
    async append(events) {
      if (events.length === 0) return;
      const rows = rowsOf(events);
      if (rows.length <= CHUNK) {
        await insert(ctx.db, rows);
        return;
      }
      await ctx.db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += CHUNK) {
          await insert(trx, rows.slice(i, i + CHUNK));
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

    async purgeBefore(before, limit) {
      const r = await ctx.db
        .deleteFrom('audit_events')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('audit_events')
            .select('id')
            .where('at', '<', before)
            .orderBy('at')
            .limit(Math.max(1, Math.floor(limit))),
        )
        .executeTakeFirst();
      return num(r.numDeletedRows);
    },
  };
}
