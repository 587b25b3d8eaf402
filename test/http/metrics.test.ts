/**
 * /metrics: off unless configured (404), behind a bearer token on the main listener (401 without
 * it or with a wrong one), or on a listener of its own; parsed by an independent Prometheus
 * text-format parser; the counters move as token requests succeed and fail, by the audit detail
 * code each refusal was recorded with. Runs on every store (the gauges query it).
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { afterEach, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import pino from 'pino';
import { buildMetricsApp } from '../../src/http/metrics.ts';
import { METRIC_NAMES } from '../../src/service/metrics.ts';
import { testApp } from '../support/app.ts';
import { Scrape } from '../support/prometheus.ts';
import { describeEachStore, sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const TOKEN_ROUTE = '/accounts/:accountId/services/rest/auth/oauth2/v1/token';

async function scrape(f: Fixture): Promise<Scrape> {
  const res = await f.app.inject({
    url: '/metrics',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  return new Scrape(res.body);
}

/** The token endpoint's public refusal: 401 invalid_client, audited with `detail`. */
async function refusedWith(f: Fixture, res: LightMyRequestResponse, detail: string) {
  assert.equal(res.statusCode, 401, res.body);
  assert.deepEqual(res.json(), { error: 'invalid_client' });
  assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
  const [last] = await f.audit();
  assert.equal(last?.result, 'failure');
  assert.equal(last?.detail, detail);
}

