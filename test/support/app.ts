/**
 * The app as tests build it: services on a test store (not owned: the test closes the store)
 * and buildApp over them; closing the app also closes the services (drains the audit writer).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { type AppDeps, buildApp } from '../../src/http/app.ts';
import { createServices, type Services, type ServicesOptions } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';

export interface TestAppOptions {
  store: Store;
  /** CERTMINT_SECRET of the node. */
  secret: string;
  publicUrl: string;
  clock?: Clock;
  explainErrors?: boolean;
  /** A pino logger whose lines the test reads (default: none). */
  logger?: FastifyBaseLogger;
  /** OAuth endpoint rate limits (default: the services' defaults). */
  rateLimits?: ServicesOptions['rateLimits'];
  /** Demand DPoP server nonces (serve --dpop-nonce). */
  dpopNonce?: boolean;
  /** Further buildApp options (timeouts, limits). */
  app?: Partial<Omit<AppDeps, 'services'>>;
}

export async function testApp(
  o: TestAppOptions,
): Promise<{ app: FastifyInstance; services: Services }> {
  const services = createServices({
    store: o.store,
    master: loadMasterKey({ secret: o.secret, keyFile: '/nonexistent' }),
    publicUrl: o.publicUrl,
    ...(o.clock && { clock: o.clock }),
    ...(o.rateLimits && { rateLimits: o.rateLimits }),
    ...(o.dpopNonce && { dpopNonce: true }),
  });
  const app = await buildApp({
    ...o.app,
    services,
    explainErrors: o.explainErrors ?? false,
    ...(o.logger && { logger: o.logger }),
  });
  app.addHook('onClose', () => services.close());
  return { app, services };
}
