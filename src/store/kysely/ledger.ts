/**
 * The token endpoint's writes of one event-loop turn — replay claims and audit rows — in one
 * commit instead of one per kind:
 *
 * - SQLite: one `BEGIN IMMEDIATE … COMMIT` holding one multi-row claim statement and one
 *   multi-row audit INSERT. A commit costs far more than a row (docs/performance.md).
 * - PostgreSQL: one statement, so one round trip and one implicit transaction: the claims and
 *   the audit rows travel as arrays (`unnest`), the audit INSERT is a data-modifying CTE beside
 *   the claim INSERT. The SQL text never changes with the batch size, so the server parses one
 *   text only.
 *
 * The claim is ReplayStore.claim's upsert (see replay.ts), of the key's digest like there, with
 * `RETURNING key`: a fresh key
 * and an expired one come back, a live one does not (its WHERE is false, nothing is updated).
 * Keys are de-duplicated first (PostgreSQL refuses to upsert one key twice in a statement; the
 * first occurrence wins, later ones are replays) and sorted, so two nodes' batches lock
 * overlapping keys in one order and cannot deadlock.
 *
 * A claim may carry the request's success record (`onWin`), stored in the same commit if and only
 * if that claim is won — and a second one, for a DPoP request (`onWinAlso`): on SQLite inserted
 * after the claim statement, in its transaction, for the keys that came back; on PostgreSQL in
 * the same statement, filtered by the claim CTE's `RETURNING` rows. Only a key's first entry can
 * win, so only its record can be written.
 *
 * An audit row that folds (a repeated failure, see audit.ts) needs a read-modify-write: such a
 * batch writes its claims first, then its events through AuditStore.append. A success record
 * never folds, so the records riding on claims are always written inline.
 */
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import { type AuditEvent, foldsInAudit } from '../../domain/audit.ts';
import type { StoreContext } from '../context.ts';
import type { AuditStore, LedgerClaim, LedgerStore, ReplayClaim } from '../ports.ts';
import { replayDigest } from '../replay-key.ts';
import type { Database } from '../schema.ts';
import { auditInserter, flatten, type Row, rowOf, rowsOf } from './audit.ts';
import { type Prepared, prepare } from './prepared.ts';

/** Distinct keys in sorted order, and for each entry the index of its key (−1: a repeat). */
function distinct(claims: readonly ReplayClaim[]): { keys: ReplayClaim[]; first: boolean[] } {
  const seen = new Set<string>();
  const first = claims.map((c) => {
    if (seen.has(c.key)) return false;
    seen.add(c.key);
    return true;
  });
  const keys = claims.filter((_, i) => first[i]).sort((a, b) => (a.key < b.key ? -1 : 1));
  return { keys, first };
}

/** One answer per entry: its key came back from the statement, and it was its first entry. */
const answers = (claims: readonly ReplayClaim[], first: boolean[], won: Set<string>) =>
  claims.map((c, i) => (first[i] ?? false) && won.has(c.key));

/** A record riding on claims: stored if `key` is claimed here, and `also` when not null. */
interface Riding {
  key: string;
  also: string | null;
  row: Row;
}

/**
 * The records riding on claims, each with the stored keys it needs: first entries only (a repeat
 * loses). A record that also needs a second entry whose key repeats an earlier one is not stored
 * at all: that entry loses, whatever the statement returns for its key.
 */
function ridingRecords(
  entries: readonly LedgerClaim[],
  claims: readonly ReplayClaim[],
  first: readonly boolean[],
): Riding[] {
  const out: Riding[] = [];
  entries.forEach((e, i) => {
    const key = claims[i]?.key;
    if (!e.onWin || !first[i] || key === undefined) return;
    let also: string | null = null;
    if (e.onWinAlso !== undefined) {
      const j = e.onWinAlso;
      const alsoKey = claims[j]?.key;
      if (alsoKey === undefined || j === i) {
        throw new Error(`ledger: onWinAlso ${j} of claim ${i} names no other claim of the batch`);
      }
      if (!first[j]) return;
      also = alsoKey;
    }
    out.push({ key, also, row: recordRow(e.onWin) });
  });
  return out;
}

/** SQLite: one multi-row upsert per batch size, `RETURNING key`; its compiled query. */
function sqliteClaimer(ctx: StoreContext) {
  const statements = new Map<number, Prepared<unknown[], { key: string }>>();
  return (keys: readonly ReplayClaim[], now: number): CompiledQuery<{ key: string }> => {
    let q = statements.get(keys.length);
    if (!q) {
      const n = keys.length;
      q = prepare<unknown[], { key: string }>(ctx.db, 2 * n + 1, (...args) =>
        ctx.db
          .insertInto('replay')
          .values(
            Array.from({ length: n }, (_, i) => ({
              key: args[2 * i] as string,
              expires_at: args[2 * i + 1] as number,
            })),
          )
          .onConflict((oc) =>
            oc
              .column('key')
              .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
              .where('replay.expires_at', '<=', args[2 * n] as number),
          )
          .returning('key'),
      );
      if (statements.size >= 500) statements.clear();
      statements.set(n, q);
    }
    const args: unknown[] = new Array(2 * keys.length + 1);
    keys.forEach((k, i) => {
      args[2 * i] = k.key;
      args[2 * i + 1] = k.expiresAt;
    });
    args[2 * keys.length] = now;
    return q.compiled(args);
  };
}

