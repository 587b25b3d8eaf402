/**
 * WAL checkpoints off the request path. SQLite runs an automatic checkpoint inside whichever
 * COMMIT pushes the WAL past 1 000 pages, and the serving event loop waits for it (measured:
 * mean transaction 1.3 ms → 0.4 ms, p99 44 ms → 1.1 ms with auto-checkpoints off; see
 * docs/performance.md). For a serving store, auto-checkpoints are turned off on the serving
 * connection and a worker thread checkpoints from its own connection on a timer. Should the
 * worker fail, auto-checkpoints come back on, so the WAL can never grow without bound.
 *
 * The WAL is bounded: a passive checkpoint every 200 ms, and one that restarts the log as soon as
 * the log has grown past half of `walLimitBytes` (the file looked at every 25 ms, and the log
 * at every look once it may cross that line before the next regular checkpoint; see
 * checkpoint-worker.mjs for why RESTART and not TRUNCATE). Continuous writes never leave
 * a passive checkpoint a moment to finish, so without it the file kept growing: 650 MB in 30 s
 * of token load (measured; docs/performance.md).
 * `journal_size_limit` trims the file back to the limit whenever SQLite itself restarts it.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * Frequent passive checkpoints leave little to copy when the WAL must be restarted, which keeps
 * the serving connection's queries waiting (`hold`): every 1 000 ms gave a token-endpoint p99 of
 * 56 ms, every 200 ms 39 ms, at the same CPU per request (measured: docs/performance.md).
 */
export const CHECKPOINT_INTERVAL_MS = 200;
/** How often the worker looks at the WAL's size (a restarting checkpoint when past half the limit). */
export const WAL_SIZE_CHECK_MS = 25;
/** Default bound of the WAL file of a serving store. */
export const WAL_LIMIT_BYTES = 64 * 1024 * 1024;
const SQLITE_DEFAULT_AUTOCHECKPOINT = 1000;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** How long the worker may keep this connection's queries waiting for a restart. */
const HOLD_MAX_MS = 5000;

/**
 * `hold` gives the worker a moment without this connection's queries: a restarting checkpoint
 * needs a gap between write transactions, and a busy serving connection (or a loop of writes)
 * might never leave one long enough for the worker's busy handler to notice. Queries wait
 * asynchronously meanwhile (nothing blocks the event loop).
 */
export function startCheckpointer(
  raw: Database.Database,
  path: string,
  hold: () => Promise<() => void>,
  walLimitBytes = WAL_LIMIT_BYTES,
  /** Told of every checkpoint the worker runs (tests: the idle store is left alone). */
  onCheckpoint?: (mode: 'passive' | 'restart') => void,
): Checkpointer {
  raw.pragma(`journal_size_limit = ${walLimitBytes}`);
  const worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
    workerData: {
      path,
      intervalMs: CHECKPOINT_INTERVAL_MS,
      sizeCheckMs: WAL_SIZE_CHECK_MS,
      restartAboveBytes: Math.floor(walLimitBytes / 2),
      journalSizeLimit: walLimitBytes,
      report: onCheckpoint !== undefined,
    },
  });
  worker.unref();
  raw.pragma('wal_autocheckpoint = 0');
  let stopping = false;
  let release: (() => void) | null = null;
  let safety: NodeJS.Timeout | null = null;
  const resume = () => {
    if (safety) clearTimeout(safety);
    safety = null;
    const r = release;
    release = null;
    r?.();
  };
  worker.on('message', (m: unknown) => {
    if (m === 'resume') resume();
    if (onCheckpoint && typeof m === 'object' && m !== null && 'checkpoint' in m) {
      const mode = (m as { checkpoint: unknown }).checkpoint;
      if (mode === 'passive' || mode === 'restart') onCheckpoint(mode);
    }
    if (m !== 'pause' || stopping || release) return;
    void hold().then((r) => {
      if (stopping) return r();
      release = r;
      // A worker that never says "resume" must not stop the server.
      safety = setTimeout(resume, HOLD_MAX_MS);
      safety.unref();
      worker.postMessage('paused');
    });
  });
  const fallBack = () => {
    resume();
    if (!stopping && raw.open) raw.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_AUTOCHECKPOINT}`);
  };
  worker.once('error', fallBack);
  worker.once('exit', fallBack);
  return {
    async stop() {
      stopping = true;
      resume();
      // Unref'd while serving (it must not keep a process alive); held while it finishes.
      worker.ref();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.postMessage('stop');
      const timeout = setTimeout(() => void worker.terminate(), 2000);
      timeout.unref();
      await exited;
      clearTimeout(timeout);
    },
  };
}
