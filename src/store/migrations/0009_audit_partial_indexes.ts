/**
 * Audit indexes that successes do not enter. Every token request appends a success row whose
 * `fold_key` and `detail` are NULL; both dialects put NULLs in a B-tree index like any value, so
 * each success wrote an entry into the unique fold-key index and the (account, detail, id) index
 * that no query ever reads: a fold-key lookup (`fold_key IN (…)`) and the detail filter
 * (`detail = ?`) only ever look for non-NULL values. As partial indexes (`WHERE … IS NOT NULL`)
 * they serve the same queries — an equality on a column implies it is not NULL, which both
 * planners use to pick a partial index (SQLite: "The Partial Index Optimization"; PostgreSQL:
 * predicate implication of strict operators) — and a success row touches two B-trees fewer.
 * The fold upsert names the predicate in its conflict target (audit.ts).
 */
import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';

export function auditPartialIndexesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('audit_events_fold_key').execute();
      await db.schema
        .createIndex('audit_events_fold_key')
        .unique()
        .on('audit_events')
        .column('fold_key')
        .where(sql.ref('fold_key'), 'is not', null)
        .execute();
      await db.schema.dropIndex('audit_events_account_detail').execute();
      await db.schema
        .createIndex('audit_events_account_detail')
        .on('audit_events')
        .columns(['account_id', 'detail', 'id'])
        .where(sql.ref('detail'), 'is not', null)
        .execute();
    },
  };
}