/** The audit columns in `flatten` order, with their PostgreSQL array types. */
const PG_AUDIT_COLUMNS: ReadonlyArray<[string, string]> = [
  ['at', 'bigint'],
  ['account_id', 'text'],
  ['type', 'text'],
  ['result', 'text'],
  ['detail', 'text'],
  ['client_id', 'text'],
  ['certificate_id', 'text'],
  ['entity_id', 'integer'],
  ['role_id', 'integer'],
  ['remote_address', 'text'],
  ['actor', 'integer'],
  ['count', 'integer'],
  ['first_at', 'bigint'],
  ['fold_key', 'text'],
];

/**
 * PostgreSQL: claims and audit rows in one statement (one round trip). `needs[i]`, `needsAlso[i]`:
 * the keys row i is the record of (written only if each is claimed here), null for none.
 */
function postgresCommit(
  db: Kysely<Database>,
  keys: readonly ReplayClaim[],
  rows: readonly Row[],
  needs: readonly (string | null)[],
  needsAlso: readonly (string | null)[],
  now: number,
) {
  const flat = flatten(rows);
  const width = PG_AUDIT_COLUMNS.length;
  const columns = PG_AUDIT_COLUMNS.map((_, c) => {
    const out: unknown[] = [];
    for (let i = c; i < flat.length; i += width) out.push(flat[i]);
    return out;
  });
  const arrays = sql.join(
    PG_AUDIT_COLUMNS.map(([, type], c) => sql`${columns[c]}::${sql.raw(type)}[]`),
  );
  const names = sql.raw(PG_AUDIT_COLUMNS.map(([name]) => name).join(', '));
  return sql<{ key: string }>`
    with claimed as (
      insert into replay (key, expires_at)
      select * from unnest(${keys.map((k) => k.key)}::text[], ${keys.map((k) => k.expiresAt)}::bigint[])
      on conflict (key) do update set expires_at = excluded.expires_at
      where replay.expires_at <= ${now}
      returning key
    ), logged as (
      insert into audit_events (${names})
      select ${names}
      from unnest(${arrays}, ${needs}::text[], ${needsAlso}::text[]) as u(${names}, needs, also)
      where (u.needs is null or u.needs in (select key from claimed))
        and (u.also is null or u.also in (select key from claimed))
    )
    select key from claimed`.execute(db);
}

/** The row of a success record riding on a claim (never a folding one). */
function recordRow(event: AuditEvent): Row {
  if (foldsInAudit(event)) throw new Error('ledger: a folding event cannot ride on a claim');
  return rowOf(event, null);
}

export function ledgerStore(ctx: StoreContext, audit: AuditStore): LedgerStore {
  const claimSqlite = sqliteClaimer(ctx);
  const insertAudit = auditInserter(ctx);
  return {
    async commit(entries, events) {
      const now = ctx.clock.now();
      // Stored as digests (replay-key.ts); answers are per entry, so nothing maps them back.
      const claims = entries.map((c) => ({ key: replayDigest(c.key), expiresAt: c.expiresAt }));
      const { keys, first } = distinct(claims);
      const riding = ridingRecords(entries, claims, first);
      const rows = rowsOf(events);
      const folding = rows.some((r) => r.foldKey !== null);
      const inline = folding ? [] : rows;
      let won: Set<string>;
      if (keys.length === 0 && inline.length === 0) {
        won = new Set();
      } else if (ctx.dialect === 'postgres') {
        const r = await postgresCommit(
          ctx.db,
          keys,
          [...inline, ...riding.map((x) => x.row)],
          [...inline.map(() => null), ...riding.map((x) => x.key)],
          [...inline.map(() => null), ...riding.map((x) => x.also)],
          now,
        );
        won = new Set(r.rows.map((row) => row.key));
      } else {
        if (!ctx.syncWrite) throw new Error('ledger: a SQLite store without syncWrite');
        // One BEGIN IMMEDIATE … COMMIT whose statements run synchronously (sqlite/driver.ts).
        won = await ctx.syncWrite((run) => {
          const w =
            keys.length > 0
              ? new Set(run<{ key: string }>(claimSqlite(keys, now)).rows.map((row) => row.key))
              : new Set<string>();
          const stored = (x: Riding) => w.has(x.key) && (x.also === null || w.has(x.also));
          const all = [...inline, ...riding.filter(stored).map((x) => x.row)];
          // audit.ts inserts at most 500 rows per statement (bound-parameter limits).
          for (let i = 0; i < all.length; i += 500) {
            run(insertAudit.compiled(all.slice(i, i + 500)));
          }
          return w;
        });
      }
      if (folding) await audit.append(events);
      return answers(claims, first, won);
    },
  };
}
