// Background WAL checkpoints for a serving SQLite store (see checkpointer.ts). Runs in a worker
// thread with its own connection, so the checkpoint's page copying and fsync never run inside a
// request's COMMIT on the serving thread. Plain JavaScript: workers do not get tsx's hooks.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, sizeCheckMs, restartAboveBytes, journalSizeLimit, report } = workerData;
// Tests are told of every checkpoint (checkpointer.ts, onCheckpoint); a server is not.
const done = (mode) => {
  if (report) parentPort?.postMessage({ checkpoint: mode });
};
const db = new Database(path, { timeout: 1000 });
db.pragma('busy_timeout = 1000');
db.pragma(`journal_size_limit = ${journalSizeLimit}`);
// A WAL frame is a page and its 24-byte header (https://sqlite.org/fileformat2.html#walformat).
const frameBytes = Number(db.pragma('page_size', { simple: true })) + 24;

// The WAL file's size and modification time (0, 0 when it does not exist).
const walFile = () => {
  try {
    const st = statSync(`${path}-wal`);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return { size: 0, mtimeMs: 0 };
  }
};

// The WAL's size is looked at often (a stat is cheap; under heavy load the WAL can grow by
// tens of MB a second); a passive checkpoint runs every `intervalMs`. PASSIVE copies what it
// can without waiting for readers or blocking writers, but under sustained writes it never
// catches up with the last frame, so the log never starts over and grows without bound. Past
// the threshold, the worker asks the serving thread for a moment without its queries (they
// wait asynchronously) and restarts the log, and lets them go on.
//
// RESTART, not TRUNCATE: after a restart the next writer writes the log again from the start
// of the same file (https://sqlite.org/c3ref/wal_checkpoint_v2.html), so the file keeps its
// size and the log's length is no longer the file's. TRUNCATE also cuts the file to nothing
// under the hold (an ftruncate of 32 MB alone took 13–20 ms on ext4 here) and the writes after
// it re-extend the file: under the hold it took 32–40 ms even with nothing left to copy, RESTART
// a median of 16 ms (measured: docs/performance.md). `journal_size_limit` still trims a file
// that grew past the limit. So once the file is past the threshold, the log's length comes from
// the passive checkpoints (`log` frames), and the worker looks closer only when it matters: a
// passive checkpoint at every look while the log may cross the threshold before the next regular
// one (from its growth between the last two), which also leaves the restart under the hold only
// a few milliseconds of frames to copy. A passive checkpoint at every look for as long as the
// file stayed large (as before) ran 40 of them a second instead of 5 and cost ≈ 3 % of the
// server's CPU per token (measured: docs/performance.md).
let lastPassive = 0;
let asked = false;
// The log's length at the last restart: until a writer starts the log over, a checkpoint still
// reports it (the restart happens at that writer's first commit), and must not restart again.
let restartedAt = -1;
// Frames in the log at the last passive checkpoint, and the log's growth in frames per
// millisecond between the last two that saw it grow (null: not measured yet).
let lastLog = 0;
let rate = null;
// The WAL file's size at the last look: a file that grows holds a log longer than its old size.
let lastSize = 0;
// An idle store is left alone: no checkpoint while nothing was written since the last one (a
// restarted log keeps its file's size, so without this an idle server would checkpoint at
// every look, forever).
let checkedMtime = -1;
// A passive checkpoint of the WAL as it was at `mtimeMs`; its result row (`log`: frames in the log).
const passive = (mtimeMs) => {
  checkedMtime = mtimeMs;
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  const now = Date.now();
  const log = r?.log ?? 0;
  if (log > lastLog && lastLog !== restartedAt && lastPassive > 0) {
    rate = (log - lastLog) / Math.max(1, now - lastPassive);
  }
  lastLog = log;
  lastPassive = now;
  done('passive');
  return r;
};
// Whether the log may be past the threshold by the next regular passive checkpoint. A log not
// yet started over after a restart counts as empty.
const mayCross = (now) => {
  if (rate === null) return true;
  const base = lastLog === restartedAt ? 0 : lastLog;
  return (base + rate * (now - lastPassive + intervalMs)) * frameBytes > restartAboveBytes;
};
const timer = setInterval(() => {
  if (asked) return;
  try {
    const wal = walFile();
    const grew = wal.size > lastSize;
    lastSize = wal.size;
    if (wal.mtimeMs === checkedMtime) return;
    const now = Date.now();
    const due = now - lastPassive >= intervalMs;
    if (wal.size > restartAboveBytes) {
      if (!(due || grew || mayCross(now))) return;
      const log = passive(wal.mtimeMs)?.log ?? 0;
      if (log * frameBytes > restartAboveBytes && log !== restartedAt) {
        asked = true;
        parentPort?.postMessage('pause');
      }
    } else if (due) {
      passive(wal.mtimeMs);
    }
  } catch (e) {
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}, sizeCheckMs);

parentPort?.on('message', (m) => {
  if (m === 'paused') {
    try {
      const [r] = db.pragma('wal_checkpoint(RESTART)');
      // busy: a reader (another process) kept the log from restarting; the next look retries.
      restartedAt = r?.busy === 0 ? r.log : -1;
      lastLog = r?.log ?? 0;
      lastPassive = Date.now();
      done('restart');
    } catch (e) {
      parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
    } finally {
      asked = false;
      parentPort?.postMessage('resume');
    }
  } else if (m === 'stop') {
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      db.close();
      parentPort?.close();
    }
  }
});
