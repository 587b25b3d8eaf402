/**
 * DPoP (RFC 9449) per integration: `off` (proofs ignored, Bearer tokens), `allowed` (a valid
 * proof binds the token), `required` (no token without a proof). Existing integrations stay off.
 */
import type { Kysely, Migration } from 'kysely';

export function dpopMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('integrations')
        .addColumn('dpop_mode', 'text', (c) => c.notNull().defaultTo('off'))
        .execute();
    },
  };
}
