/**
 * The admin console under /console: server-rendered pages over the service layer.
 *
 * `consoleRoutes` is registered without encapsulation (fastify's `skip-override`) so that two
 * things reach beyond /console: cookie parsing with the CSRF plugin, and the hook that lets a
 * signed-in console user call the admin API (/api/v1 reads `request.certmintActor`). It must
 * therefore be registered before the admin API routes. Everything else — security headers,
 * rate limits, uploads, the session hook, error pages — lives in the encapsulated /console
 * context and does not touch the OAuth endpoints.
 */
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import helmet from '@fastify/helmet';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../service/index.ts';
import { assetRoutes } from './assets.ts';
import { signInRoutes } from './auth/sign-in.ts';
import { twoFactorRoutes } from './auth/two-factor.ts';
import { normalizeBody } from './body.ts';
import { BASE, cookieNames, MAX_UPLOAD_BYTES } from './config.ts';
import { consoleErrorHandler, errorPage } from './errors.ts';
import { protectedRoutes } from './pages/index.ts';
import { authenticate, type ConsoleEnv } from './session.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Strict CSP: our own script and stylesheet only, no inline code, QR codes as data: images. */
function contentSecurityPolicy(secure: boolean) {
  return {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      objectSrc: ["'none'"],
      ...(secure ? { upgradeInsecureRequests: [] } : {}),
    },
  };
}

async function consolePages(app: FastifyInstance, opts: { env: ConsoleEnv }): Promise<void> {
  const { env } = opts;
  await app.register(helmet, {
    contentSecurityPolicy: contentSecurityPolicy(env.secure),
    // HSTS only means something over HTTPS; on plain http it would be ignored anyway.
    hsts: env.secure,
    crossOriginEmbedderPolicy: false,
  });
  await app.register(rateLimit, { global: false });
  // Parts are read by normalizeBody (body.ts), which tells a malformed body (400) from a bug.
  await app.register(multipart, {
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 20, fieldSize: 4096, parts: 25 },
  });

  app.setErrorHandler(consoleErrorHandler);
  app.setNotFoundHandler((req, reply) =>
    errorPage(req, reply, 404, 'There is no such page in the console.'),
  );

  app.addHook('onRequest', async (req) => {
    // The stylesheet and script are public: no session lookup for them.
    if (!req.url.startsWith(`${BASE}/assets/`)) await authenticate(env, req);
  });
  app.addHook('preValidation', normalizeBody);
  // CSRF on every state-changing request, signed in or not (sign-in included).
  app.addHook('preHandler', (req, reply, done) => {
    if (SAFE_METHODS.has(req.method)) done();
    else app.csrfProtection(req, reply, done);
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    // Pages show account data and once-only secrets: never cache them.
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await app.register(assetRoutes);
  await signInRoutes(app, env);
  await twoFactorRoutes(app, env);
  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await app.register(protectedRoutes, { env });
}

/**
 * For /api/v1: a console session (no Authorization header) authenticates as its entity and
 * role; a state-changing call must also carry the CSRF token in `x-csrf-token`.
 */
function apiSessionHook(app: FastifyInstance, env: ConsoleEnv) {
  return (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void => {
    if (!req.url.startsWith('/api/v1/') || req.headers.authorization !== undefined) {
      done();
      return;
    }
    if (!req.cookies[env.cookies.session]) {
      done();
      return;
    }
    authenticate(env, req).then(() => {
      const user = req.consoleUser;
      if (!user) return done();
      if (SAFE_METHODS.has(req.method)) {
        req.certmintActor = user.actor;
        return done();
      }
      app.csrfProtection(req, reply, () => {
        req.certmintActor = user.actor;
        done();
      });
    }, done);
  };
}

export async function consoleRoutes(
  app: FastifyInstance,
  opts: { services: Services },
): Promise<void> {
  const { services } = opts;
  const secure = services.publicUrl.startsWith('https:');
  const env: ConsoleEnv = {
    services,
    auth: services.consoleAuth,
    cookies: cookieNames(secure),
    secure,
  };

  await app.register(cookie);
  await app.register(csrf, {
    cookieKey: env.cookies.csrf,
    cookieOpts: { path: '/', sameSite: 'strict', httpOnly: true, secure },
  });
  app.addHook('onRequest', apiSessionHook(app, env));
  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await app.register(consolePages, { prefix: BASE, env });
}

// Not encapsulated: see the header comment.
Object.assign(consoleRoutes, { [Symbol.for('skip-override')]: true });
