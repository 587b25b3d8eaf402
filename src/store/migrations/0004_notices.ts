/**
 * Certificate expiry notices: one row per delivery (certificate, threshold in days, channel).
 * The primary key is the claim: the node whose INSERT creates the row sends the notice, on every
 * node sharing the database. A row names its mapping with a cascading foreign key, so a sandbox
 * refresh (which deletes the sandbox's mappings) takes their notices with them.
 */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../context.ts';

export function noticesMigration(_dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('notice_deliveries')
        .addColumn('certificate_id', 'text', (c) =>
          c.notNull().references('mappings.certificate_id').onDelete('cascade'),
        )
        .addColumn('threshold_days', 'integer', (c) => c.notNull())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .addColumn('claimed_by', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'bigint')
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('notice_deliveries_pkey', [
          'certificate_id',
          'threshold_days',
          'channel',
        ])
        .execute();
      // The retry pass: deliveries still open, by when they are due.
      await db.schema
        .createIndex('notice_deliveries_due')
        .on('notice_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('notice_deliveries_account')
        .on('notice_deliveries')
        .columns(['account_id', 'claimed_at'])
        .execute();
      // The pass looks for active mappings by end of validity, in every account.
      await db.schema
        .createIndex('mappings_valid_until')
        .on('mappings')
        .column('valid_until')
        .execute();
    },
  };
}
