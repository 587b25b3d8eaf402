/**
 * Migrations as code (no directory scan: works the same from source, bundles and tests).
 * Names sort in the order they run; never rename or edit a released migration, add a new one.
 */
import type { Migration, MigrationProvider } from 'kysely';
import type { Dialect } from '../context.ts';
import { initialMigration } from './0001_initial.ts';
import { consoleMigration } from './0002_console.ts';
import { operationsMigration } from './0003_operations.ts';
import { noticesMigration } from './0004_notices.ts';
import { consoleFlashMigration } from './0005_console_flash.ts';
import { dpopMigration } from './0006_dpop.ts';
import { mtlsBindingMigration } from './0007_mtls_binding.ts';
import { compactReplayKeysMigration } from './0008_compact_replay_keys.ts';
import { auditPartialIndexesMigration } from './0009_audit_partial_indexes.ts';
import { changeCounterMigration } from './0010_change_counter.ts';

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    getMigrations: async (): Promise<Record<string, Migration>> => ({
      '0001_initial': initialMigration(dialect),
      '0002_console': consoleMigration(dialect),
      '0003_operations': operationsMigration(dialect),
      '0004_notices': noticesMigration(dialect),
      '0005_console_flash': consoleFlashMigration(),
      '0006_dpop': dpopMigration(),
      '0007_mtls_binding': mtlsBindingMigration(),
      '0008_compact_replay_keys': compactReplayKeysMigration(dialect),
      '0009_audit_partial_indexes': auditPartialIndexesMigration(),
      '0010_change_counter': changeCounterMigration(dialect),
    }),
  };
}
