/**
 * The worker ↔ primary metrics exchange of `serve --workers N` (cli/serve/metrics-ipc.ts), its
 * two ends wired to each other without the process boundary (the process tests,
 * serve-workers-metrics.test.ts, cross it): the worker's /metrics answers the primary's text;
 * a primary that does not answer, or cannot gather the metrics, is a 503 with Retry-After,
 * never a 500 nor a hang.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  answerMetricsRequest,
  type MetricsRequest,
  PrimaryMetrics,
} from '../../src/cli/serve/metrics-ipc.ts';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { buildMetricsApp } from '../../src/http/metrics.ts';
import type { MetricsSource } from '../../src/service/metrics.ts';
import { createServices, type Services } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';
import { sqliteStores } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';

const UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'metrics could not be gathered',
};

/** GET /metrics on the metrics app of `source`. */
async function get(source: MetricsSource) {
  const app = await buildMetricsApp({ metrics: source });
  try {
    return await app.inject({ method: 'GET', url: '/metrics' });
  } finally {
    await app.close();
  }
}

describe('metrics over the workers’ IPC channel', () => {
  let store: Store;
  let services: Services;
  before(async () => {
    store = await sqliteStores.open();
    services = createServices({
      store,
      master: loadMasterKey({ secret: 'metrics-ipc-test-secret-0123456789', keyFile: '/x' }),
      publicUrl: 'http://certmint.test',
    });
  });
  after(async () => {
    await services.close();
    await store.close();
  });

  /** A worker's source whose requests the primary's end answers from `source`. */
  const wired = (source: MetricsSource | null) => {
    const node: PrimaryMetrics = new PrimaryMetrics(services.metrics.contentType, (m) =>
      // Asynchronous, as a message on the channel is.
      setImmediate(() => answerMetricsRequest(source, m, (a) => node.answered(a))),
    );
    return node;
  };

  it('the worker answers with the text the primary gathered', async () => {
    const res = await get(wired(services.metrics));
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], services.metrics.contentType);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.equal(res.body, await services.metrics.scrape());
    assert.match(res.body, /^# HELP certmint_tokens_issued_total /m);
  });

  it('a primary that cannot gather them (a silent worker): 503, Retry-After', async () => {
    const failing: MetricsSource = {
      contentType: services.metrics.contentType,
      scrape: () => Promise.reject(new Error('Operation timed out.')),
    };
    const node = wired(failing);
    await assert.rejects(node.scrape(), /^Error: Operation timed out\.$/);
    const res = await get(node);
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), UNAVAILABLE);
    assert.equal(res.headers['retry-after'], '5');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  it('a primary that does not answer: 503 once the wait is over', async () => {
    const asked: MetricsRequest[] = [];
    const node = new PrimaryMetrics(services.metrics.contentType, (m) => asked.push(m), 50);
    const res = await get(node);
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), UNAVAILABLE);
    assert.deepEqual(asked, [{ certmint: 'metrics', id: 0 }]);
    // A late answer to a request given up on is dropped.
    node.answered({ certmint: 'metrics', id: 0, text: 'late' });
  });

  it('a primary serving no metrics says so', async () => {
    await assert.rejects(wired(null).scrape(), /^Error: metrics are not served by this node$/);
  });

  it('answers go to their own request when several are pending', async () => {
    // The primary's scrapes finish in reverse order: each answer must still reach its asker.
    const finish: Array<(t: string) => void> = [];
    const source: MetricsSource = {
      contentType: services.metrics.contentType,
      scrape: () => new Promise<string>((resolve) => finish.push(resolve)),
    };
    const node = wired(source);
    const pending = Promise.all([node.scrape(), node.scrape(), node.scrape()]);
    await eventually('the three requests reach the primary', () => finish.length === 3);
    for (const i of [2, 1, 0]) finish[i]?.(`text ${i}`);
    assert.deepEqual(await pending, ['text 0', 'text 1', 'text 2']);
  });
});
