/**
 * Operations: the cluster settings every node checks at start (the key-check value of the
 * signing-key secret, the issuer base), and what keeps the audit trail bounded: a count for
 * repeated identical failures folded into one row (`fold_key`, unique while it folds), the
 * time of the first one (`at` is the last one's), and an index on `at` for the retention purge.
 */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../context.ts';

export function operationsMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .alterTable('audit_events')
        .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();
      await db.schema.alterTable('audit_events').addColumn('first_at', 'bigint').execute();
      await db.schema.alterTable('audit_events').addColumn('fold_key', 'text').execute();
      // NULL (every row that does not fold) never conflicts: only folding rows are unique.
      await db.schema
        .createIndex('audit_events_fold_key')
        .unique()
        .on('audit_events')
        .column('fold_key')
        .execute();
      await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
    },
  };
}
