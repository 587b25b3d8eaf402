import type { FastifyInstance } from 'fastify';
import { healthSchema, readinessSchema } from '../schemas.ts';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', { schema: healthSchema }, async () => ({ status: 'ok' }));
  // Ready when the store answers a query.
  app.get('/readyz', { schema: readinessSchema }, async (_req, reply) =>
    (await app.certmint.services.ready())
      ? { status: 'ready' }
      : reply.code(503).send({ status: 'unavailable' }),
  );
}
