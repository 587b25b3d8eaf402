/**
 * Prometheus metrics of one `Services` (docs/metrics.md lists them). Each instance has its own
 * prom-client Registry, never the global default, so several apps in one process (tests, an
 * embedder) keep their numbers apart.
 *
 * The token endpoint is the hot path, so nothing here runs per request but the request-latency
 * observation: OAuth outcomes are counted when the audit writer's batch has been written (off
 * the request's path, and only what was really recorded), the record cache and the rate limiter
 * keep plain integer counters read at scrape time, and the store-backed gauges (live replay
 * records, certificates expiring) are queried on scrape only.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuditEvent } from '../domain/audit.ts';
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/ports.ts';
import type { RateLimiter } from './token/rate-limit.ts';
import type { RecordCache } from './token/record-cache.ts';

/** Certificates whose validity ends within this window are counted as expiring. */
export const EXPIRING_METRIC_WINDOW_MS = 30 * 86_400_000;

/** Every metric this module exposes (docs/metrics.md and docs/alerts.yml are checked against it). */
export const METRIC_NAMES = [
  'certmint_tokens_issued_total',
  'certmint_oauth_refusals_total',
  'certmint_http_request_duration_seconds',
  'certmint_replay_records',
  'certmint_record_cache_hits_total',
  'certmint_record_cache_misses_total',
  'certmint_store_write_duration_seconds',
  'certmint_store_write_failures_total',
  'certmint_rate_limited_total',
  'certmint_certificates_expiring',
  'certmint_store_up',
] as const;

/** The group-commit writers whose flush durations are the store latency. */
export type StoreWriter = 'ledger';

/** Seconds: from a cached token request (~1 ms) to a store stall. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds: one SQLite commit takes ~0.1-2 ms, a PostgreSQL round trip a few. */
const STORE_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** The OAuth endpoints' audit event types: the ones counted as issued or refused. */
const OAUTH_TYPES: ReadonlySet<string> = new Set(['token', 'introspect', 'revoke']);

export interface MetricsSources {
  store: Pick<Store, 'replay' | 'notices'>;
  clock: Clock;
  cache: Pick<RecordCache, 'hits' | 'misses'>;
  limiter: Pick<RateLimiter, 'refused'>;
}

interface StoreSnapshot {
  replay: number;
  /** Certificates expiring within the window, per account. */
  expiring: Map<string, number>;
}

/** The store's part of a scrape, or null when the store does not answer. */
async function readSnapshot(
  store: MetricsSources['store'],
  now: number,
): Promise<StoreSnapshot | null> {
  try {
    const [replay, soon] = await Promise.all([
      store.replay.countLive(now),
      store.notices.expiring(now, now + EXPIRING_METRIC_WINDOW_MS),
    ]);
    const expiring = new Map<string, number>();
    for (const m of soon) expiring.set(m.accountId, (expiring.get(m.accountId) ?? 0) + 1);
    return { replay, expiring };
  } catch {
    return null;
  }
}

/** What /metrics answers from: one process's metrics, or a whole node's (metrics-cluster.ts). */
export interface MetricsSource {
  readonly contentType: string;
  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string>;
}

export class ServiceMetrics implements MetricsSource {
  /**
   * What this process measured: counters and histograms. Under `serve --workers N` each worker
   * sends these to the primary, which sums them (prom-client's cluster aggregation).
   */
  readonly processRegistry = new Registry();
  /**
   * The gauges read from the store at scrape time (store up, replay records, certificates
   * expiring): the same for every process on the store, so under `--workers N` the primary
   * alone reads and serves them (summed over N workers they would be N times too high).
   */
  readonly storeRegistry = new Registry();
  /** Both: what a single process serves (merged once both are filled, in the constructor). */
  readonly registry: Registry;
  readonly contentType: string = this.processRegistry.contentType;
  private readonly issued: Counter<'account'>;
  private readonly refused: Counter<'endpoint' | 'account' | 'detail'>;
  private readonly requests: Histogram<'route' | 'method'>;
  private readonly storeWrites: Histogram<'writer'>;
  private readonly storeFailures: Counter<'writer'>;
  /** Label objects of the routes seen, by route then method: no allocation per request. */
  private readonly routeLabels = new Map<string, Map<string, { route: string; method: string }>>();

