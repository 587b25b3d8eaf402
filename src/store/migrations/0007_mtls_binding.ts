/**
 * Certificate-bound access tokens (RFC 8705 §3): per integration, whether a token requested
 * over mutual TLS with the mapped certificate is bound to it (`allowed`), must be (`required`),
 * or never is (`off`, the default: existing integrations keep issuing plain bearer tokens).
 */
import { type Kysely, type Migration, sql } from 'kysely';

export function mtlsBindingMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('integrations')
        .addColumn('mtls_binding', 'text', (c) =>
          c.notNull().defaultTo('off').check(sql`mtls_binding in ('off', 'allowed', 'required')`),
        )
        .execute();
    },
  };
}
