/**
 * A console session's one-time "flash": a value the next page shows once and clears, such as a
 * new integration's client secret or recovery codes after a POST/redirect/GET. Sealed with the
 * master key by the console-auth service (the store never sees it in clear); NULL when none.
 */
import type { Kysely, Migration } from 'kysely';

export function consoleFlashMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('console_sessions').addColumn('flash', 'text').execute();
    },
  };
}
