/**
 * GET /metrics (Prometheus text format) and the request-latency hook. Off unless configured:
 * on the public listener only behind a bearer token (`--metrics-token-file`), or on a listener
 * of its own (`--metrics-listen`, usually on a private address) without one. docs/metrics.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { OAuthError } from '../domain/oauth-error.ts';
import type { MetricsSource, ServiceMetrics } from '../service/metrics.ts';
import { accessCredentials } from './bearer.ts';
import { sendError } from './errors.ts';

export const METRICS_PATH = '/metrics';

/** The Bearer token of the request; null without Authorization; 400 for another scheme. */
function bearerToken(req: FastifyRequest): string | null {
  const cred = accessCredentials(req);
  if (cred === null) return null;
  if (cred.scheme !== 'Bearer') throw new OAuthError('invalid_request', 'InvalidRequest');
  return cred.token;
}

/** What buildApp does about metrics (absent: nothing is measured nor served). */
export interface MetricsOptions {
  /** Serve /metrics on this app behind `Authorization: Bearer <token>`; null: not served here. */
  token: string | null;
  /**
   * What the token-protected /metrics answers: the app's own Services by default; a worker of
   * `serve --workers N` answers the whole node's, asked of the primary (cli/serve/worker.ts).
   */
  source?: MetricsSource;
}

/** Not in the OpenAPI document: it exists only when configured. */
const schema = { hide: true } as const;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Constant-time comparison: hashing first makes the lengths equal. */
function tokenMatches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(given), expected);
}

/** Seconds a scraper should wait when the node's metrics could not be gathered. */
const SCRAPE_RETRY_AFTER_S = 5;

async function answer(
  source: MetricsSource,
  reply: FastifyReply,
  log: FastifyBaseLogger,
): Promise<FastifyReply> {
  let text: string;
  try {
    text = await source.scrape();
  } catch (err) {
    // Under --workers N: a worker did not answer the primary in time (prom-client's 5 s), or
    // the primary did not answer this worker. A missed scrape, not a server error.
    log.warn({ err }, 'metrics could not be gathered: answering 503');
    return sendError(
      reply,
      new OAuthError('temporarily_unavailable', null, 'metrics could not be gathered', {
        retryAfterS: SCRAPE_RETRY_AFTER_S,
      }),
      { realm: 'metrics', explain: false, scheme: 'Bearer', log },
    );
  }
  return reply.header('cache-control', 'no-store').type(source.contentType).send(text);
}

/**
 * Records each answered request's latency under its route pattern (never the raw URL, whose
 * ids would make a series each). One histogram observation per request; nothing else.
 */
export function observeRequests(
  app: FastifyInstance,
  metrics: Pick<ServiceMetrics, 'observeRequest'>,
): void {
  app.addHook('onResponse', (req: FastifyRequest, reply: FastifyReply, done) => {
    metrics.observeRequest(req.routeOptions.url ?? null, req.method, reply.elapsedTime / 1000);
    done();
  });
}

/** /metrics on the main listener, behind the bearer token (RFC 6750 §2.1 header form). */
export function protectedMetricsRoute(
  app: FastifyInstance,
  source: MetricsSource,
  token: string,
): void {
  const expected = digest(token);
  app.get(METRICS_PATH, { schema }, async (req, reply) => {
    let given: string | null = null;
    try {
      given = bearerToken(req);
      // Missing or wrong: the admin API's 401 invalid_token (RFC 6750 §3.1).
      if (given === null || !tokenMatches(given, expected)) {
        throw new OAuthError('invalid_token', null);
      }
    } catch (err) {
      // Bad credentials here name no account, so there is no audit trail to record them in
      // (it is per account): the server log keeps a warning per refusal, without the token.
      const reason =
        given === null ? (req.headers.authorization ? 'malformed' : 'missing') : 'wrong';
      req.log.warn({ path: METRICS_PATH, reason }, 'metrics request refused');
      return sendError(reply, err, {
        realm: 'metrics',
        explain: false,
        scheme: 'Bearer',
        log: req.log,
      });
    }
    return answer(source, reply, req.log);
  });
}

/**
 * The separate metrics listener (`--metrics-listen`): /metrics and nothing else, no token (the
 * address is the protection). The caller listens and closes it. `services.metrics`: a Services'
 * own, or the whole node's in the primary of `serve --workers N` (service/metrics-cluster.ts).
 */
export async function buildMetricsApp(services: {
  metrics: MetricsSource;
}): Promise<FastifyInstance> {
  const source = services.metrics;
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.get(METRICS_PATH, { schema }, (req, reply) => answer(source, reply, req.log));
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not_found', message: 'no such endpoint' }),
  );
  await app.ready();
  return app;
}
