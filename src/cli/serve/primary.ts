/**
 * The primary process of `certmint serve --workers N`: it forks N worker processes (worker.ts)
 * that share one listening port through node:cluster (the primary accepts, and hands connections
 * to the workers round-robin), waits until every one listens, restarts a worker that dies (with
 * a backoff, so a worker that cannot start does not spin), and stops them all in order.
 * It serves nothing itself: the one-time work and the background jobs are the caller's
 * (commands/serve.ts), done once in this process.
 */
import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.ts';
import type { RateLimits } from '../../service/token/rate-limit.ts';
import type { FromWorker, ToWorker, WorkerSettings } from './worker.ts';

/** A worker could not start, so the server did not: its reason, as the worker gave it. */
export class WorkerStartError extends Error {
  /** The listen error's code (EADDRINUSE …), or null for anything else. */
  readonly code: string | null;
  constructor(code: string | null, message: string) {
    super(message);
    this.name = 'WorkerStartError';
    this.code = code;
  }
}

export interface WorkersOptions {
  count: number;
  /** The node's settings (its rate limits are shared out among the workers). */
  settings: WorkerSettings;
  logger: Logger;
  clock: Clock;
}

export interface Workers {
  /** Where the workers listen (Fastify's form, e.g. http://127.0.0.1:8080). */
  address: string;
  /** Stops every worker (each finishes its in-flight requests); true when all exited cleanly. */
  stop(): Promise<boolean>;
}

/** The first restart waits this long, each quick death doubles it, up to the maximum. */
export const RESTART_MIN_MS = 100;
export const RESTART_MAX_MS = 30_000;
/** A worker that lived this long was healthy: the next restart waits the minimum again. */
export const HEALTHY_AFTER_MS = 30_000;

/**
 * Each worker's share of the node's OAuth rate limits. The buckets are in each process's memory
 * (an exact shared bucket would put an IPC round trip on every token request), so each worker
 * gets 1/N, rounded up: the node as a whole never admits more than the limit (plus at most N-1
 * for the rounding), as it did in one process. A client whose requests all reach one worker (one
 * keep-alive connection) is limited at that worker's share.
 */
export function workerRateLimits(node: RateLimits, workers: number): RateLimits {
  const share = (n: number) => (n === 0 ? 0 : Math.ceil(n / workers));
  return {
    perClientPerMinute: share(node.perClientPerMinute),
    perAddressPerMinute: share(node.perAddressPerMinute),
  };
}

/**
 * The wait before restarting a worker that died, and the wait after that one: the minimum after
 * a worker that lived HEALTHY_AFTER_MS, else `current`, doubling up to RESTART_MAX_MS.
 */
export function restartBackoff(current: number, livedMs: number): { wait: number; next: number } {
  const wait = livedMs >= HEALTHY_AFTER_MS ? RESTART_MIN_MS : current;
  return { wait, next: Math.min(wait * 2, RESTART_MAX_MS) };
}

const isFromWorker = (m: unknown): m is FromWorker =>
  typeof m === 'object' && m !== null && 'certmint' in m;

/** The worker program beside this file: worker.js when built, worker.ts under tsx (tests). */
const workerProgram = (): string =>
  fileURLToPath(new URL(`./worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

/**
 * Starts `count` workers; resolves once all listen. Rejects with the first failure, after the
 * other workers are stopped.
 */
export function startWorkers(o: WorkersOptions): Promise<Workers> {
  // The stop of a worker that hangs: its requests have had the request timeout to finish.
  const graceMs = o.settings.server.requestTimeoutMs + 5_000;
  cluster.setupPrimary({ exec: workerProgram(), args: [], silent: false });
  const settings: WorkerSettings = {
    ...o.settings,
    rateLimits: workerRateLimits(o.settings.rateLimits, o.count),
  };
  const live = new Map<number, { worker: Worker; startedAt: number }>();
  const restarts = new Set<NodeJS.Timeout>();
  let restartDelay = RESTART_MIN_MS;
  let stopping = false;
  let ready = false;
  let address = '';
  let clean = true;
  let pending = o.count;
  let settle: { resolve: (w: Workers) => void; reject: (e: WorkerStartError) => void } | null =
    null;
  let drained: (() => void) | null = null;
  let stopped: Promise<boolean> | null = null;

  const send = (w: Worker, m: ToWorker) => {
    if (w.isConnected()) w.send(m);
  };

  const stopAll = (): Promise<boolean> => {
    stopped ??= stopEvery();
    return stopped;
  };
  const stopEvery = (): Promise<boolean> => {
    stopping = true;
    for (const t of restarts) clearTimeout(t);
    restarts.clear();
    if (live.size === 0) return Promise.resolve(clean);
    return new Promise((resolve) => {
      drained = () => resolve(clean);
      for (const { worker } of live.values()) {
        send(worker, { certmint: 'stop' });
        const kill = setTimeout(() => {
          o.logger.error(
            { worker: worker.id, workerPid: worker.process.pid, graceMs },
            `worker ${worker.id} did not stop in time: killed`,
          );
          worker.process.kill('SIGKILL');
        }, graceMs);
        kill.unref();
        worker.once('exit', () => clearTimeout(kill));
      }
    });
  };

  const fail = (e: WorkerStartError) => {
    if (!settle) return;
    const { reject } = settle;
    settle = null;
    void stopAll().then(() => reject(e));
  };

  const fork = () => {
    const worker = cluster.fork();
    const startedAt = o.clock.now();
    live.set(worker.id, { worker, startedAt });
    worker.on('message', (m: unknown) => {
      if (!isFromWorker(m)) return;
      if (m.certmint === 'hello') {
        send(worker, stopping ? { certmint: 'stop' } : { certmint: 'start', settings });
      } else if (m.certmint === 'listening') {
        address = m.address;
        o.logger.info(
          { worker: worker.id, workerPid: worker.process.pid },
          `worker ${worker.id} started`,
        );
        pending -= 1;
        if (pending === 0 && settle && !ready) {
          ready = true;
          const { resolve } = settle;
          settle = null;
          resolve({ address, stop: stopAll });
        }
      } else if (m.certmint === 'failed') {
        if (!ready) fail(new WorkerStartError(m.code, m.message));
        else o.logger.error({ worker: worker.id, reason: m.message }, 'worker failed to start');
      }
    });
    worker.on('exit', (code, signal) => {
      live.delete(worker.id);
      const how = { worker: worker.id, workerPid: worker.process.pid, code, signal };
      if (stopping) {
        if (code !== 0) clean = false;
        o.logger[code === 0 ? 'info' : 'warn'](how, `worker ${worker.id} stopped`);
        if (live.size === 0) drained?.();
        return;
      }
      if (!ready) {
        // It said why before exiting (fail() already ran), or it died without a word.
        fail(
          new WorkerStartError(
            null,
            `a worker exited while starting (${signal ?? `code ${code}`})`,
          ),
        );
        return;
      }
      const { wait: delay, next } = restartBackoff(restartDelay, o.clock.now() - startedAt);
      restartDelay = next;
      o.logger.warn({ ...how, restartInMs: delay }, `worker ${worker.id} exited: restarting it`);
      const t = setTimeout(() => {
        restarts.delete(t);
        if (!stopping) fork();
      }, delay);
      restarts.add(t);
    });
  };

  return new Promise<Workers>((resolve, reject) => {
    settle = { resolve, reject };
    for (let i = 0; i < o.count; i++) fork();
  });
}
