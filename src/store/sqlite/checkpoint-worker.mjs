// Background WAL checkpoints for a serving SQLite store (see checkpointer.ts). Runs in a worker
// thread with its own connection, so the checkpoint's page copying and fsync never run inside a
// request's COMMIT on the serving thread. Plain JavaScript: workers do not get tsx's hooks.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, sizeCheckMs, truncateAboveBytes, journalSizeLimit } = workerData;
const db = new Database(path, { timeout: 1000 });
db.pragma('busy_timeout = 1000');
db.pragma(`journal_size_limit = ${journalSizeLimit}`);

const walSize = () => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

// The WAL's size is looked at often (a stat is cheap; under heavy load the WAL can grow by
// tens of MB a second); a passive checkpoint runs every `intervalMs`. PASSIVE copies what it
// can without waiting for readers or blocking writers, but under sustained writes it never
// catches up with the last frame, so the WAL never starts over and grows without bound. Past
// the threshold, the worker asks the serving thread for a moment without its queries (they
// wait asynchronously), truncates the WAL (copies everything, empties the file), and lets them
// go on: a few milliseconds.
let lastPassive = 0;
let asked = false;
const timer = setInterval(() => {
  if (asked) return;
  try {
    if (walSize() > truncateAboveBytes) {
      // Copy what a passive checkpoint can first, without holding anyone: the truncation under
      // the hold then has only the frames written since (a few milliseconds' worth) to copy,
      // instead of everything since the last passive checkpoint (up to `intervalMs` of writes).
      db.pragma('wal_checkpoint(PASSIVE)');
      asked = true;
      parentPort?.postMessage('pause');
    } else if (Date.now() - lastPassive >= intervalMs) {
      db.pragma('wal_checkpoint(PASSIVE)');
      lastPassive = Date.now();
    }
  } catch (e) {
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}, sizeCheckMs);

parentPort?.on('message', (m) => {
  if (m === 'paused') {
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
      lastPassive = Date.now();
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
