/** `certmint serve`: the HTTP server on the store named by --db. */
import { Command, Option } from 'commander';
import pino, { type Logger } from 'pino';
import { systemClock } from '../../domain/clock.ts';
import type { NoticeSettings } from '../../service/notices/index.ts';
import type { Services } from '../../service/services.ts';
import { CliError } from '../errors.ts';
import { firstLogin, firstLoginText } from '../first-login.ts';
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
    );
  return addNoticeOptions(serve)
    .addHelpText(
      'after',
      '\nExample:\n  certmint serve --port 8080\n  certmint serve --db postgres://user@db/certmint --host 0.0.0.0 --public-url https://auth.example.com\n\n' +
        'Token-signing keys are encrypted with CERTMINT_SECRET (or --secret-file), else with a key file created beside the database.',
    )
    .action(async (o: ServeFlags & NoticeFlags & LimitFlags & OperationsFlags, cmd: Command) => {
      const g = globalOptions(cmd);
      const { port, publicUrl, ...s } = serveSettings(o);
      const notices = noticeSettings(o);
      const limits = limitSettings(o);
      const ops = operationsSettings(o);
      const secret = masterSecret(o.secretFile);
      const { openServices } = await import('../../service/runtime.ts');
      // Refuses, in one line, a PostgreSQL node without CERTMINT_SECRET, and a node whose
      // secret or public URL differs from the store's (service/cluster.ts).
      const services = await openServices({
        db: g.db,
        publicUrl,
        secret,
        filesDir: g.location.dir,
        serving: true,
        changePublicUrl: ops.changePublicUrl,
        auditRetentionDays: ops.auditRetentionDays,
        feedTimeoutMs: ops.feedTimeoutMs,
        clock: systemClock,
        notices,
        rateLimits: limits.rate,
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
      // An in-memory SQLite store exists in one process only: workers would each have another.
      const workers = g.db === ':memory:' ? 1 : ops.workers;
      if (workers > 1) {
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
        };
        await serveWithWorkers(services, logger, settings, workers, notices);
        return;
      }
      const { buildApp } = await import('../../http/app.ts');
      const app = await buildApp({
        services,
        explainErrors: s.explainErrors,
        logger,
        limits: limits.server,
      });
      let address: string;
      try {
        address = await app.listen({ port, host: s.host });
      } catch (e) {
        await app.close();
        await services.close();
        throw listenError(e, { port, publicUrl, ...s });
      }
      write(describeNotices(notices));
      let closing = false;
      const shutdown = (signal: string) => {
        if (closing) return;
        closing = true;
        logger.info({ signal }, 'shutting down: finishing in-flight requests');
        // app.close waits for in-flight requests; then the services drain the audit writer and
        // close the store.
        app
          .close()
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
    });
}

/**
 * The primary of `--workers N`: the services opened above run the background jobs here; the
 * workers serve. Prints the same lines, once, as a single process does.
 */
async function serveWithWorkers(
  services: Services,
  logger: Logger,
  settings: WorkerSettings,
  count: number,
  notices: NoticeSettings,
): Promise<void> {
  const { startWorkers } = await import('../serve/primary.ts');
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  try {
    workers = await startWorkers({ count, settings, logger, clock: systemClock });
  } catch (e) {
    await services.close();
    // A busy port is reported by every worker with the listen error's code: the same one line.
    throw listenError(e, settings);
  }
  write(describeNotices(notices));
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, workers: count }, 'shutting down: stopping the workers');
    workers
      .stop()
      .then(async (clean) => {
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
}
