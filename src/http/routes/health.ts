import type { FastifyInstance } from 'fastify';
import { STORE_RETRY_AFTER_SECONDS } from '../../domain/store-unavailable.ts';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready when the store answers a query.
  app.get('/readyz', async (_req, reply) =>
    (await app.certmint.services.ready())
      ? { status: 'ready' }
      : reply
          .code(503)
          .header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
          .send({ status: 'unavailable' }),
  );
}
