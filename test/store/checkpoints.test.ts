/**
 * SQLite background checkpoints: with `backgroundCheckpoints`, committed pages reach the main
 * database file without any commit doing it (a worker thread checkpoints the WAL); without it,
 * a WAL below SQLite's auto-checkpoint size stays un-checkpointed. Once the WAL file is past half
 * its bound (a restarted log keeps its file's size), the worker checkpoints at its regular pace
 * while the log itself is far below that, and looks closer only as the log nears it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { openServices } from '../../src/service/runtime.ts';
import { openStore } from '../../src/store/index.ts';
import {
  CHECKPOINT_INTERVAL_MS,
  startCheckpointer,
  WAL_SIZE_CHECK_MS,
} from '../../src/store/sqlite/checkpointer.ts';
import { eventually } from '../support/wait.ts';

const events = (n: number): AuditEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    at: 1_700_000_000_000 + i,
    accountId: 'TSTDRV1',
    type: 'token',
    result: 'failure',
    detail: 'SignatureValidation',
    clientId: 'c'.repeat(64),
    certificateId: `cert-${i}`,
    entityId: 1,
    roleId: 1000,
    remoteAddress: '127.0.0.1',
    actor: null,
  }));

/** A store on a new file after ~1 200 audit events; `grown()`: how much its main file grew since. */
async function afterWrites(backgroundCheckpoints: boolean) {
  const file = join(mkdtempSync(join(tmpdir(), 'certmint-ckpt-')), 'c.db');
  const store = await openStore(file, { backgroundCheckpoints });
  await store.accounts.create({
    id: 'TSTDRV1',
    kind: 'production',
    parentId: null,
    createdAt: 0,
    refreshedAt: null,
  });
  const before = statSync(file).size;
  for (let i = 0; i < 4; i++) await store.audit.append(events(300));
  return { store, grown: () => statSync(file).size - before };
}

/** A new SQLite file in WAL mode with one table, and its insert statement. */
function walTable(prefix: string) {
  const file = join(mkdtempSync(join(tmpdir(), prefix)), 'c.db');
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  raw.exec('create table t (v text)');
  return { file, raw, insert: raw.prepare('insert into t (v) values (?)') };
}

/**
 * The checkpoint worker on `raw`, every checkpoint it runs recorded with its time. No writer of
 * the tests' own holds the connection: the hold is granted at once.
 */
function recordCheckpoints(raw: Database.Database, file: string, walLimitBytes?: number) {
  const runs: { mode: string; at: number }[] = [];
  const checkpointer = startCheckpointer(
    raw,
    file,
    async () => () => undefined,
    walLimitBytes,
    (mode) => runs.push({ mode, at: performance.now() }),
  );
  return { checkpointer, runs };
}

