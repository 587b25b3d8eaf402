/**
 * buildApp(deps): the Fastify application, separate from `listen` so tests use `app.inject()`
 * (fastify docs/Guides/Testing.md). The caller owns the store: close the app, then the store.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { consoleRoutes } from '../console/plugin.ts';
import type { MasterKey } from '../crypto/master-key.ts';
import { type Clock, systemClock } from '../domain/clock.ts';
import { AuditWriter } from '../service/audit-writer.ts';
import { RecordCache } from '../service/token/record-cache.ts';
import { SigningKeys } from '../service/token/signing-keys.ts';
import { TokenService } from '../service/token/token-service.ts';
import type { Store } from '../store/ports.ts';
import type { AppContext } from './context.ts';
import { sendError } from './errors.ts';
import { adminRoutes } from './routes/admin.ts';
import { healthRoutes } from './routes/health.ts';
import { metadataRoutes } from './routes/metadata.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { rotationRoutes } from './routes/rotation.ts';
import { whoamiRoutes } from './routes/whoami.ts';

export interface AppDeps {
  store: Store;
  master: MasterKey;
  /** Base URL clients use, e.g. http://127.0.0.1:8080 — issuers are `${publicUrl}/accounts/<A>`. */
  publicUrl: string;
  clock?: Clock;
  /** Put the audit detail code in error_description (local development only). */
  explainErrors?: boolean;
  /** A pino logger (default: none). */
  logger?: FastifyBaseLogger;
  trustProxy?: boolean;
}

export const BODY_LIMIT = 256 * 1024 + 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const clock = deps.clock ?? systemClock;
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Per-request info logs cost ~10% on the token endpoint; server errors are still logged
    // by our error handler (http/errors.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.trustProxy ?? false,
    return503OnClosing: true,
  });
  const publicUrl = deps.publicUrl.replace(/\/+$/, '');
  const cache = new RecordCache(deps.store, clock);
  const keys = new SigningKeys(deps.store, clock, deps.master);
  const audit = new AuditWriter(deps.store.audit);
  const tokens = new TokenService({ store: deps.store, clock, cache, keys, audit, publicUrl });
  const ctx: AppContext = {
    store: deps.store,
    clock,
    tokens,
    keys,
    cache,
    audit,
    publicUrl,
    explainErrors: deps.explainErrors ?? false,
    master: deps.master,
  };
  app.decorate('certmint', ctx);

  // OAuth endpoints read the raw form themselves (duplicates, limits: service/token/form.ts).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  app.setErrorHandler((err, req, reply) =>
    sendError(reply, err, {
      realm: null,
      explain: ctx.explainErrors,
      scheme: 'Bearer',
      log: req.log,
    }),
  );
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such endpoint' }),
  );

  const purge = setInterval(() => {
    const now = clock.now();
    deps.store.replay
      .purgeExpired(now)
      .catch((err: unknown) => app.log.warn({ err }, 'replay purge failed'));
    deps.store.revokedTokens
      .purgeExpired(now)
      .catch((err: unknown) => app.log.warn({ err }, 'revoked-token purge failed'));
  }, 60_000);
  purge.unref();

  app.addHook('onClose', async () => {
    clearInterval(purge);
    await audit.drain();
    cache.close();
    keys.close();
  });

  const routes: Array<[(app: FastifyInstance) => Promise<void>, string]> = [
    [healthRoutes, ''],
    [metadataRoutes, ''],
    [oauthRoutes, '/accounts/:accountId'],
    [whoamiRoutes, '/accounts/:accountId'],
    [rotationRoutes, '/accounts/:accountId'],
    [signedInRoutes, ''],
  ];
  for (const [plugin, prefix] of routes) {
    await app.register(plugin, { prefix });
  }
  return app;
}

/**
 * The console and the admin API in one encapsulated scope: the console's cookie, CSRF and
 * session hooks (registered without encapsulation so they reach /api/v1) stay off the OAuth
 * endpoints, where they cost ~7 % of the token endpoint's CPU (docs/performance.md).
 */
async function signedInRoutes(scope: FastifyInstance): Promise<void> {
  // The console first: its session hook must be in place when the admin API routes register.
  const plugins: Array<[(app: FastifyInstance) => Promise<void>, string]> = [
    [consoleRoutes, '/console'],
    [adminRoutes, '/api/v1'],
  ];
  for (const [plugin, prefix] of plugins) await scope.register(plugin, { prefix });
}
