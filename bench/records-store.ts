/**
 * The two durable records a token request must write before it is answered — the replay claim
 * of its `jti` as a unique-key insert and an audit row — written the cheapest way found, for the
 * benchmark's "floor with records" (servers/floor.ts with BENCH_RECORDS=1, floor-records.ts):
 * what the "≥ 0.90 × the floor per CPU-second" target leaves room for, measured instead of
 * argued.
 *
 * - replay: `key TEXT PRIMARY KEY` WITHOUT ROWID — one B-tree, no rowid table, no expiry index
 *   (a bench run is seconds, so nothing is purged); the key a 128-bit digest of client and jti
 *   (22 characters), as certmint stores it.
 * - audit: one rowid-table row per won claim and no secondary index (certmint's console and CLI
 *   need indexes to query it; this bound does without).
 * - one transaction for all the requests of an event-loop turn (group commit); WAL,
 *   `synchronous = NORMAL`, 2 KB pages as certmint, SQLite's automatic checkpoints on the
 *   serving thread.
 *
 * The database lives in a fresh temporary directory, removed by `close()`.
 */
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export interface RecordRequest {
  clientId: string;
  jti: string;
  /** Seconds since the epoch, the assertion's `exp`. */
  exp: number;
  kid: string;
  address: string | undefined;
}

export interface RecordStore {
  /** Claims every request's jti and records the won ones, in one commit; true where won. */
  commit(batch: readonly RecordRequest[]): boolean[];
  /** Rows in each table (for tests: what a commit really wrote). */
  counts(): { claims: number; records: number };
  /** The temporary directory holding the database. */
  readonly dir: string;
  close(): void;
}

export function openRecordStore(): RecordStore {
  const dir = mkdtempSync(join(tmpdir(), 'bench-records-'));
  const db = new Database(join(dir, 'records.db'));
  db.pragma('page_size = 2048');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(`create table replay (key text primary key, expires_at integer not null) without rowid;
    create table audit (id integer primary key, at integer not null, account_id text not null,
      type text not null, result text not null, client_id text, certificate_id text,
      remote_address text)`);
  const claim = db.prepare(
    'insert into replay (key, expires_at) values (?, ?) on conflict do nothing',
  );
  const record = db.prepare(
    `insert into audit (at, account_id, type, result, client_id, certificate_id, remote_address)
     values (?, '1234567', 'token', 'success', ?, ?, ?)`,
  );
  const commit = db.transaction((batch: readonly RecordRequest[]): boolean[] => {
    const at = Date.now();
    return batch.map((r) => {
      const key = hash('sha256', `${r.clientId}|${r.jti}`, 'buffer').toString('base64url', 0, 16);
      const won = claim.run(key, r.exp * 1000).changes === 1;
      if (won) record.run(at, r.clientId, r.kid, r.address ?? null);
      return won;
    });
  });
  const count = (table: string) =>
    Number(db.prepare(`select count(*) from ${table}`).pluck().get());
  return {
    commit: (batch) => commit(batch),
    counts: () => ({ claims: count('replay'), records: count('audit') }),
    dir,
    close() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Group commit for a floor: requests queued during an event-loop turn are committed together at
 * its end (`setImmediate`), then each is settled with its verdict, in order. Without a store
 * (the control) every request is settled as won, still a turn at a time.
 */
export function turnBatcher<T extends RecordRequest>(
  store: RecordStore | null,
  settle: (item: T, won: boolean) => void,
): (item: T) => void {
  let pending: T[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    const won = store ? store.commit(batch) : batch.map(() => true);
    for (const [i, item] of batch.entries()) settle(item, won[i] === true);
  };
  return (item) => {
    if (pending.length === 0) setImmediate(flush);
    pending.push(item);
  };
}
