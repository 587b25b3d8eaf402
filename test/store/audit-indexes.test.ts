/**
 * The audit indexes a success row does not enter: the fold-key and detail indexes are partial
 * (`WHERE … IS NOT NULL`), and the queries that need them still use them — the detail filter
 * of the audit list and the fold-key lookup — while folding still upserts through the partial
 * unique index. Checked on the index definitions and the planners' own answers.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { auditEvent } from '../../src/domain/audit.ts';
import { describeEachStore, type TestStore } from '../support/stores.ts';

const PARTIAL = ['audit_events_fold_key', 'audit_events_account_detail'];

describeEachStore('store: partial audit indexes', (f) => {
  let store: TestStore;
  before(async () => {
    store = await f.open();
  });
  after(async () => {
    await store.close();
  });

  /** Index name → its definition, and the plan of `sql`, from the database itself. */
  async function inspect(planOf: string): Promise<{ defs: Map<string, string>; plan: string }> {
    if (f.name === 'sqlite') {
      const db = new Database(store.location, { readonly: true });
      try {
        const rows = db
          .prepare("select name, sql from sqlite_master where type = 'index' and tbl_name = ?")
          .all('audit_events') as Array<{ name: string; sql: string | null }>;
        const plan = (db.prepare(`explain query plan ${planOf}`).all() as Array<{ detail: string }>)
          .map((r) => r.detail)
          .join('\n');
        return { defs: new Map(rows.map((r) => [r.name, r.sql ?? ''])), plan };
      } finally {
        db.close();
      }
    }
    const c = new pg.Client({ connectionString: store.location });
    await c.connect();
    try {
      const rows = await c.query<{ indexname: string; indexdef: string }>(
        "select indexname, indexdef from pg_indexes where tablename = 'audit_events' and schemaname = current_schema()",
      );
      // Few rows: the planner would rightly scan the table; ask which index it can use.
      await c.query('set enable_seqscan = off');
      const plan = await c.query<{ 'QUERY PLAN': string }>(`explain ${planOf}`);
      return {
        defs: new Map(rows.rows.map((r) => [r.indexname, r.indexdef])),
        plan: plan.rows.map((r) => r['QUERY PLAN']).join('\n'),
      };
    } finally {
      await c.end();
    }
  }

  it('defines the fold-key and detail indexes WHERE the column IS NOT NULL', async () => {
    const { defs } = await inspect('select 1');
    for (const name of PARTIAL) {
      const def = defs.get(name);
      assert.ok(def, `${name} exists`);
      assert.match(def, /where .*is not null/i, `${name} is partial: ${def}`);
    }
  });

  it('the detail filter of the audit list uses the partial detail index', async () => {
    const { plan } = await inspect(
      "select id from audit_events where account_id = 'A1' and detail = 'SignatureValidation' order by id desc",
    );
    assert.match(plan, /audit_events_account_detail/, plan);
  });

  it('the fold-key lookup uses the partial unique index', async () => {
    const { plan } = await inspect("select id from audit_events where fold_key in ('k1', 'k2')");
    assert.match(plan, /audit_events_fold_key/, plan);
  });

  it('successes are listed, filtered failures found, and repeated failures still fold', async () => {
    const at = Date.now();
    const fail = (n: number) =>
      auditEvent('token', 'A1', at + n, {
        result: 'failure',
        detail: 'SignatureValidation',
        clientId: 'c-1',
        remoteAddress: '192.0.2.7',
      });
    await store.audit.append([auditEvent('token', 'A1', at, { clientId: 'c-1' }), fail(1)]);
    await store.audit.append([fail(2)]);
    const failures = await store.audit.list({
      accountId: 'A1',
      detail: 'SignatureValidation',
      limit: 10,
    });
    assert.equal(failures.length, 1, 'two identical failures folded into one row');
    assert.equal(failures[0]?.count, 2);
    const all = await store.audit.list({ accountId: 'A1', limit: 10 });
    assert.deepEqual(
      all.map((e) => e.result),
      ['failure', 'success'],
    );
  });
});
