/**
 * One worker process of `certmint serve --workers N` (node:cluster): it answers HTTP on the port
 * the primary shares out round-robin, with services of its own on the shared store. The primary
 * (primary.ts) has done the one-time work (migrations, cluster checks, bootstrap) and runs the
 * background jobs; a worker only serves. Replay records, revoked tokens and the audit trail are
 * in the store, so every worker sees every other's writes at once; its record and key caches are
 * invalidated by the store's change feed, as those of another node would be.
 *
 * This file is the worker's program. Its settings come over the IPC channel, never the command
 * line or the environment, so the signing-key secret shows in neither (`ps`, /proc/<pid>/environ).
 */
import cluster from 'node:cluster';
import { hostname } from 'node:os';
import pino from 'pino';
import { systemClock } from '../../domain/clock.ts';
import { cliMessage, isDomainError } from '../../domain/errors.ts';
import type { ServerLimits } from '../../http/server-limits.ts';
import type { TlsSettings } from '../../http/tls.ts';
import { answerClusterScrapes } from '../../service/metrics-cluster.ts';
import type { RateLimits } from '../../service/token/rate-limit.ts';
import type { LogLevel } from '../settings.ts';
import { appOptions } from './app-options.ts';
import { type MetricsAnswer, type MetricsRequest, PrimaryMetrics } from './metrics-ipc.ts';

/** What a serving process needs (a worker, or the single process), resolved once from flags and environment. */
export interface WorkerSettings {
  db: string;
  filesDir: string;
  publicUrl: string;
  secret: string | undefined;
  feedTimeoutMs: number;
  rateLimits: RateLimits;
  server: ServerLimits;
  host: string;
  port: number;
  explainErrors: boolean;
  logLevel: LogLevel;
  /** HTTPS and client certificates (RFC 8705), as the primary read them; null: plain HTTP. */
  tls: TlsSettings | null;
  clientCertificateHeader: string | null;
  /** Demand DPoP server nonces (sealed with the master key, so any worker accepts any's). */
  dpopNonce: boolean;
  /**
   * Metrics on (`--metrics-listen` or `--metrics-token-file`): requests are measured, and with
   * a token /metrics on the main listener answers the node's metrics (asked of the primary).
   * null: off.
   */
  metrics: { token: string | null } | null;
}

export type ToWorker =
  | { certmint: 'start'; settings: WorkerSettings }
  | { certmint: 'stop' }
  | MetricsAnswer;

export type FromWorker =
  /** The worker listens for messages: the primary may send its settings now. */
  | { certmint: 'hello' }
  | { certmint: 'listening'; address: string }
  /** It could not start; `code` is the listen error's (EADDRINUSE …), else null. */
  | { certmint: 'failed'; code: string | null; message: string }
  /** The node's metrics, for /metrics on the main listener (metrics-ipc.ts). */
  | MetricsRequest;

const isToWorker = (m: unknown): m is ToWorker =>
  typeof m === 'object' && m !== null && 'certmint' in m;

function send(m: FromWorker): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(m, undefined, undefined, () => resolve());
  });
}

const messageOf = (e: unknown): string =>
  isDomainError(e) ? cliMessage(e) : e instanceof Error ? e.message : String(e);

async function serveAsWorker(s: WorkerSettings, stopRequested: () => boolean): Promise<void> {
  const logger = pino({
    level: s.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body'],
    // Every line says which worker wrote it (the primary logs which pid each id has).
    base: { pid: process.pid, hostname: hostname(), worker: cluster.worker?.id ?? 0 },
  });
  const { openServices } = await import('../../service/runtime.ts');
  // The primary has checked the secret and public URL against the store already (and made its
  // public URL the store's if told to): this check passes, and costs one read.
  const services = await openServices({
    db: s.db,
    publicUrl: s.publicUrl,
    secret: s.secret,
    filesDir: s.filesDir,
    serving: true,
    feedTimeoutMs: s.feedTimeoutMs,
    clock: systemClock,
    rateLimits: s.rateLimits,
    dpopNonce: s.dpopNonce,
  });
  // The primary's scrapes now get this worker's counters and histograms.
  answerClusterScrapes(services.metrics);
  const node = new PrimaryMetrics(services.metrics.contentType, (m) => void send(m));
  process.on('message', (m: unknown) => {
    if (isToWorker(m) && m.certmint === 'metrics') node.answered(m);
  });
  const { buildApp } = await import('../../http/app.ts');
  const app = await buildApp(appOptions(services, logger, s, node));
  // Debug only (request logging is off for speed): which worker answered, by method and path
  // (never the query string, never a header or body).
  if (logger.isLevelEnabled('debug')) {
    app.server.on('request', (req: { method?: string; url?: string }) => {
      logger.debug({ method: req.method, path: (req.url ?? '').split('?')[0] }, 'request');
    });
  }
  let closing = false;
  const shutdown = (why: string) => {
    if (closing) return;
    closing = true;
    logger.info({ why }, 'worker shutting down: finishing in-flight requests');
    app
      .close()
      .then(() => services.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'worker shutdown failed');
        process.exit(1);
      });
  };
  let address: string;
  try {
    address = await app.listen({ port: s.port, host: s.host });
  } catch (e) {
    await app.close();
    await services.close();
    const code = (e as NodeJS.ErrnoException).code;
    await send({ certmint: 'failed', code: code ?? null, message: messageOf(e) });
    process.exit(1);
  }
  // Only now: closing the server while the primary has not answered the listen crashes Node 20
  // (net.js listenOnPrimaryHandle closes a null handle). A stop asked meanwhile is done now.
  process.on('message', (m: unknown) => {
    if (isToWorker(m) && m.certmint === 'stop') shutdown('stop');
  });
  // Someone stopping this one worker: it goes, and the primary starts another.
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  await send({ certmint: 'listening', address });
  if (stopRequested()) shutdown('stop');
}

if (cluster.isWorker) {
  // Ctrl-C in a terminal reaches every process of the group: the primary alone decides, and
  // stops the workers in order (a worker leaving on its own would be restarted).
  process.on('SIGINT', () => undefined);
  // The IPC channel failing (EPIPE) means the primary is gone: leave quietly, as Node's cluster
  // does when the channel closes.
  cluster.worker?.on('error', () => process.exit(1));
  // Answer the primary's metrics scrapes from the start (with nothing until the services open):
  // a worker still starting must not make the node's scrape wait and fail.
  answerClusterScrapes(null);
  let started = false;
  let stop = false;
  process.on('message', (m: unknown) => {
    if (!isToWorker(m)) return;
    if (m.certmint === 'stop') {
      stop = true;
      if (!started) process.exit(0);
    }
    if (m.certmint !== 'start' || started) return;
    started = true;
    serveAsWorker(m.settings, () => stop).catch(async (e: unknown) => {
      await send({ certmint: 'failed', code: null, message: messageOf(e) });
      process.exit(1);
    });
  });
  void send({ certmint: 'hello' });
}
