/** `certmint serve`: the HTTP server on the store named by --db. */
import { Command, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { systemClock } from '../../domain/clock.ts';
import type { Services } from '../../service/services.ts';
import { CliError } from '../errors.ts';
import { firstLogin, firstLoginText } from '../first-login.ts';
import { envVar } from '../io.ts';
import {
  listenMetrics,
  type MetricsFlags,
  type MetricsSettings,
  metricsSettings,
} from '../metrics-settings.ts';
import { addNoticeOptions, describeNotices } from '../notice-options.ts';
import { globalOptions, write } from '../output.ts';
import type { WorkerSettings } from '../serve/worker.ts';
import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_FEED_TIMEOUT_MS,
  describeStore,
  type LimitFlags,
  LOG_LEVELS,
  limitSettings,
  masterSecret,
  type NoticeFlags,
  noticeSettings,
  type OperationsFlags,
  operationsSettings,
  type ServeFlags,
  type ServeSettings,
  serveSettings,
} from '../settings.ts';
import { type TlsFlags, tlsSettings } from '../tls-settings.ts';

/** A busy port is a user's choice to make, not a crash: say so and how to pick another. */
function listenError(e: unknown, s: ServeSettings): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new CliError(
      `port ${s.port} on ${s.host} is already in use: stop what holds it, or choose another port with --port <n> or PORT=<n>`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new CliError(`cannot listen on host ${s.host}: choose another with --host or HOST`);
  }
  if (code === 'EACCES') {
    return new CliError(
      `not allowed to listen on port ${s.port}: use a port above 1023 (--port or PORT)`,
    );
  }
  return e;
}

type ServeCommandFlags = ServeFlags &
  NoticeFlags &
  LimitFlags &
  OperationsFlags &
  MetricsFlags &
  TlsFlags & { dpopNonce?: boolean };

