/**
 * What `buildApp` gets from `serve`'s settings, for the single process and for each worker
 * alike: one place, so a setting added to `serve` reaches both.
 */
import type { AppDeps } from '../../http/app.ts';
import type { MetricsSource } from '../../service/metrics.ts';
import type { Services } from '../../service/services.ts';
import type { WorkerSettings } from './worker.ts';

export function appOptions(
  services: Services,
  logger: NonNullable<AppDeps['logger']>,
  s: WorkerSettings,
  /** Where token-protected /metrics reads from (a worker: the primary's sum); default services. */
  metricsSource?: MetricsSource,
): AppDeps {
  return {
    services,
    explainErrors: s.explainErrors,
    logger,
    limits: s.server,
    // serve adds no hooks of its own: the plain token request may skip Fastify.
    nodeTokenRoute: true,
    ...(s.metrics && {
      metrics: { token: s.metrics.token, ...(metricsSource && { source: metricsSource }) },
    }),
    ...(s.tls && { tls: s.tls }),
    ...(s.clientCertificateHeader && { clientCertificateHeader: s.clientCertificateHeader }),
  };
}
