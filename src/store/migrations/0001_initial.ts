/**
 * The initial schema, written once for both dialects. Differences are confined to column types:
 * booleans (PostgreSQL `boolean`, SQLite integer 0/1) and the audit id (bigserial vs. SQLite's
 * rowid alias, which is what makes `INTEGER PRIMARY KEY AUTOINCREMENT` cheap and monotonic).
 */
import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../context.ts';

export function initialMigration(dialect: Dialect): Migration {
  const bool = dialect === 'postgres' ? 'boolean' : 'integer';
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('parent_id', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('refreshed_at', 'bigint')
        .addColumn('next_entity_id', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('next_role_id', 'integer', (c) => c.notNull().defaultTo(1000))
        .addColumn('next_integration_id', 'integer', (c) => c.notNull().defaultTo(1))
        .execute();

      await db.schema
        .createTable('entities')
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('email_lc', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('active', bool, (c) => c.notNull())
        .addColumn('password_hash', 'text')
        .addColumn('totp_secret', 'text')
        .addColumn('recovery_codes', 'text')
        .addPrimaryKeyConstraint('entities_pkey', ['account_id', 'id'])
        .execute();
      await db.schema.createIndex('entities_email_lc').on('entities').column('email_lc').execute();

      await db.schema
        .createTable('roles')
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('active', bool, (c) => c.notNull())
        .addColumn('permissions', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('roles_pkey', ['account_id', 'id'])
        .execute();

      await db.schema
        .createTable('role_assignments')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'integer', (c) => c.notNull())
        .addColumn('role_id', 'integer', (c) => c.notNull())
        .addPrimaryKeyConstraint('role_assignments_pkey', ['account_id', 'entity_id', 'role_id'])
        .addForeignKeyConstraint(
          'role_assignments_entity_fk',
          ['account_id', 'entity_id'],
          'entities',
          ['account_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .addForeignKeyConstraint(
          'role_assignments_role_fk',
          ['account_id', 'role_id'],
          'roles',
          ['account_id', 'id'],
          (c) => c.onDelete('cascade'),
        )
        .execute();

      await db.schema
        .createTable('integrations')
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('id', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret_hash', 'text', (c) => c.notNull())
        .addColumn('application_id', 'text', (c) => c.notNull())
        .addColumn('m2m_grant', bool, (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('integrations_pkey', ['account_id', 'id'])
        .addUniqueConstraint('integrations_client_id_unique', ['account_id', 'client_id'])
        .execute();

      // Certificate and public-key ids are unique across every account, forever (a certificate
      // can never be mapped twice): the constraints are global, not per account.
      await db.schema
        .createTable('mappings')
        .addColumn('certificate_id', 'text', (c) => c.notNull())
        .addColumn('public_key_id', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('integration_id', 'integer', (c) => c.notNull())
        .addColumn('entity_id', 'integer', (c) => c.notNull())
        .addColumn('role_id', 'integer', (c) => c.notNull())
        .addColumn('pem', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('serial_number', 'text', (c) => c.notNull())
        .addColumn('algorithm', 'text', (c) => c.notNull())
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('key_size', 'integer', (c) => c.notNull())
        .addColumn('curve', 'text')
        .addColumn('valid_from', 'bigint', (c) => c.notNull())
        .addColumn('valid_until', 'bigint', (c) => c.notNull())
        .addColumn('shortened', bool, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'integer')
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_by', 'integer')
        .addPrimaryKeyConstraint('mappings_pkey', ['certificate_id'])
        .addUniqueConstraint('mappings_public_key_id_unique', ['public_key_id'])
        .addForeignKeyConstraint(
          'mappings_integration_fk',
          ['account_id', 'integration_id'],
          'integrations',
          ['account_id', 'id'],
        )
        .addForeignKeyConstraint('mappings_entity_fk', ['account_id', 'entity_id'], 'entities', [
          'account_id',
          'id',
        ])
        .addForeignKeyConstraint('mappings_role_fk', ['account_id', 'role_id'], 'roles', [
          'account_id',
          'id',
        ])
        .execute();
      await db.schema
        .createIndex('mappings_account_integration')
        .on('mappings')
        .columns(['account_id', 'integration_id'])
        .execute();

      // Append-only and written on every token request: no foreign key, so an audit row never
      // fails (or waits) because of the records it describes.
      await db.schema
        .createTable('audit_events')
        .addColumn('id', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
          dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
        )
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('result', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .addColumn('client_id', 'text')
        .addColumn('certificate_id', 'text')
        .addColumn('entity_id', 'integer')
        .addColumn('role_id', 'integer')
        .addColumn('remote_address', 'text')
        .addColumn('actor', 'integer')
        .execute();
      for (const cols of [['id'], ['detail', 'id'], ['client_id', 'id'], ['at']]) {
        await db.schema
          .createIndex(`audit_events_account_${cols[0]}`)
          .on('audit_events')
          .columns(['account_id', ...cols])
          .execute();
      }

      await db.schema
        .createTable('replay')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('replay_expires_at').on('replay').column('expires_at').execute();

      await db.schema
        .createTable('signing_keys')
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('accounts.id').onDelete('cascade'),
        )
        .addColumn('kid', 'text', (c) => c.notNull())
        .addColumn('alg', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('private_key_encrypted', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .addPrimaryKeyConstraint('signing_keys_pkey', ['account_id', 'kid'])
        .execute();

      await db.schema
        .createTable('revoked_tokens')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('jti', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('revoked_tokens_pkey', ['account_id', 'jti'])
        .execute();
      await db.schema
        .createIndex('revoked_tokens_expires_at')
        .on('revoked_tokens')
        .column('expires_at')
        .execute();
    },
  };
}
