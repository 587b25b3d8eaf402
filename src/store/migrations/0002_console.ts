/**
 * The admin console's tables: server-side sessions and the per-email sign-in lockout. The
 * two-factor secret and recovery codes live on `entities` (columns reserved by 0001), so a
 * sandbox refresh copies them with the entity.
 *
 * A session names its entity with a cascading foreign key: when the entity goes (a sandbox
 * refresh deletes and re-copies every entity), its sessions go too, so a session can never
 * silently become another person's whose entity got the same id.
 */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../context.ts';

export function consoleMigration(dialect: Dialect): Migration {
  const bool = dialect === 'postgres' ? 'boolean' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('console_sessions')
        .addColumn('id_hash', 'text', (c) => c.primaryKey())
        .addColumn('stage', 'text', (c) => c.notNull())
        .addColumn('email_lc', 'text', (c) => c.notNull())
        .addColumn('candidates', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text')
        .addColumn('entity_id', 'integer')
        .addColumn('role_id', 'integer')
        .addColumn('two_factor_done', bool, (c) => c.notNull())
        .addColumn('pending_totp_secret', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addForeignKeyConstraint(
          'console_sessions_entity_fk',
          ['account_id', 'entity_id'],
          'entities',
          ['account_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();
      await db.schema
        .createIndex('console_sessions_expires_at')
        .on('console_sessions')
        .column('expires_at')
        .execute();
      await db.schema
        .createIndex('console_sessions_entity')
        .on('console_sessions')
        .columns(['account_id', 'entity_id'])
        .execute();

      // Keyed by email, not by entity: unknown emails are counted too, so a lockout says
      // nothing about which emails exist.
      await db.schema
        .createTable('console_sign_in_failures')
        .addColumn('email_lc', 'text', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint')
        .execute();
    },
  };
}
