/**
 * The WAL of a serving SQLite store stays bounded under sustained writes. A passive checkpoint
 * alone never catches up while writes keep coming, so the WAL would grow for as long as they
 * do (650 MB in 30 s of token load); past half the limit the checkpoint worker restarts it
 * (the next commits write the log again from the start of the same file).
 * The same writes (a fixed amount, without pause but for a turn of the event loop between
 * batches, as a server has between requests) run once with a 4 MB limit and once with no
 * effective limit. How far past the limit the WAL gets depends on how fast this machine writes
 * between two looks of the worker, so the test compares the two runs and counts restarts;
 * the absolute figure under real token load is in docs/performance.md.
 *
 * A restart is seen in the WAL file's header: its checkpoint sequence number (bytes 12–15,
 * https://sqlite.org/fileformat2.html#walformat) goes up each time the log starts over. The
 * file itself is not truncated (RESTART, not TRUNCATE: see checkpoint-worker.mjs): it shrinks
 * only when it grew past the limit, and then to the limit (`journal_size_limit`), never to a few
 * pages as a truncated file does. How often it grows past the limit depends on the machine's
 * speed, so the test looks at how far it shrinks, not how often.
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { auditEvent } from '../../src/domain/audit.ts';
import { openStore } from '../../src/store/index.ts';
import { tempDir } from '../cli/support.ts';

const MB = 1024 * 1024;
const BATCHES = 450;

const walSize = (db: string): number => {
  try {
    return statSync(`${db}-wal`).size;
  } catch {
    return 0;
  }
};

/** The checkpoint sequence number in the WAL's header (−1: no WAL or no header yet). */
const walSequence = (db: string): number => {
  try {
    const fd = openSync(`${db}-wal`, 'r');
    try {
      const header = Buffer.alloc(16);
      return readSync(fd, header, 0, 16, 0) === 16 ? header.readUInt32BE(12) : -1;
    } finally {
      closeSync(fd);
    }
  } catch {
    return -1;
  }
};

/**
 * The WAL's peak size while writing, how often it restarted, and how often it shrank below half
 * the limit (a truncated file; `journal_size_limit` trims a restarted one to the limit).
 */
async function writeAndWatch(
  walLimitBytes: number,
): Promise<{ peak: number; cuts: number; restarts: number }> {
  const db = join(tempDir('certmint-wal-'), 'c.db');
  const store = await openStore(db, { backgroundCheckpoints: true, walLimitBytes });
  let peak = 0;
  let cuts = 0;
  let last = 0;
  const sequences = new Set<number>();
  const look = () => {
    const size = walSize(db);
    if (size < last && size < walLimitBytes / 2) cuts += 1;
    last = size;
    const sequence = walSequence(db);
    if (sequence >= 0) sequences.add(sequence);
    peak = Math.max(peak, size);
  };
  const sampler = setInterval(look, 5);
  try {
    for (let i = 0; i < BATCHES; i++) {
      await store.audit.append(
        Array.from({ length: 200 }, (_, k) =>
          auditEvent('keys.rotate', 'A', i * 1000 + k, { clientId: `client-${i}-${k}` }),
        ),
      );
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    look();
    return { peak, cuts, restarts: Math.max(0, sequences.size - 1) };
  } finally {
    clearInterval(sampler);
    await store.close();
  }
}

describe('SQLite WAL bound', () => {
  it('sustained writes: restarted again and again, in place; without a limit it keeps growing', async () => {
    const bounded = await writeAndWatch(4 * MB);
    const unbounded = await writeAndWatch(1024 * MB);
    const seen = `bounded: peak ${(bounded.peak / MB).toFixed(1)} MB, ${bounded.restarts} restarts, cut below half the limit ${bounded.cuts} times; unbounded: peak ${(unbounded.peak / MB).toFixed(1)} MB`;
    assert.ok(bounded.restarts >= 3, seen);
    // Restarted, not truncated: the file keeps its size for the next log (trimmed to the
    // limit at most, when it grew past it).
    assert.equal(bounded.cuts, 0, seen);
    assert.ok(bounded.peak * 3 < unbounded.peak, seen);
    assert.ok(unbounded.peak > 16 * MB, seen);
  });
});
