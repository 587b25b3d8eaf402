/** `certmint serve`: the HTTP server on the store named by --db. */
import { Command, Option } from 'commander';
import pino from 'pino';
import { systemClock } from '../../domain/clock.ts';
import { CliError } from '../errors.ts';
import { globalOptions, write } from '../output.ts';

interface ServeOptions {
  port: string;
  host: string;
  publicUrl?: string;
  explainErrors?: boolean;
  logLevel: string;
}

function portOf(s: string): number {
  const n = Number(s);
  if (!/^[0-9]{1,5}$/.test(s) || n > 65535)
    throw new CliError(`--port must be 0-65535 (got "${s}")`);
  return n;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the authorization server (token endpoint, JWKS, admin API, console)')
    .option('--port <n>', 'port to listen on', process.env.PORT ?? '8080')
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--public-url <url>', 'base URL clients use (default http://<host>:<port>)')
    .option('--explain-errors', 'put the audit detail code in error_description (development only)')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['fatal', 'error', 'warn', 'info', 'debug'])
        .default('info'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  certmint serve --port 8080\n  certmint serve --db postgres://user@db/certmint --host 0.0.0.0 --public-url https://auth.example.com\n\n' +
        'Token-signing keys are encrypted with CERTMINT_SECRET, or with a key file created beside the database.',
    )
    .action(async (o: ServeOptions, cmd: Command) => {
      const g = globalOptions(cmd);
      const port = portOf(o.port);
      const displayHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host;
      const publicUrl = (o.publicUrl ?? `http://${displayHost}:${port}`).replace(/\/+$/, '');
      // The login is printed right away: a later failure (port busy) must not lose it.
      const { openServices } = await import('../../service/runtime.ts');
      const services = await openServices({
        db: g.db,
        publicUrl,
        secret: process.env.CERTMINT_SECRET,
        serving: true,
        clock: systemClock,
      });
      const first = await services.bootstrap();
      if (first) {
        write(
          [
            '',
            `First start: created account ${first.accountId} and its administrator.`,
            `  Console:  ${publicUrl}/console`,
            `  Email:    ${first.email}`,
            `  Password: ${first.password}`,
            'This password is shown once. Sign in and enrol two-factor authentication.',
            '',
          ].join('\n'),
        );
      }
      const logger = pino({
        level: o.logLevel,
        redact: ['req.headers.authorization', 'req.headers.cookie', 'req.body'],
      });
      services.startBackgroundJobs((err, job) => logger.warn({ err }, `${job} failed`));
      const { buildApp } = await import('../../http/app.ts');
      const app = await buildApp({ services, explainErrors: o.explainErrors === true, logger });
      const address = await app.listen({ port, host: o.host });
      write(
        `certmint listening on ${address} (store: ${services.dialect}, signing keys: ${services.signingKeys.source})`,
      );
      write(`issuer of an account A: ${publicUrl}/accounts/A`);
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
    });
}