describeEachStore('metrics', (factory) => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  it('is not served when not configured: 404 like any unknown path', async () => {
    f = await tokenFixture(factory.open);
    const res = await f.app.inject({ url: '/metrics' });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json(), { error: 'not_found', message: 'no such endpoint' });
    // Measuring only (a separate listener serves them): still nothing on the main listener.
    await f.close();
    f = await tokenFixture(factory.open, { metrics: { token: null } });
    const again = await f.app.inject({ url: '/metrics' });
    assert.equal(again.statusCode, 404);
    assert.deepEqual(again.json(), { error: 'not_found', message: 'no such endpoint' });
  });

  it('behind a token: 401 without it or with a wrong one, 400 for a malformed header', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    const none = await f.app.inject({ url: '/metrics' });
    assert.equal(none.statusCode, 401);
    assert.deepEqual(none.json(), { error: 'invalid_token' });
    // The admin API's answer to a missing or wrong bearer token (the one error serializer).
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="metrics", error="invalid_token"');
    assert.equal(none.headers['cache-control'], 'no-store');
    for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), 'a'.repeat(TOKEN.length)]) {
      const res: LightMyRequestResponse = await f.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${wrong}` },
      });
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'invalid_token' });
      assert.equal(
        res.headers['www-authenticate'],
        'Bearer realm="metrics", error="invalid_token"',
      );
      assert.doesNotMatch(res.body, /certmint_/);
    }
    const basic = await f.app.inject({
      url: '/metrics',
      headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` },
    });
    assert.equal(basic.statusCode, 400);
    assert.deepEqual(basic.json(), { error: 'invalid_request' });
    // The token in the query string is not a way in (RFC 6750 §2.3 is not supported).
    const query = await f.app.inject({ url: `/metrics?access_token=${TOKEN}` });
    assert.equal(query.statusCode, 401);
  });

  it('exposes every metric, parsed by a Prometheus text-format parser', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    const s = await scrape(f);
    for (const name of METRIC_NAMES) assert.ok(s.family(name), `${name} is exposed`);
    assert.equal(s.family('certmint_tokens_issued_total')?.type, 'COUNTER');
    assert.equal(s.family('certmint_http_request_duration_seconds')?.type, 'HISTOGRAM');
    assert.equal(s.family('certmint_replay_records')?.type, 'GAUGE');
    assert.equal(s.value('certmint_store_up'), 1);
    // The one assertion just used is live in the replay table.
    assert.equal(s.value('certmint_replay_records'), 1);
    // One ledger batch at least (replay claims and audit records share a commit), timed.
    for (const writer of ['ledger']) {
      const h = s.histogram('certmint_store_write_duration_seconds', { writer });
      assert.ok((h?.count ?? 0) >= 1, `${writer} flushes counted`);
      assert.ok((h?.sum ?? 0) > 0, `${writer} flush durations summed`);
      assert.equal(h?.buckets.get('+Inf'), h?.count);
    }
  });

  it('counts issued tokens and refusals by account and audit detail code', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    const account = f.accountId;
    const before = await scrape(f);
    assert.equal(before.value('certmint_tokens_issued_total', { account }), 0);

    assert.equal((await f.token(await f.sign())).statusCode, 200);
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    await refusedWith(f, await f.token('not.a.jwt'), 'MalformedAssertion');
    const once = await f.sign();
    assert.equal((await f.token(once)).statusCode, 200);
    await refusedWith(f, await f.token(once), 'AssertionReplayed');
    await refusedWith(f, await f.token(once), 'AssertionReplayed');

    const s = await scrape(f);
    assert.equal(s.value('certmint_tokens_issued_total', { account }), 3);
    const refusals = (detail: string) =>
      s.value('certmint_oauth_refusals_total', { endpoint: 'token', account, detail });
    assert.equal(refusals('MalformedAssertion'), 1);
    assert.equal(refusals('AssertionReplayed'), 2);
    assert.equal(refusals('SignatureValidation'), 0);
    // Six requests to the token route, under its pattern (not the URL with the account id).
    const h = s.histogram('certmint_http_request_duration_seconds', {
      route: TOKEN_ROUTE,
      method: 'POST',
    });
    assert.equal(h?.count, 6);
    assert.equal(h?.buckets.get('+Inf'), 6);
    assert.ok((h?.sum ?? 0) > 0);
    assert.ok(!s.text.includes(`/accounts/${account}/`), 'no series is labelled with a raw URL');
  });

  it('unmatched URLs share one latency series; the cache counts hits and misses', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    for (const url of ['/nope', '/nope/2', `/x/${'a'.repeat(50)}`]) {
      assert.equal((await f.app.inject({ url })).statusCode, 404);
    }
    for (let i = 0; i < 3; i++) assert.equal((await f.token(await f.sign())).statusCode, 200);
    const s = await scrape(f);
    const unmatched = s.histogram('certmint_http_request_duration_seconds', {
      route: 'unmatched',
      method: 'any',
    });
    assert.equal(unmatched?.count, 3);
    assert.ok(s.value('certmint_record_cache_hits_total') > 0);
    assert.ok(s.value('certmint_record_cache_misses_total') > 0);
  });

  it('counts rate-limit refusals by limit', async () => {
    f = await tokenFixture(factory.open, {
      metrics: { token: TOKEN },
      rateLimits: { perAddressPerMinute: 1, perClientPerMinute: 1000 },
    });
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    const limited = await f.token(await f.sign());
    assert.equal(limited.statusCode, 429);
    assert.deepEqual(limited.json(), {
      error: 'temporarily_unavailable',
      error_description: 'too many requests: retry after the Retry-After delay',
    });
    const [last] = await f.audit();
    assert.equal(last?.detail, 'RateLimited');
    const s = await scrape(f);
    assert.equal(s.value('certmint_rate_limited_total', { limit: 'address' }), 1);
    assert.equal(s.value('certmint_rate_limited_total', { limit: 'client' }), 0);
    assert.equal(
      s.value('certmint_oauth_refusals_total', {
        endpoint: 'token',
        account: f.accountId,
        detail: 'RateLimited',
      }),
      1,
    );
  });

  it('counts certificates expiring within 30 days, per account, on scrape', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    const account = f.accountId;
    assert.equal((await scrape(f)).value('certmint_certificates_expiring', { account }), 0);
    await f.newCredential('ES256', { days: 20 });
    await f.newCredential('ES256', { days: 29 });
    await f.newCredential('ES256', { days: 45 });
    assert.equal((await scrape(f)).value('certmint_certificates_expiring', { account }), 2);
    // Time passes (injected clock): the 45-day certificate is now within the window, the
    // 20-day one has expired.
    f.clock.advance(21 * 86_400_000);
    assert.equal((await scrape(f)).value('certmint_certificates_expiring', { account }), 2);
  });

  it('a separate listener serves /metrics without a token, and nothing else', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: null } });
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    const metricsApp = await buildMetricsApp(f.services);
    try {
      const address = await metricsApp.listen({ host: '127.0.0.1', port: 0 });
      const res = await fetch(`${address}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
      const s = new Scrape(await res.text());
      assert.equal(s.value('certmint_tokens_issued_total', { account: f.accountId }), 1);
      // The main listener measured the request (metrics on) but does not serve them.
      assert.equal(
        s.histogram('certmint_http_request_duration_seconds', {
          route: TOKEN_ROUTE,
          method: 'POST',
        })?.count,
        1,
      );
      const other = await fetch(`${address}/healthz`);
      assert.equal(other.status, 404);
      assert.deepEqual(await other.json(), { error: 'not_found', message: 'no such endpoint' });
      assert.equal((await f.app.inject({ url: '/metrics' })).statusCode, 404);
    } finally {
      await metricsApp.close();
    }
  });

  it('a store that does not answer makes store_up 0; its gauges keep their last values', async () => {
    f = await tokenFixture(factory.open, { metrics: { token: TOKEN } });
    assert.equal((await f.token(await f.sign())).statusCode, 200);
    await f.newCredential('ES256', { days: 10 });
    const account = f.accountId;
    const before = await scrape(f);
    assert.equal(before.value('certmint_store_up'), 1);
    assert.equal(before.value('certmint_replay_records'), 1);
    assert.equal(before.value('certmint_certificates_expiring', { account }), 1);
    await f.store.close();
    const s = await scrape(f);
    assert.equal(s.value('certmint_store_up'), 0);
    // Not dropped: an expiring-certificate alert must not resolve because the store is down.
    assert.equal(s.value('certmint_replay_records'), 1);
    assert.equal(s.value('certmint_certificates_expiring', { account }), 1);
    assert.equal(s.value('certmint_tokens_issued_total', { account }), 1);
    await f.app.close();
    f = undefined;
  });
});

it('each refused metrics request is a warning in the log, with its reason and without the token', async () => {
  const lines: Array<{ level: number; msg: string; reason?: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  const store = await sqliteStores.open();
  const { app } = await testApp({
    store,
    secret: 'metrics-log-test-secret-0123456789',
    publicUrl: 'http://certmint.test',
    logger: pino({ level: 'info' }, sink),
    app: { metrics: { token: TOKEN } },
  });
  try {
    const statuses = [];
    for (const authorization of [
      undefined,
      `Bearer ${TOKEN}0`,
      `Basic ${TOKEN}`,
      `Bearer ${TOKEN}`,
    ]) {
      const res = await app.inject({
        url: '/metrics',
        ...(authorization !== undefined && { headers: { authorization } }),
      });
      statuses.push(res.statusCode);
    }
    assert.deepEqual(statuses, [401, 401, 400, 200]);
    const refused = lines.filter((l) => l.msg === 'metrics request refused');
    assert.deepEqual(
      refused.map((l) => [l.level, l.reason]),
      [
        [40, 'missing'],
        [40, 'wrong'],
        [40, 'malformed'],
      ],
    );
    assert.ok(!JSON.stringify(lines).includes(TOKEN), 'the token is never logged');
  } finally {
    await app.close();
    await store.close();
  }
});
