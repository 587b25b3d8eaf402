import type { FastifyInstance } from 'fastify';
import { STORE_RETRY_AFTER_SECONDS } from '../../domain/store-unavailable.ts';
import { healthSchema, readinessSchema } from '../schemas.ts';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  // Ready when the store answers a query.
  app.get('/readyz', { schema: readinessSchema }, async (_req, reply) =>
    (await app.certmint.services.ready())
      ? { status: 'ready' }
      : reply
          .code(503)
          .header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
          .send({ status: 'unavailable' }),
  );
}
