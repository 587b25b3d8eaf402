import assert from 'node:assert/strict';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely } from 'kysely';
import { prepare } from '../../src/store/kysely/prepared.ts';
import type { Database as Schema } from '../../src/store/schema.ts';
import { sqliteDialect } from '../../src/store/sqlite/driver.ts';

it('prepare substitutes each call arguments into the once-compiled query', async () => {
  const db = new Kysely<Schema>({ dialect: sqliteDialect(new Database(':memory:'), 100) });
  try {
    await db.schema
      .createTable('replay')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('expires_at', 'bigint')
      .execute();
    const insert = prepare(db, 2, (key: string, at: number) =>
      db.insertInto('replay').values({ key, expires_at: at }),
    );
    // Arguments in another order than the SQL's parameters, plus a constant.
    const find = prepare(db, 2, (min: number, key: string) =>
      db
        .selectFrom('replay')
        .select('key')
        .where('key', '=', key)
        .where('expires_at', '>=', min)
        .where('expires_at', '<', 1000),
    );
    await insert('a', 10);
    await insert('b', 20);
    assert.deepEqual((await find(0, 'a')).rows, [{ key: 'a' }]);
    assert.deepEqual((await find(15, 'a')).rows, []);
    assert.deepEqual((await find(15, 'b')).rows, [{ key: 'b' }]);
  } finally {
    await db.destroy();
  }
});

it('prepare refuses a query that does not use every argument as a parameter', () => {
  const db = new Kysely<Schema>({ dialect: sqliteDialect(new Database(':memory:'), 100) });
  assert.throws(
    () =>
      prepare(db, 2, (key: string, _unused: number) =>
        db.selectFrom('replay').select('key').where('key', '=', key),
      ),
    { message: 'prepared query: argument 1 is not a query parameter' },
  );
});