  constructor(private readonly src: MetricsSources) {
    const registers = [this.processRegistry];
    this.issued = new Counter({
      name: 'certmint_tokens_issued_total',
      help: 'Access tokens issued (recorded in the audit trail), by account.',
      labelNames: ['account'],
      registers,
    });
    this.refused = new Counter({
      name: 'certmint_oauth_refusals_total',
      help: 'Refused OAuth requests (token, introspect, revoke) by endpoint, account and audit detail code.',
      labelNames: ['endpoint', 'account', 'detail'],
      registers,
    });
    this.requests = new Histogram({
      name: 'certmint_http_request_duration_seconds',
      help: 'HTTP request latency by route pattern and method (unmatched URLs: route "unmatched").',
      labelNames: ['route', 'method'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.storeWrites = new Histogram({
      name: 'certmint_store_write_duration_seconds',
      help: 'Duration of one group-commit batch written to the store (audit records, replay claims).',
      labelNames: ['writer'],
      buckets: STORE_BUCKETS,
      registers,
    });
    this.storeFailures = new Counter({
      name: 'certmint_store_write_failures_total',
      help: 'Group-commit batches the store refused or could not write.',
      labelNames: ['writer'],
      registers,
    });
    this.scrapedCounters(registers);
    this.storeGauges([this.storeRegistry]);
    this.registry = Registry.merge([this.processRegistry, this.storeRegistry]);
  }

  /** The record cache and the rate limiter count in plain integers; read them on scrape. */
  private scrapedCounters(registers: Registry[]): void {
    const { cache, limiter } = this.src;
    const fromInteger = (c: Counter, read: () => number) => {
      c.reset();
      c.inc(read());
    };
    new Counter({
      name: 'certmint_record_cache_hits_total',
      help: 'Lookups the token endpoint’s record cache answered from memory.',
      registers,
      collect() {
        fromInteger(this, () => cache.hits);
      },
    });
    new Counter({
      name: 'certmint_record_cache_misses_total',
      help: 'Lookups the record cache passed to the store.',
      registers,
      collect() {
        fromInteger(this, () => cache.misses);
      },
    });
    new Counter({
      name: 'certmint_rate_limited_total',
      help: 'OAuth requests refused by this node’s rate limits (429), by limit.',
      labelNames: ['limit'],
      registers,
      collect() {
        this.reset();
        this.inc({ limit: 'address' }, limiter.refused.address);
        this.inc({ limit: 'client' }, limiter.refused.client);
      },
    });
  }

  /**
   * Asked of the store on scrape only. The three gauges collect concurrently (prom-client starts
   * every metric's collect at once), so they share one snapshot per scrape. A store that does
   * not answer makes store_up 0 and leaves the other two at their last values: dropping the
   * expiring series would resolve a certificate alert during an outage.
   */
  private storeGauges(registers: Registry[]): void {
    const { store, clock } = this.src;
    let pending: Promise<StoreSnapshot | null> | null = null;
    const snapshot = (): Promise<StoreSnapshot | null> => {
      pending ??= readSnapshot(store, clock.now()).finally(() => {
        pending = null;
      });
      return pending;
    };
    new Gauge({
      name: 'certmint_store_up',
      help: '1 when the store answered this scrape’s queries, else 0.',
      registers,
      async collect() {
        this.set((await snapshot()) === null ? 0 : 1);
      },
    });
    new Gauge({
      name: 'certmint_replay_records',
      help: 'Live records in the replay table (assertions not yet expired).',
      registers,
      async collect() {
        const s = await snapshot();
        if (s !== null) this.set(s.replay);
      },
    });
    new Gauge({
      name: 'certmint_certificates_expiring',
      help: 'Mapped certificates, not revoked, whose validity ends within 30 days, by account.',
      labelNames: ['account'],
      registers,
      async collect() {
        const s = await snapshot();
        if (s === null) return;
        this.reset();
        for (const [account, n] of s.expiring) this.set({ account }, n);
      },
    });
  }

  /** The audit writer's batch is written: count the OAuth outcomes it holds. */
  auditWritten(events: readonly AuditEvent[]): void {
    for (const e of events) {
      if (!OAUTH_TYPES.has(e.type)) continue;
      if (e.result === 'success') {
        if (e.type === 'token') this.issued.inc({ account: e.accountId });
      } else {
        this.refused.inc({ endpoint: e.type, account: e.accountId, detail: e.detail ?? 'none' });
      }
    }
  }

  /** A group-commit batch was written (or failed) in `seconds`. */
  storeFlushed(writer: StoreWriter, seconds: number, failed: boolean): void {
    if (failed) this.storeFailures.inc({ writer });
    else this.storeWrites.observe({ writer }, seconds);
  }

  /**
   * One answered HTTP request. `route` is the route pattern (never the raw URL: its values would
   * make a series per account and id), or null when no route matched.
   */
  observeRequest(route: string | null, method: string, seconds: number): void {
    // Unmatched requests share one series whatever their method (any string a client sends).
    const m = route === null ? 'any' : method;
    let byMethod = this.routeLabels.get(route ?? '');
    if (byMethod === undefined) {
      byMethod = new Map();
      this.routeLabels.set(route ?? '', byMethod);
    }
    let labels = byMethod.get(m);
    if (labels === undefined) {
      labels = { route: route ?? 'unmatched', method: m };
      byMethod.set(m, labels);
    }
    this.requests.observe(labels, seconds);
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}