export function serveCommand(): Command {
  const serve = new Command('serve')
    .description('run the authorization server (token endpoint, JWKS, admin API, console)')
    .option('--port <n>', 'port to listen on (default: $PORT, else 8080)')
    .option('--host <addr>', 'address to listen on (default: $HOST, else 127.0.0.1)')
    .option(
      '--public-url <url>',
      'base URL clients use (default: $CERTMINT_PUBLIC_URL, else http://<host>:<port>)',
    )
    .option(
      '--explain-errors',
      'put the audit detail code in error_description, development only (or CERTMINT_EXPLAIN_ERRORS=1)',
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'log level (default: $CERTMINT_LOG_LEVEL, else info)',
      ).choices(LOG_LEVELS),
    )
    .option(
      '--secret-file <file>',
      'file holding the secret that encrypts signing keys (default: $CERTMINT_SECRET)',
    )
    .option(
      '--audit-retention <days>',
      `days the audit trail is kept, 0 forever (default: $CERTMINT_AUDIT_RETENTION_DAYS, else ${DEFAULT_AUDIT_RETENTION_DAYS})`,
    )
    .option(
      '--feed-timeout <ms>',
      `PostgreSQL: a silent change-feed connection is replaced within this long (default: $CERTMINT_FEED_TIMEOUT_MS, else ${DEFAULT_FEED_TIMEOUT_MS})`,
    )
    .option(
      '--change-public-url',
      "make --public-url the store's public URL (issuer base) instead of refusing a different one",
    )
    .option('--headers-timeout <ms>', 'request line and headers within (default: 10000)')
    .option('--request-timeout <ms>', 'the whole request within (default: 30000)')
    .option(
      '--keep-alive-timeout <ms>',
      'close an idle keep-alive connection after (default: 72000)',
    )
    .option('--idle-timeout <ms>', 'destroy a socket silent for (default: 120000)')
    .option('--max-connections <n>', 'refuse connections beyond this many (default: 512)')
    .option(
      '--rate-limit-client <n>',
      'OAuth requests per minute per client id, 0 for none (default: 6000)',
    )
    .option(
      '--rate-limit-address <n>',
      'OAuth requests per minute per address, 0 for none (default: 30000)',
    )
    .option(
      '--workers <n>',
      'processes serving the port, 1 for a single process (default: $CERTMINT_WORKERS, else one per core)',
    )
    .option(
      '--metrics-listen <host:port>',
      'serve /metrics on a listener of its own (default: $CERTMINT_METRICS_LISTEN, else none)',
    )
    .option(
      '--metrics-token-file <file>',
      'serve /metrics on the main listener to this bearer token (default: $CERTMINT_METRICS_TOKEN, else not)',
    )
    .option(
      '--tls-cert <file>',
      'serve HTTPS with this PEM certificate (chain) ($CERTMINT_TLS_CERT)',
    )
    .option('--tls-key <file>', 'and this PEM private key ($CERTMINT_TLS_KEY)')
    .addOption(
      new Option(
        '--client-certs <mode>',
        'ask TLS clients for a certificate, for certificate-bound tokens (default: $CERTMINT_CLIENT_CERTS, else none)',
      ).choices(['none', 'request']),
    )
    .option(
      '--client-cert-header <name>',
      'behind a TLS-terminating proxy: the header it puts the client certificate in, URL-encoded PEM; the proxy must strip it from client requests ($CERTMINT_CLIENT_CERT_HEADER)',
    )
    .option(
      '--dpop-nonce',
      'demand a server nonce in DPoP proofs at the token endpoint, RFC 9449 §8 (or CERTMINT_DPOP_NONCE=1)',
    );
  return addNoticeOptions(serve)
    .addHelpText(
      'after',
      '\nExample:\n  certmint serve --port 8080\n  certmint serve --db postgres://user@db/certmint --host 0.0.0.0 --public-url https://auth.example.com\n\n' +
        'Token-signing keys are encrypted with CERTMINT_SECRET (or --secret-file), else with a key file created beside the database.',
    )
    .action(async (o: ServeCommandFlags, cmd: Command) => {
      const g = globalOptions(cmd);
      const tls = tlsSettings(o);
      const { port, publicUrl, ...s } = serveSettings(o, tls.tls !== null);
      const notices = noticeSettings(o);
      const limits = limitSettings(o);
      const ops = operationsSettings(o);
      const secret = masterSecret(o.secretFile);
      const metrics = metricsSettings(o);
      const dpopNonce = o.dpopNonce === true || envVar('CERTMINT_DPOP_NONCE') === '1';
      // An in-memory SQLite store exists in one process only: workers would each have another.
      const workers = g.db === ':memory:' ? 1 : ops.workers;
      const { openServices } = await import('../../service/runtime.ts');
      // Refuses, in one line, a PostgreSQL node without CERTMINT_SECRET, and a node whose
      // secret or public URL differs from the store's (service/cluster.ts).
      const services = await openServices({
        db: g.db,
        publicUrl,
        secret,
        filesDir: g.location.dir,
        serving: true,
        // With workers, they checkpoint the SQLite WAL; this process only runs the jobs.
        checkpoints: workers <= 1,
        changePublicUrl: ops.changePublicUrl,
        auditRetentionDays: ops.auditRetentionDays,
        feedTimeoutMs: ops.feedTimeoutMs,
        clock: systemClock,
        notices,
        rateLimits: limits.rate,
        dpopNonce,
      });
      write(`store: ${describeStore(g.location)} (${services.dialect})`);
      if (ops.changePublicUrl) {
        write(`the store's public URL is now ${publicUrl}: restart every other node with it`);
      }
      // Told right away: a later failure (port busy) must not lose where the password is.
      const first = await firstLogin(services, g.location);
      if (first) write(firstLoginText(first, `${publicUrl}/console`));
      const logger = pino({
        level: s.logLevel,
        redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body'],
      });
      // In this process only, whatever the number of workers: purges and notices run once.
      services.startBackgroundJobs((err, job) => logger.warn({ err }, `${job} failed`));
      logger.debug('background jobs started (purges, expiry notices)');
      const settings: WorkerSettings = {
        db: g.db,
        filesDir: g.location.dir,
        publicUrl,
        secret,
        feedTimeoutMs: ops.feedTimeoutMs,
        rateLimits: limits.rate,
        server: limits.server,
        host: s.host,
        port,
        explainErrors: s.explainErrors,
        logLevel: s.logLevel,
        // PEM text, not Buffers: the settings travel to the workers as JSON over IPC.
        tls: tls.tls && {
          cert: tls.tls.cert.toString(),
          key: tls.tls.key.toString(),
          clientCertificates: tls.tls.clientCertificates,
        },
        clientCertificateHeader: tls.clientCertificateHeader,
        dpopNonce,
        metrics: metrics.listen || metrics.token ? { token: metrics.token } : null,
      };
      if (workers > 1) {
        const lines = { notices: describeNotices(notices), certs: describeClientCertificates(tls) };
        await serveWithWorkers(services, logger, settings, workers, lines, metrics);
        return;
      }
      const { buildApp } = await import('../../http/app.ts');
      const { appOptions } = await import('../serve/app-options.ts');
      const app = await buildApp(appOptions(services, logger, settings));
      let address: string;
      let metricsListener: Awaited<ReturnType<typeof listenMetrics>> = null;
      try {
        address = await app.listen({ port, host: s.host });
        metricsListener = await listenMetrics(services, metrics);
      } catch (e) {
        await app.close();
        await services.close();
        throw e instanceof CliError ? e : listenError(e, { port, publicUrl, ...s });
      }
      write(describeNotices(notices));
      const certs = describeClientCertificates(tls);
      if (certs) write(certs);
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        // app.close waits for in-flight requests; then the services drain the audit writer and
        // close the store.
        Promise.all([app.close(), metricsListener?.close()])
          .then(() => services.close())
          .then(() => process.exit(0))
          .catch((err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          });
      };
      process.once('SIGINT', () => shutdown('SIGINT'));
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      // Only now: whoever waits for these lines may stop the server at once, and a signal that
      // came before the handlers would end the process without closing the store.
      write(`certmint listening on ${address} (signing keys: ${services.signingKeys.source})`);
      write(`issuer of an account A: ${publicUrl}/accounts/A`);
      if (metricsListener) write(`metrics: ${metricsListener.address}/metrics`);
      else if (metrics.token) write(`metrics: ${publicUrl}/metrics (bearer token)`);
    });
}

