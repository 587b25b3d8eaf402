/**
 * Read cost by page size on a large store (not a test; run by hand, interleaving page sizes, as
 * the machine is shared):
 *
 *   node --import tsx bench/page-size-reads.ts PAGE_SIZE build   # create and fill, then measure
 *   node --import tsx bench/page-size-reads.ts PAGE_SIZE         # measure again
 *
 * A store in /tmp/certmint-page-size-reads/p<PAGE_SIZE> with 100 accounts × 100 integrations,
 * 100 000 mappings and 1 000 000 audit rows (filled with raw SQL), then CPU µs per call of the
 * store's own reads: a mapping by certificate id, an integration by client id, an audit page
 * (50 rows before a random id), the failures of an account (not indexed: a scan), an
 * account's events of one client.
 */
import { mkdirSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { openStore } from '../src/store/index.ts';

const page = Number(process.argv[2]);
const dir = `/tmp/certmint-page-size-reads/p${page}`;
const path = `${dir}/c.db`;
const build = process.argv[3] === 'build';
if (build) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // The page size is fixed by the first table written; openStore keeps a non-empty store's.
  const r0 = new Database(path);
  r0.pragma(`page_size = ${page}`);
  r0.exec('create table _x(a); drop table _x');
  r0.close();
}
const store = await openStore(path, {});
const raw = new Database(path);
// The fill has no entity or role rows for the mappings to point at.
raw.pragma('foreign_keys = off');
const ACC = 100;
const rnd = (n: number) => Math.floor(Math.random() * n);
if (build) {
  raw.exec('begin');
  const acc = raw.prepare(`insert into accounts (id, kind, created_at) values (?, 'customer', 0)`);
  for (let a = 0; a < ACC; a++) acc.run(`A${a}`);
  const integ = raw.prepare(
    `insert into integrations (account_id, id, name, state, client_id, client_secret_hash, application_id, m2m_grant, scopes, created_at, dpop_mode, mtls_binding) values (?,?,?,?,?,?,?,?,?,?,'off','off')`,
  );
  for (let a = 0; a < ACC; a++)
    for (let i = 1; i <= 100; i++)
      integ.run(
        `A${a}`,
        i,
        `int ${i}`,
        'active',
        `client-${a}-${i}-${'x'.repeat(40)}`,
        'h'.repeat(60),
        'app',
        1,
        '["a","b"]',
        0,
      );
  const map = raw.prepare(
    `insert into mappings values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
  );
  for (let m = 0; m < 100_000; m++)
    map.run(
      `cert-${m}-${'c'.repeat(30)}`,
      `pk-${m}-${'p'.repeat(30)}`,
      `A${m % ACC}`,
      1 + (m % 100),
      1,
      1000,
      'P'.repeat(900),
      'CN=x',
      'CN=ca',
      String(m),
      'ES256',
      'EC',
      256,
      'P-256',
      0,
      9e12,
      0,
      0,
      null,
      null,
      null,
    );
  const aud = raw.prepare(
    `insert into audit_events (at, account_id, type, result, detail, client_id, certificate_id, entity_id, role_id, remote_address, actor, count) values (?,?,?,?,?,?,?,?,?,?,?,1)`,
  );
  for (let e = 0; e < 1_000_000; e++)
    aud.run(
      e,
      `A${e % ACC}`,
      'token',
      e % 10 ? 'success' : 'failure',
      e % 10 ? null : 'client.bad_assertion',
      `client-${e % ACC}-${1 + (e % 100)}-${'x'.repeat(40)}`,
      `cert-${e % 100000}-${'c'.repeat(30)}`,
      1,
      1000,
      '127.0.0.1',
      null,
    );
  raw.exec('commit');
  raw.pragma('wal_checkpoint(TRUNCATE)');
}
const time = async (name: string, n: number, f: () => Promise<unknown>) => {
  for (let i = 0; i < 200; i++) await f();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const c = process.cpuUsage(c0);
  return `${name}=${((c.user + c.system) / n).toFixed(1)}`;
};
const out = [`page=${raw.pragma('page_size', { simple: true })}`];
out.push(
  await time('mapping.get', 20000, () =>
    store.mappings.get(`cert-${rnd(100000)}-${'c'.repeat(30)}`),
  ),
);
out.push(
  await time('integration.byClient', 20000, () => {
    const a = rnd(ACC);
    return store.integrations.getByClientId(
      `A${a}`,
      `client-${a}-${1 + rnd(100)}-${'x'.repeat(40)}`,
    );
  }),
);
out.push(
  await time('audit.page', 2000, () =>
    store.audit.list({ accountId: `A${rnd(ACC)}`, limit: 50, before: rnd(1_000_000) }),
  ),
);
out.push(
  await time('audit.failures', 100, () =>
    store.audit.list({ accountId: `A${rnd(ACC)}`, result: 'failure', limit: 50 }),
  ),
);
out.push(
  await time('audit.client', 1000, () => {
    const a = rnd(ACC);
    return store.audit.list({
      accountId: `A${a}`,
      clientId: `client-${a}-${1 + rnd(100)}-${'x'.repeat(40)}`,
      limit: 50,
    });
  }),
);
console.log(out.join(' '), 'µs CPU/op');
await store.close();
