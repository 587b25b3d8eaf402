/**
 * certmint under test: the real app (buildApp) on a SQLite store the parent prepared, in its own
 * process so the load generator does not share its event loop. Env: BENCH_DB (SQLite file),
 * BENCH_PORT, CERTMINT_SECRET, BENCH_RATE_LIMITS (`off`: no limiter at all; otherwise the
 * limiter runs with limits the load never reaches, so its cost is measured, not its refusals),
 * BENCH_METRICS (`1`: request latencies measured, as with --metrics-listen or a metrics token).
 */
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { buildApp } from '../../src/http/app.ts';
import { createServices } from '../../src/service/services.ts';
import { openStore } from '../../src/store/index.ts';
import { env, serveChild } from './ipc.ts';

const port = Number(env('BENCH_PORT'));
const db = env('BENCH_DB');
// As `certmint serve` opens it.
const store = await openStore(db, { backgroundCheckpoints: true });
const master = loadMasterKey({ secret: env('CERTMINT_SECRET'), keyFile: `${db}.master.key` });
const services = createServices({
  store,
  master,
  publicUrl: `http://127.0.0.1:${port}`,
  ownsStore: true,
  rateLimits:
    process.env.BENCH_RATE_LIMITS === 'off'
      ? { perClientPerMinute: 0, perAddressPerMinute: 0 }
      : { perClientPerMinute: 1_000_000_000, perAddressPerMinute: 1_000_000_000 },
});
const app = await buildApp({
  services,
  // As `certmint serve` builds it: the plain token request on node:http.
  nodeTokenRoute: true,
  ...(process.env.BENCH_METRICS === '1' && { metrics: { token: null } }),
});
await app.listen({ port, host: '127.0.0.1' });
serveChild(port, async () => {
  // Graceful: in-flight requests finish and the audit queue drains before the store closes.
  await app.close();
  await services.close();
});
