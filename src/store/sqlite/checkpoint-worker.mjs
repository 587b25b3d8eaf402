// Background WAL checkpoints for a serving SQLite store (see checkpointer.ts). Runs in a worker
// thread with its own connection, so the checkpoint's page copying and fsync never run inside a
// request's COMMIT on the serving thread. Plain JavaScript: workers do not get tsx's hooks.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs } = workerData;
const db = new Database(path, { timeout: 1000 });
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    // PASSIVE: copies what it can without waiting for readers or blocking writers.
    db.pragma('wal_checkpoint(PASSIVE)');
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
