import type { Services } from '../service/services.ts';
import type { ClientCertificateSource } from './client-certificate.ts';

/** What every route may use; decorated on the Fastify instance as `certmint`. */
export interface AppContext {
  services: Services;
  /** Put the audit detail code in error_description (local development only). */
  explainErrors: boolean;
  /** Where a request's TLS client certificate comes from (RFC 8705). */
  clientCertificates: ClientCertificateSource;
}

declare module 'fastify' {
  interface FastifyInstance {
    certmint: AppContext;
  }
}
