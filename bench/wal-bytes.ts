/**
 * WAL bytes and CPU per token request of the token endpoint's commit, by page size and replay
 * key form (not a test; run by hand, interleaving the variants, as the machine is shared):
 *
 *   node --import tsx bench/wal-bytes.ts PAGE_SIZE readable|digest|ordered [full|partial] [PER_COMMIT]
 *
 * Raw better-sqlite3 on a temp file with the replay and audit tables as migrated (the audit
 * table's six indexes), WAL, `synchronous = NORMAL`, no auto-checkpoint. 100 000 replay rows
 * are claimed first; then 3 000 transactions each claim PER_COMMIT (default 13) fresh keys (one
 * multi-row upsert, as store/kysely/ledger.ts) and insert as many audit rows (a group commit of
 * that many requests). Prints
 * CPU µs and WAL KB per request. `partial`: the fold-key and detail indexes only over non-NULL
 * values, as migration 0009 made them (`full`, the default: as before it). `ordered`: the digest
 * behind the key's expiry (base 36), a key form certmint does not use: what a time-ordered replay
 * key would save.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { replayDigest } from '../src/store/replay-key.ts';

const page = Number(process.argv[2] ?? 2048);
const form = (['digest', 'ordered'] as const).find((f) => f === process.argv[3]) ?? 'readable';
const partial = process.argv[4] === 'partial';
const detailWhere = partial ? ' where detail is not null' : '';
const foldWhere = partial ? ' where fold_key is not null' : '';
const dir = mkdtempSync(join(tmpdir(), 'certmint-walbytes-'));
const db = new Database(join(dir, 'w.db'));
db.pragma(`page_size = ${page}`);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('temp_store = MEMORY');
db.pragma('wal_autocheckpoint = 0');
db.exec(`create table replay (key text primary key, expires_at bigint not null);
  create index replay_expires_at on replay(expires_at);
  create table audit_events (id integer primary key autoincrement, at bigint not null,
    account_id text not null, type text not null, result text not null, detail text,
    client_id text, certificate_id text, entity_id integer, role_id integer,
    remote_address text, actor integer, count integer not null default 1, first_at bigint,
    fold_key text);
  create index audit_events_account_id on audit_events(account_id, id);
  create index audit_events_account_detail on audit_events(account_id, detail, id)${detailWhere};
  create index audit_events_account_client_id on audit_events(account_id, client_id, id);
  create index audit_events_account_at on audit_events(account_id, at);
  create unique index audit_events_fold_key on audit_events(fold_key)${foldWhere};
  create index audit_events_at on audit_events(at);`);

const N = Number(process.argv[5] ?? 13);
const client = 'a'.repeat(64);
const key = (expiresAt: number) => {
  const readable = `TSTDRV1|${client}|j:${randomUUID()}`;
  if (form === 'readable') return readable;
  // `ordered`: the expiry first, so a commit's fresh keys land side by side at the B-tree's end.
  return form === 'ordered'
    ? `${expiresAt.toString(36).padStart(9, '0')}${replayDigest(readable)}`
    : replayDigest(readable);
};
const claim = db.prepare(
  `insert into replay (key, expires_at) values ${Array(N).fill('(?,?)').join(',')}
   on conflict(key) do update set expires_at = excluded.expires_at
   where replay.expires_at <= ? returning key`,
);
const audit = db.prepare(
  `insert into audit_events (at, account_id, type, result, detail, client_id, certificate_id,
   entity_id, role_id, remote_address, actor, count, first_at, fold_key)
   values ${Array(N).fill('(?,?,?,?,?,?,?,?,?,?,?,?,?,?)').join(',')}`,
);
let t = Date.now();
const batch = (): [unknown[], unknown[]] => {
  const claims: unknown[] = [];
  const rows: unknown[] = [];
  for (let i = 0; i < N; i++) {
    claims.push(key(t + 300_000 + i), t + 300_000 + i);
    rows.push(t, 'TSTDRV1', 'token', 'success', null, client, 'c'.repeat(40), 5, 3, '127.0.0.1');
    rows.push(null, 1, null, null);
  }
  claims.push(t);
  return [claims, rows];
};
const commit = db.transaction((claims: unknown[], rows: unknown[]) => {
  claim.all(...claims);
  audit.run(...rows);
});
for (let i = 0; i < 100_000 / N; i++) {
  commit(...batch());
  t++;
}
db.pragma('wal_checkpoint(TRUNCATE)');
const M = 3000;
// Keys are made (and hashed) inside the measurement: the digest's cost counts.
const c0 = process.cpuUsage();
// The clock moves on between commits, as a server's does (the `ordered` keys need it).
for (let i = 0; i < M; i++) {
  commit(...batch());
  t++;
}
const c = process.cpuUsage(c0);
const wal = statSync(join(dir, 'w.db-wal')).size;
db.close();
rmSync(dir, { recursive: true, force: true });
const perRequest = M * N;
console.log(
  `page ${page} ${form} ${partial ? 'partial' : 'full'}: ${((c.user + c.system) / perRequest).toFixed(1)} µs CPU, ${(wal / 1024 / perRequest).toFixed(2)} KB WAL per request`,
);
