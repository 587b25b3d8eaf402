/**
 * Per-call cost of the store methods the token endpoint uses (not a test; run by hand):
 *
 *   node --import tsx test/store/bench.ts [calls=20000] [postgres://…]
 *
 * Prints wall and CPU microseconds per call, for SQLite (a temp file) and, given a URL,
 * PostgreSQL (creates and migrates tables in that database's current schema: use a scratch
 * database). Also the same SQLite statements through raw better-sqlite3, as the floor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { openStore } from '../../src/store/index.ts';
import { mapping, setup, T0 } from './fixtures.ts';

const N = Number(process.argv[2] ?? 20_000);
const PG = process.argv[3];

async function time(label: string, n: number, fn: (i: number) => unknown) {
  for (let i = 0; i < Math.min(500, n); i++) await fn(-i - 1);
  const wall = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(i);
  const w = ((performance.now() - wall) * 1000) / n;
  const c = process.cpuUsage(cpu);
  const u = (c.user + c.system) / n;
  console.log(
    `${label.padEnd(40)} wall ${w.toFixed(1).padStart(8)} µs   cpu ${u.toFixed(1).padStart(7)} µs`,
  );
}

const ev = (i: number): AuditEvent => ({
  at: T0 + i,
  accountId: '1',
  type: 'token',
  result: 'success',
  detail: null,
  clientId: 'c',
  certificateId: 'x',
  entityId: 1,
  roleId: 3,
  remoteAddress: '127.0.0.1',
  actor: null,
});

const dir = mkdtempSync(join(tmpdir(), 'certmint-bench-'));
const file = join(dir, 'bench.db');
for (const target of [file, PG]) {
  if (!target) continue;
  const s = await openStore(target);
  const st = await setup(s, `${Date.now()}`.slice(-9));
  const m = mapping(st, 1);
  await s.mappings.create(m, 5, T0);
  const integ = (await s.integrations.list(st.accountId))[0];
  const n = s.dialect === 'postgres' ? Math.ceil(N / 10) : N;
  const run = Math.random().toString(36).slice(2);
  console.log(`--- ${s.dialect}, ${n} calls each`);
  await time('replay.claim (new key)', n, (i) => s.replay.claim(`${run}-${i}`, T0 + 1e12));
  await time('audit.append (1 event)', n, (i) => s.audit.append([ev(i)]));
  await time('audit.append (50 events), per call', Math.ceil(n / 10), (i) =>
    s.audit.append(Array.from({ length: 50 }, (_, j) => ev(i * 50 + j))),
  );
  await time('mappings.get', n, () => s.mappings.get(m.certificateId));
  await time('integrations.getByClientId', n, () =>
    s.integrations.getByClientId(st.accountId, integ?.clientId ?? ''),
  );
  await time('entities.get', n, () => s.entities.get(st.accountId, st.entityId));
  await time('roles.get', n, () => s.roles.get(st.accountId, 3));
  await time('revokedTokens.isRevoked', n, () => s.revokedTokens.isRevoked(st.accountId, 'j'));
  await s.close();
}

// The floor: the same statements, prepared once, straight on better-sqlite3.
const raw = new Database(file);
raw.pragma('journal_mode = WAL');
raw.pragma('synchronous = NORMAL');
const claim = raw.prepare(
  'insert into replay (key, expires_at) values (?, ?) on conflict (key) do update set expires_at = excluded.expires_at where replay.expires_at <= ?',
);
const insert = raw.prepare(
  'insert into audit_events (at, account_id, type, result, detail, client_id, certificate_id, entity_id, role_id, remote_address, actor) values (?,?,?,?,?,?,?,?,?,?,?)',
);
console.log('--- raw better-sqlite3 (same file)');
await time('replay claim', N, (i) => claim.run(`raw-${i}`, T0 + 1e12, T0).changes === 1);
await time('audit insert (1 event)', N, (i) =>
  insert.run(T0 + i, '1', 'token', 'success', null, 'c', 'x', 1, 3, '127.0.0.1', null),
);
raw.close();
rmSync(dir, { recursive: true, force: true });