describe('SQLite WAL checkpoints', () => {
  it('a serving store checkpoints from a worker; a plain one leaves a small WAL alone', async () => {
    // The plain store writes first. The serving store's worker starts after that and first
    // checkpoints CHECKPOINT_INTERVAL_MS later, so by the time its file has grown the plain store
    // has had at least one full interval to (wrongly) checkpoint too.
    const plain = await afterWrites(false);
    const serving = await afterWrites(true);
    try {
      await eventually(
        'the worker has checkpointed more than 50 000 bytes into the database file',
        () => serving.grown() > 50_000,
        { timeoutMs: 10_000 + CHECKPOINT_INTERVAL_MS },
      );
      assert.equal(plain.grown(), 0);
    } finally {
      await serving.store.close();
      await plain.store.close();
    }
  });

  it('serving services checkpoint, unless told their workers do (the primary of --workers N)', async () => {
    const open = async (checkpoints: boolean | undefined) => {
      const dir = mkdtempSync(join(tmpdir(), 'certmint-ckpt-node-'));
      const db = join(dir, 'c.db');
      const services = await openServices({
        db,
        filesDir: dir,
        serving: true,
        ...(checkpoints !== undefined && { checkpoints }),
      });
      // The writes come from another connection, as from a worker: the WAL is the file's.
      const raw = new Database(db);
      raw.exec('create table filler (v text)');
      const before = statSync(db).size;
      const insert = raw.prepare('insert into filler (v) values (?)');
      for (let i = 0; i < 4; i++) {
        raw.transaction(() => {
          for (let j = 0; j < 300; j++) insert.run('x'.repeat(1000));
        })();
      }
      return { services, raw, grown: () => statSync(db).size - before };
    };
    const primary = await open(false);
    const single = await open(undefined);
    try {
      await eventually(
        'the single process has checkpointed into its database file',
        () => single.grown() > 50_000,
        { timeoutMs: 10_000 + CHECKPOINT_INTERVAL_MS },
      );
      assert.equal(primary.grown(), 0, 'the primary left its WAL to the workers');
    } finally {
      for (const node of [single, primary]) {
        node.raw.close();
        await node.services.close();
      }
    }
  });

  it('an idle store is left alone: no checkpoint while nothing is written, one after a write', async () => {
    const { file, raw, insert } = walTable('certmint-ckpt-idle-');
    insert.run('x'.repeat(1000));
    const { checkpointer, runs } = recordCheckpoints(raw, file);
    try {
      await eventually('the written WAL is checkpointed', () => runs.length > 0, {
        timeoutMs: 10_000,
      });
      const afterFirst = runs.length;
      // Five intervals of nothing written: a worker without the idle rule checkpoints ~5 times.
      await pause(5 * CHECKPOINT_INTERVAL_MS);
      assert.equal(
        runs.length,
        afterFirst,
        `checkpoints while idle: ${runs.slice(afterFirst).map((r) => r.mode)}`,
      );
      insert.run('y'.repeat(1000));
      await eventually('the new write is checkpointed', () => runs.length > afterFirst, {
        timeoutMs: 10_000,
      });
      assert.deepEqual(new Set(runs.map((r) => r.mode)), new Set(['passive']));
    } finally {
      await checkpointer.stop();
      raw.close();
    }
  });

  it('a large WAL file holding a short log: checkpoints at the regular pace, not at every look', async () => {
    const { file, raw, insert } = walTable('certmint-ckpt-pace-');
    const limit = 1024 * 1024;
    const { checkpointer, runs } = recordCheckpoints(raw, file, limit);
    try {
      // Past half the bound: the worker restarts the log, and the file keeps its size.
      raw.transaction(() => {
        for (let i = 0; i < 700; i++) insert.run('x'.repeat(1000));
      })();
      await eventually('the log is restarted', () => runs.some((r) => r.mode === 'restart'), {
        timeoutMs: 10_000,
      });
      assert.ok(statSync(`${file}-wal`).size > limit / 2);
      // Then a trickle: a commit every 20 ms (one page each, ≈ 200 KB/s), so the file changes
      // between almost every two looks, and 1.6 s of it stays far below the 512 KB threshold.
      const started = performance.now();
      while (performance.now() - started < 1600) {
        insert.run('y'.repeat(100));
        await pause(20);
      }
      // The first looks after the restart still go by the fast writes' growth; after them the
      // log's own growth sets the pace.
      const settled = started + 400;
      const paced = runs.filter((r) => r.at >= settled && r.at < started + 1600);
      const regular = Math.ceil(1200 / CHECKPOINT_INTERVAL_MS);
      const everyLook = Math.floor(1200 / WAL_SIZE_CHECK_MS);
      assert.ok(
        paced.length <= regular + 2,
        `${paced.length} checkpoints in 1.2 s (the regular pace: ${regular}; at every look: up to ${everyLook})`,
      );
      assert.ok(paced.length >= 2, `${paced.length} checkpoints in 1.2 s of writes`);
      assert.ok(paced.every((r) => r.mode === 'passive'));
    } finally {
      await checkpointer.stop();
      raw.close();
    }
  });
});
