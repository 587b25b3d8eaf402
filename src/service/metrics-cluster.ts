/**
 * The metrics of a whole `serve --workers N` node (docs/metrics.md, "Workers"), with
 * prom-client's own cluster support: the primary's AggregatorRegistry asks every worker over the
 * cluster IPC channel (messages of type `prom-client:getMetricsReq`, never certmint's, which
 * carry a `certmint` key: neither side reads the other's) and sums what they answer.
 *
 * - Counters and histograms (tokens issued, refusals, latencies, cache, rate limits, store
 *   writes) are each worker's own: summed, each request counts once, in the worker that
 *   answered it.
 * - The store-read gauges (store up, replay records, certificates expiring) are the same for
 *   every process on the store: workers do not send them (ServiceMetrics.storeRegistry stays
 *   out of what they answer), and the primary reads them once per scrape from its own Services.
 *   Summed they would be N times the truth; a `max`/`first` aggregator would still cost N store
 *   reads per scrape.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSource, ServiceMetrics } from './metrics.ts';

/**
 * In a worker: answer the primary's scrapes from `metrics` (null: nothing yet, while the
 * worker starts). Call it as soon as the worker runs, so a scrape never waits on a worker that
 * has not opened its services yet (prom-client's primary gives up on a silent worker after 5 s).
 */
export function answerClusterScrapes(metrics: ServiceMetrics | null): void {
  // Constructing one installs prom-client's worker-side listener (once per process).
  new AggregatorRegistry();
  const registries: Registry[] = metrics === null ? [] : [metrics.processRegistry];
  AggregatorRegistry.setRegistries(registries);
}

/** In the primary: the node's metrics, the workers' summed and the store's read here once. */
export class ClusterMetrics implements MetricsSource {
  private readonly workers = new AggregatorRegistry();
  readonly contentType: string;
  constructor(private readonly own: ServiceMetrics) {
    this.contentType = own.contentType;
  }

  async scrape(): Promise<string> {
    // Distinct metric names in each part: the two texts together are one valid exposition.
    const [workers, store] = await Promise.all([
      this.workers.clusterMetrics(),
      this.own.storeRegistry.metrics(),
    ]);
    return [workers, store].filter((t) => t !== '').join('\n');
  }
}
