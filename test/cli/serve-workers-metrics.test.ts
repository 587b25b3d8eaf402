/**
 * Metrics of `certmint serve --workers 2` (a real primary + 2 workers), on SQLite and PostgreSQL:
 * the scrape is the node's, whichever listener answers it.
 * - counters and histograms are summed over the workers: N token requests answered by both
 *   workers (proven from the debug log) are N in certmint_tokens_issued_total, N in the token
 *   route's latency histogram, and one replayed assertion is one refusal;
 * - the gauges every process would read from the same store (store up, replay records,
 *   certificates expiring) are read once, not summed: 1, N and 1, never 2, 2N, 2;
 * - `--metrics-listen` (the primary) and `/metrics` behind the token on the main listener (any
 *   worker, which asks the primary) give the same numbers; without the token: 401.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import {
  ACCOUNT,
  assertion,
  type Client,
  requestToken,
  type Server,
  serve,
  setUpClient,
  tokenPath,
} from '../fault/support.ts';
import { freePort } from '../support/net.ts';
import { Scrape } from '../support/prometheus.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';
import { tempDir } from './support.ts';
import {
  answeredBy,
  assertInvalidClient,
  audited,
  times,
  WORKERS_ARGS,
} from './workers-support.ts';

const TOKEN = 'workers-metrics-token-0123456789abcdef';
const SECRET = 'serve-workers-metrics-secret-0123456789';
const TOKEN_ROUTE = '/accounts/:accountId/services/rest/auth/oauth2/v1/token';
/** Token requests made: enough that round-robin gives both workers some. */
const N = 20;

async function scrape(url: string, token?: string): Promise<Scrape> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const s = new Scrape(text);
  // One family per name: the workers' part and the primary's never both hold a metric.
  const names = s.families.map((f) => f.name);
  assert.deepEqual(names, [...new Set(names)]);
  return s;
}

/** What every scrape of the node must say once the requests are counted. */
function assertNode(s: Scrape): void {
  assert.equal(s.value('certmint_tokens_issued_total', { account: ACCOUNT }), N);
  assert.equal(
    s.value('certmint_oauth_refusals_total', {
      endpoint: 'token',
      account: ACCOUNT,
      detail: 'AssertionReplayed',
    }),
    1,
  );
  assert.equal(
    s.histogram('certmint_http_request_duration_seconds', { route: TOKEN_ROUTE, method: 'POST' })
      ?.count,
    N + 1,
  );
  // Read once from the store, not once per worker.
  assert.equal(s.value('certmint_store_up'), 1);
  assert.equal(s.value('certmint_replay_records'), N);
  assert.equal(s.value('certmint_certificates_expiring', { account: ACCOUNT }), 1);
}

async function metricsAcrossWorkers(
  server: Server,
  client: Client,
  store: Store,
  metricsPort: number,
) {
  await eventually('the metrics listener is announced', () =>
    server.output().includes('metrics: '),
  );
  assert.match(
    server.output(),
    new RegExp(`metrics: http://127\\.0\\.0\\.1:${metricsPort}/metrics\n`),
  );
  const own = `http://127.0.0.1:${metricsPort}/metrics`;
  const main = `${server.base}/metrics`;

  const before = await scrape(own);
  assert.equal(before.value('certmint_tokens_issued_total', { account: ACCOUNT }), 0);
  assert.equal(before.value('certmint_replay_records'), 0);
  assert.equal(before.value('certmint_store_up'), 1);
  assert.equal(before.value('certmint_certificates_expiring', { account: ACCOUNT }), 1);

  const mark = server.output().length;
  const jwts = await times(N, () => assertion(client, server.base));
  const answers = await Promise.all(jwts.map((jwt) => requestToken(server.base, jwt)));
  for (const a of answers) assert.equal(a?.status, 200, a?.body);
  const replayed = await requestToken(server.base, jwts[0] ?? '');
  assertInvalidClient(replayed);
  assert.equal(await audited(store, 'AssertionReplayed'), 1);
  assert.deepEqual([...(await answeredBy(server, mark, tokenPath, N + 1))].sort(), [1, 2]);

  // Outcomes are counted when the audit writer's batch is written: shortly after the answer.
  await eventually('the requests are counted', async () => {
    const s = await scrape(own);
    return s.value('certmint_tokens_issued_total', { account: ACCOUNT }) >= N;
  });
  assertNode(await scrape(own));

  // The main listener: every worker answers with the node's numbers (several connections, so
  // both workers answer; proven from the log).
  const from = server.output().length;
  for (const s of await times(6, () => scrape(main, TOKEN))) assertNode(s);
  assert.deepEqual([...(await answeredBy(server, from, '/metrics', 6))].sort(), [1, 2]);
  const without = await fetch(main);
  assert.equal(without.status, 401);
  assert.deepEqual(await without.json(), { error: 'invalid_token' });
  assert.equal(
    without.headers.get('www-authenticate'),
    'Bearer realm="metrics", error="invalid_token"',
  );
}

const metricsArgs = (metricsPort: number) => [
  ...WORKERS_ARGS,
  '--metrics-listen',
  `127.0.0.1:${metricsPort}`,
];

describe('certmint serve --workers 2: metrics', () => {
  it('[sqlite] the scrape sums the workers and reads the store once', async () => {
    const dir = tempDir('certmint-workers-metrics-');
    const db = join(dir, 'certmint.db');
    const store = await openStore(db);
    try {
      const client = await setUpClient(store);
      const metricsPort = await freePort();
      const server = await serve(db, await freePort(), {
        args: metricsArgs(metricsPort),
        env: { CERTMINT_METRICS_TOKEN: TOKEN },
      });
      try {
        await metricsAcrossWorkers(server, client, store, metricsPort);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('[sqlite] a --metrics-listen address in use: one line, the workers stopped, exit 1', async () => {
    const dir = tempDir('certmint-workers-metrics-busy-');
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const { port } = busy.address() as AddressInfo;
    try {
      await assert.rejects(
        serve(join(dir, 'certmint.db'), await freePort(), {
          args: metricsArgs(port),
        }),
        (e: unknown) =>
          e instanceof Error &&
          e.message.startsWith('certmint serve exited (1):') &&
          e.message.includes(
            `certmint: --metrics-listen 127.0.0.1:${port} is already in use: choose another port\n`,
          ) &&
          // Both workers had started; the primary stopped them before leaving.
          e.message.includes('"msg":"worker 1 stopped"') &&
          e.message.includes('"msg":"worker 2 stopped"'),
      );
    } finally {
      await new Promise((r) => busy.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pgFactory = postgresStores();
  it('[postgres] the scrape sums the workers and reads the store once', {
    skip: pgFactory ? false : PG_SKIP_REASON,
  }, async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    try {
      const client = await setUpClient(store);
      const metricsPort = await freePort();
      const server = await serve(store.location, await freePort(), {
        args: metricsArgs(metricsPort),
        env: { CERTMINT_SECRET: SECRET, CERTMINT_METRICS_TOKEN: TOKEN },
      });
      try {
        await metricsAcrossWorkers(server, client, store, metricsPort);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await store.close();
    }
  });
});