/**
 * The primary of `--workers N`: the services opened above run the background jobs here; the
 * workers serve. Prints the same lines, once, as a single process does. Metrics are the node's:
 * the workers' summed, the store's read here (service/metrics-cluster.ts), on the metrics
 * listener here, and through any worker behind the token.
 */
async function serveWithWorkers(
  services: Services,
  logger: Logger,
  settings: WorkerSettings,
  count: number,
  /** Printed once listening, before the `listening` line (as a single process does). */
  lines: { notices: string; certs: string | null },
  metrics: MetricsSettings,
): Promise<void> {
  const { startWorkers } = await import('../serve/primary.ts');
  const { ClusterMetrics } = await import('../../service/metrics-cluster.ts');
  const node = settings.metrics ? new ClusterMetrics(services.metrics) : null;
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  try {
    workers = await startWorkers({ count, settings, logger, clock: systemClock, metrics: node });
  } catch (e) {
    await services.close();
    // A busy port is reported by every worker with the listen error's code: the same one line.
    throw listenError(e, settings);
  }
  let metricsListener: Awaited<ReturnType<typeof listenMetrics>> = null;
  try {
    if (node) metricsListener = await listenMetrics({ metrics: node }, metrics);
  } catch (e) {
    await workers.stop();
    await services.close();
    throw e;
  }
  write(lines.notices);
  if (lines.certs) write(lines.certs);
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, workers: count }, 'shutting down: stopping the workers');
    Promise.all([workers.stop(), metricsListener?.close()])
      .then(async ([clean]) => {
        await services.close();
        process.exit(clean ? 0 : 1);
      })
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  write(`certmint listening on ${workers.address} (signing keys: ${services.signingKeys.source})`);
  write(`issuer of an account A: ${settings.publicUrl}/accounts/A`);
  if (metricsListener) write(`metrics: ${metricsListener.address}/metrics`);
  else if (metrics.token) write(`metrics: ${settings.publicUrl}/metrics (bearer token)`);
}

/** One line on where certificate-bound tokens get their certificate, when they can. */
function describeClientCertificates(t: ReturnType<typeof tlsSettings>): string | null {
  if (t.clientCertificateHeader !== null) {
    return `client certificates: from the ${t.clientCertificateHeader} header (the proxy in front must strip it from client requests)`;
  }
  if (t.tls?.clientCertificates === 'request') {
    return 'client certificates: requested on TLS connections (certificate-bound tokens, RFC 8705)';
  }
  return null;
}
