import { createHash } from 'node:crypto';
import { type CompiledQuery, type Kysely, sql } from 'kysely';
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

/** One row to write: the newest event, how many identical failures it stands for, since when. */
export interface Row {
  event: AuditEvent;
  count: number;
  firstAt: number;
  foldKey: string | null;
}

/**
 * The fold key of identical failures: everything the row says except its time, plus the fold
 * window the failure falls in. Hashed, so a long junk client id makes no long index key.
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

/** One event's row before any folding: counted once, first seen at its own time. */
export const rowOf = (event: AuditEvent, foldKey: string | null): Row => ({
  event,
  count: 1,
  firstAt: event.at,
  foldKey,
});

/**
 * The rows of a batch, in event order, where a folding failure repeated within the batch is
 * one row at the place of its last occurrence (one statement may not upsert a key twice).
 */
export function rowsOf(events: readonly AuditEvent[]): Row[] {
  const placed: Array<{ row: Row; last: number }> = [];
  const byKey = new Map<string, { row: Row; last: number }>();
  events.forEach((event, i) => {
    const foldKey = foldsInAudit(event) ? foldKeyOf(event) : null;
    const seen = foldKey === null ? undefined : byKey.get(foldKey);
    if (seen) {
      seen.row.count += 1;
      seen.row.firstAt = Math.min(seen.row.firstAt, event.at);
      seen.row.event = event;
      seen.last = i;
      return;
    }
    const entry = { row: rowOf(event, foldKey), last: i };
    if (foldKey !== null) byKey.set(foldKey, entry);
    placed.push(entry);
  });
  return placed.sort((a, b) => a.last - b.last).map((p) => p.row);
}

/**
 * The rows as flat insert arguments, column by column, row after row. One array filled in place:
 * the token endpoint's commit runs this for every batch (`flatMap` made an array per row).
 */
export function flatten(rows: readonly Row[]): unknown[] {
  const out: unknown[] = new Array(rows.length * COLUMNS);
  let i = 0;
  for (const { event: e, count, firstAt, foldKey } of rows) {
    out[i++] = e.at;
    out[i++] = e.accountId;
    out[i++] = e.type;
    out[i++] = e.result;
    out[i++] = e.detail;
    out[i++] = e.clientId;
    out[i++] = e.certificateId;
    out[i++] = e.entityId;
    out[i++] = e.roleId;
    out[i++] = e.remoteAddress;
    out[i++] = e.actor;
    out[i++] = count;
    out[i++] = firstAt;
    out[i++] = foldKey;
  }
  return out;
}

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
      first_at: a[12],
      fold_key: a[13],
    });
  }
  return out;
}

/** PostgreSQL: deadlock detected. Two nodes folding overlapping keys in another order. */
const DEADLOCK = '40P01';

/**
 * Inserts up to CHUNK rows in one statement on `db` (the store or a transaction of it): one
 * compiled multi-row INSERT per batch size seen (at most CHUNK of them). A folding row whose
 * key a concurrent writer stored meanwhile (after our DELETE, see `append`) adds to that row
 * instead: rows without a key (NULL) never conflict.
 */
export interface AuditInserter {
  (db: Kysely<Database>, rows: readonly Row[]): Promise<unknown>;
  /** The compiled INSERT of `rows`, for a synchronous run (StoreContext.syncWrite). */
  compiled(rows: readonly Row[]): CompiledQuery;
}

export function auditInserter(ctx: StoreContext): AuditInserter {
  const [earlier, later] =
    ctx.dialect === 'postgres'
      ? [sql.raw('least'), sql.raw('greatest')]
      : [sql.raw('min'), sql.raw('max')];
  const statements = new Map<number, Prepared<unknown[], unknown>>();
  const statementFor = (rows: readonly Row[]): Prepared<unknown[], unknown> => {
    let q = statements.get(rows.length);
    if (!q) {
      q = prepare<unknown[], unknown>(ctx.db, rows.length * COLUMNS, (...args) =>
        ctx.db
          .insertInto('audit_events')
          .values(inserts(args))
          .onConflict((oc) =>
            // The unique index is partial (migration 0009): the conflict target names its
            // predicate, or neither dialect would match the upsert to that index. Literal SQL:
            // a bound NULL would shift the prepared statement's parameters (prepared.ts).
            oc
              .column('fold_key')
              .where(sql<boolean>`fold_key is not null`)
              .doUpdateSet({
                count: (eb) => eb('audit_events.count', '+', eb.ref('excluded.count')),
                at: sql<number>`${later}(audit_events.at, excluded.at)`,
                first_at: sql<number>`${earlier}(audit_events.first_at, excluded.first_at)`,
              }),
          ),
      );
      statements.set(rows.length, q);
    }
    return q;
  };
  const insert = (db: Kysely<Database>, rows: readonly Row[]) =>
    statementFor(rows).on(db, ...flatten(rows));
  insert.compiled = (rows: readonly Row[]) => statementFor(rows).compiled(flatten(rows));
  return insert;
}

export function auditStore(ctx: StoreContext): AuditStore {
  const insert = auditInserter(ctx);

  /**
   * Folding rows replace the stored row of their key: deleted (its count, first time and, when
   * later, its time carried over) and inserted anew, so the folded row is the newest and lists first. In one
   * transaction; PostgreSQL row locks make concurrent folds of one key add up.
   */
  const appendFolding = (rows: readonly Row[]) =>
    ctx.db.transaction().execute(async (trx) => {
      const byKey = new Map(rows.flatMap((r) => (r.foldKey === null ? [] : [[r.foldKey, r]])));
      const keys = [...byKey.keys()];
      for (let i = 0; i < keys.length; i += CHUNK) {
        const gone = await trx
          .deleteFrom('audit_events')
          .where('fold_key', 'in', keys.slice(i, i + CHUNK))
          .returning(['fold_key', 'count', 'at', 'first_at'])
          .execute();
        for (const g of gone) {
          const row = g.fold_key === null ? undefined : byKey.get(g.fold_key);
          if (!row) continue;
          row.count += num(g.count);
          row.firstAt = Math.min(row.firstAt, num(g.first_at ?? g.at));
          // The newest time wins, as in the conflict upsert: two nodes folding one failure may
          // commit their events out of time order.
          if (num(g.at) > row.event.at) row.event = { ...row.event, at: num(g.at) };
        }
      }
      for (let i = 0; i < rows.length; i += CHUNK) await insert(trx, rows.slice(i, i + CHUNK));
    });

  return {
    /**
     * One multi-row INSERT per 500 rows, all in one transaction. Ids come from the sequence /
     * rowid in VALUES order, so they follow the order of `events` (a folded row: its newest).
     */
    async append(events) {
      if (events.length === 0) return;
      const rows = rowsOf(events);
      if (rows.some((r) => r.foldKey !== null)) {
        // Two nodes folding overlapping keys in another order can deadlock on PostgreSQL: the
        // server aborts one transaction, which then simply runs again.
        for (let attempt = 1; ; attempt++) {
          try {
            await appendFolding(rows.map((r) => ({ ...r })));
            return;
          } catch (e) {
            if ((e as { code?: unknown }).code !== DEADLOCK || attempt >= 3) throw e;
          }
        }
      }
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
