/**
 * buildApp(deps): the Fastify application, separate from `listen` so tests use `app.inject()`
 * (fastify docs/Guides/Testing.md). The caller owns the services: close the app, then them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { consoleRoutes } from '../console/plugin.ts';
import type { Services } from '../service/services.ts';
import type { AppContext } from './context.ts';
import { sendError } from './errors.ts';
import { type MetricsOptions, observeRequests, protectedMetricsRoute } from './metrics.ts';
import { registerOpenApi } from './openapi.ts';
import { adminRoutes } from './routes/admin.ts';
import { healthRoutes } from './routes/health.ts';
import { metadataRoutes } from './routes/metadata.ts';
import { oauthRoutes } from './routes/oauth.ts';
import { rotationRoutes } from './routes/rotation.ts';
import { whoamiRoutes } from './routes/whoami.ts';
import { SHARED_SCHEMAS } from './schemas.ts';
import { httpServerOptions, type ServerLimits, serverLimits } from './server-limits.ts';
import { httpsServerOptions, type TlsSettings } from './tls.ts';
import { TokenRoute } from './token-route.ts';
import { asRefusal, errorBodyForUrl, errorBodyOf, routerRefusal } from './validation.ts';

export interface AppDeps {
  /** The composition root (service/services.ts): every use case the routes call. */
  services: Services;
  /** Put the audit detail code in error_description (local development only). */
  explainErrors?: boolean;
  /** A pino logger (default: none). */
  logger?: FastifyBaseLogger;
  trustProxy?: boolean;
  /** Timeouts and the connection cap (defaults: DEFAULT_SERVER_LIMITS, server-limits.ts). */
  limits?: Partial<ServerLimits>;
  /** Request latencies measured, and /metrics behind a token (absent: neither; http/metrics.ts). */
  metrics?: MetricsOptions;
  /** Serve HTTPS, optionally asking clients for a certificate (RFC 8705; tls.ts). */
  tls?: TlsSettings;
  /** Header a TLS-terminating proxy puts the client certificate in (URL-encoded PEM). */
  clientCertificateHeader?: string;
  /**
   * Answer the plain token request on node:http before Fastify (token-route.ts): about 5 %
   * less CPU per token. Hooks added to the app do not see those requests, so it is off unless
   * asked for; `certmint serve` turns it on (it adds no hooks).
   */
  nodeTokenRoute?: boolean;
}

export const BODY_LIMIT = 256 * 1024 + 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = serverLimits(deps.limits);
  const app = Fastify({
    // Slow clients must not hold sockets forever (server-limits.ts).
    ...(deps.tls
      ? { https: httpsServerOptions(deps.tls, httpServerOptions(limits)) }
      : { http: httpServerOptions(limits) }),
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // Per-request info logs cost ~10% on the token endpoint; server errors are still logged
    // by our error handler (http/errors.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.trustProxy ?? false,
    return503OnClosing: true,
    // URLs the router refuses (bad percent-encoding, an over-long segment) get our error body.
    frameworkErrors: (err, req, reply) =>
      sendError(reply, routerRefusal(err), {
        realm: null,
        explain: false,
        scheme: 'Bearer',
        log: req.log,
        api: errorBodyForUrl(req.url) === 'api',
      }),
  });
  app.server.maxConnections = limits.maxConnections;
  const ctx: AppContext = {
    services: deps.services,
    explainErrors: deps.explainErrors ?? false,
    clientCertificates: {
      tlsRequested: deps.tls?.clientCertificates === 'request',
      header: deps.clientCertificateHeader?.toLowerCase() ?? null,
    },
  };
  app.decorate('certmint', ctx);
  app.decorate('tokenRoute', deps.nodeTokenRoute ? serveTokenRoute(app, deps) : null);

  // OAuth endpoints read the raw form themselves (duplicates, limits: service/token/form.ts).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (_req, body, done) => done(null, body),
  );

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  if (deps.metrics) observeRequests(app, deps.services.metrics);
  if (deps.metrics?.token) {
    const source = deps.metrics.source ?? deps.services.metrics;
    protectedMetricsRoute(app, source, deps.metrics.token);
  }
  // Before the routes: it documents them as they register.
  await registerOpenApi(app);
  // Errors no handler caught: Fastify's own (schema refusals, bad JSON, body too large) and
  // those of routes outside an account.
  app.setErrorHandler((err, req, reply) =>
    sendError(reply, asRefusal(err, req), {
      realm: null,
      explain: ctx.explainErrors,
      scheme: 'Bearer',
      log: req.log,
      api: errorBodyOf(req) === 'api',
    }),
  );
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such endpoint' }),
  );
  // A browser opening the server's root lands on the console; API clients keep the 404.
  app.get('/', (req, reply) =>
    /\btext\/html\b/.test(req.headers.accept ?? '')
      ? reply.redirect('/console', 302)
      : reply.callNotFound(),
  );

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
 * `nodeTokenRoute`: the plain token request is answered by TokenRoute on node:http before
 * Fastify sees it (token-route.ts); every other request reaches Fastify's own handler as before. Fastify's
 * handler is the server's one 'request' listener; `app.inject` calls Fastify directly, so
 * tests that inject always take Fastify's route.
 */
function serveTokenRoute(app: FastifyInstance, deps: AppDeps): TokenRoute {
  const metrics = deps.metrics ? deps.services.metrics : null;
  const route = new TokenRoute(app.certmint, {
    bodyLimit: BODY_LIMIT,
    trustProxy: deps.trustProxy ?? false,
    log: app.log,
    observe: metrics ? (r, m, s) => metrics.observeRequest(r, m, s) : undefined,
  });
  const server = app.server;
  const listeners = server.listeners('request');
  const fastify = listeners[0] as ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  if (fastify === undefined || listeners.length !== 1) {
    throw new Error('certmint: expected Fastify as the one request listener of its server');
  }
  server.removeListener('request', fastify);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!route.take(req, res)) fastify.call(server, req, res);
  });
  app.addHook('preClose', (done) => {
    route.close();
    done();
  });
  return route;
}

/**
 * The console and the admin API in one encapsulated scope: the console's cookie, CSRF and
 * session hooks (registered without encapsulation so they reach /api/v1) stay off the OAuth
 * endpoints, where they cost ~7 % of the token endpoint's CPU (docs/performance.md).
 */
async function signedInRoutes(scope: FastifyInstance): Promise<void> {
  // The console first: its session hook must be in place when the admin API routes register.
  // consoleRoutes is not encapsulated (see console/plugin.ts): it mounts its pages at /console.
  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await scope.register(consoleRoutes, { services: scope.certmint.services });
  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await scope.register(adminRoutes, { prefix: '/api/v1' });
}
