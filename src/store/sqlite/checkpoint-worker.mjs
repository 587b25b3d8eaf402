// Background WAL checkpoints for a serving SQLite store (see checkpointer.ts). Runs in a worker
// thread with its own connection, so the checkpoint's page copying and fsync never run inside a
// request's COMMIT on the serving thread. Plain JavaScript: workers do not get tsx's hooks.
import { statSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, truncateAboveBytes, journalSizeLimit } = workerData;
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

const timer = setInterval(() => {
  try {
    // PASSIVE copies what it can without waiting for readers or blocking writers. Under
    // sustained writes it never catches up with the last frame, so the WAL never starts over
    // and grows without bound: past the threshold, TRUNCATE waits (busy handler) for a gap
    // between two write transactions, copies everything, and empties the file. Writers wait
    // for it (asynchronously, see driver.ts) for the few milliseconds it takes.
    const mode = walSize() > truncateAboveBytes ? 'TRUNCATE' : 'PASSIVE';
    db.pragma(`wal_checkpoint(${mode})`);
  } catch (e) {
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}, intervalMs);
parentPort?.on('message', (m) => {
  if (m === 'stop') {
    clearInterval(timer);
    try {
      db.pragma('wal_checkpoint(PASSIVE)');
    } finally {
      db.close();
      parentPort?.close();
    }
  }
});
