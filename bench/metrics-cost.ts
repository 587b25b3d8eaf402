/**
 * What the metrics add to one token request, measured in isolation (the full `npm run bench` is
 * too noisy on a shared machine to see a microsecond): the request-latency observation, the
 * counting of one audited outcome, and a cache-hit increment, each timed over many calls.
 * Run: node --import tsx bench/metrics-cost.ts
 */
import type { AuditEvent } from '../src/domain/audit.ts';
import { FixedClock } from '../src/domain/clock.ts';
import { ServiceMetrics } from '../src/service/metrics.ts';

const N = 1_000_000;
const metrics = new ServiceMetrics({
  store: {
    replay: { countLive: async () => 0 } as never,
    notices: { expiring: async () => [] } as never,
  },
  clock: new FixedClock(0),
  cache: { hits: 0, misses: 0 },
  limiter: { refused: { address: 0, client: 0 } },
});
const route = '/accounts/:accountId/services/rest/auth/oauth2/v1/token';
const event = (detail: string | null): AuditEvent =>
  ({
    type: 'token',
    accountId: 'TSTDRV1',
    result: detail ? 'failure' : 'success',
    detail,
  }) as AuditEvent;
const ok = [event(null)];
const refused = [event('SignatureValidation')];

function time(name: string, fn: (i: number) => void): void {
  for (let i = 0; i < N / 10; i++) fn(i); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < N; i++) fn(i);
  const ns = ((performance.now() - t0) * 1e6) / N;
  console.log(`${name.padEnd(40)} ${ns.toFixed(0).padStart(6)} ns per call`);
}

time('observeRequest (latency histogram)', (i) =>
  metrics.observeRequest(route, 'POST', (i % 50) / 1000),
);
time('auditWritten, one issued token', () => metrics.auditWritten(ok));
time('auditWritten, one refusal', () => metrics.auditWritten(refused));
time('storeFlushed (per batch)', (i) => metrics.storeFlushed('ledger', (i % 10) / 1000, false));
