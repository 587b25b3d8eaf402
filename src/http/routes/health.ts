import type { FastifyInstance } from 'fastify';

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Ready when the store answers a query.
  app.get('/readyz', async (_req, reply) =>
    (await app.certmint.services.ready())
      ? { status: 'ready' }
      : reply.code(503).send({ status: 'unavailable' }),
  );
}
