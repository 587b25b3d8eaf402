/**
 * SQLite: a counter every record write transaction increments (StoreContext.write), which other
 * processes on the same file poll to learn that records changed (sqlite/open.ts). They used to
 * poll `PRAGMA data_version`, which changes on *any* other connection's commit — the token
 * endpoint's own replay and audit writes included — so with `serve --workers N` every worker
 * dropped every cached record and signing key twice a second under token load. PostgreSQL
 * tells other nodes by NOTIFY and needs no table.
 */
import type { Kysely, Migration } from 'kysely';
import { sql } from 'kysely';
import type { Dialect } from '../context.ts';

export function changeCounterMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      if (dialect !== 'sqlite') return;
      await db.schema
        .createTable('change_counter')
        .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
        .addColumn('seq', 'integer', (c) => c.notNull())
        .execute();
      await sql`insert into change_counter (id, seq) values (1, 0)`.execute(db);
    },
  };
}
