import type { Services } from '../service/services.ts';

/** What every route may use; decorated on the Fastify instance as `certmint`. */
export interface AppContext {
  services: Services;
  /** Put the audit detail code in error_description (local development only). */
  explainErrors: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    certmint: AppContext;
  }
}
