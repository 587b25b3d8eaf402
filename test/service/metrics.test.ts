/**
 * The service layer's metrics on a real store: outcomes are counted only once their audit batch
 * is written (a batch the store refuses counts as a write failure, not as issued tokens; a record
 * riding on claims once they are all won), only
 * the OAuth endpoints' events count, and each registry is its own (two services in one process
 * do not share numbers).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { auditEvent } from '../../src/domain/audit.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { AuditWriter } from '../../src/service/audit-writer.ts';
import { ServiceMetrics } from '../../src/service/metrics.ts';
import type { Store } from '../../src/store/ports.ts';
import { Scrape } from '../support/prometheus.ts';
import { sqliteStores } from '../support/stores.ts';

const T0 = Date.UTC(2026, 10, 1);
const A = 'TSTDRV9100001';

function metricsOn(store: Store): ServiceMetrics {
  return new ServiceMetrics({
    store,
    clock: new FixedClock(T0),
    cache: { hits: 0, misses: 0 },
    limiter: { refused: { address: 0, client: 0 } },
  });
}

it('counts the OAuth outcomes of a written batch; other events are not tokens', async () => {
  const store = await sqliteStores.open();
  try {
    const metrics = metricsOn(store);
    const writer = new AuditWriter(store.ledger, 1, 1, metrics);
    await Promise.all([
      writer.record(auditEvent('token', A, T0)),
      writer.record(auditEvent('token', A, T0, { result: 'failure', detail: 'ScopeMismatched' })),
      writer.record(auditEvent('introspect', A, T0)),
      writer.record(
        auditEvent('revoke', A, T0, { result: 'failure', detail: 'SignatureValidation' }),
      ),
      writer.record(
        auditEvent('mapping.create', A, T0, { result: 'failure', detail: 'permission.missing' }),
      ),
    ]);
    const s = new Scrape(await metrics.scrape());
    assert.equal(s.value('certmint_tokens_issued_total', { account: A }), 1);
    const refusals = s.family('certmint_oauth_refusals_total')?.metrics ?? [];
    assert.deepEqual(
      refusals.map((m) => [m.labels, m.value]),
      [
        [{ endpoint: 'token', account: A, detail: 'ScopeMismatched' }, '1'],
        [{ endpoint: 'revoke', account: A, detail: 'SignatureValidation' }, '1'],
      ],
    );
    assert.equal(
      s.histogram('certmint_store_write_duration_seconds', { writer: 'ledger' })?.count,
      1,
    );
  } finally {
    await store.close();
  }
});

it('a record riding on claims counts once all its claims are won (a DPoP request: two)', async () => {
  const store = await sqliteStores.open();
  try {
    const metrics = metricsOn(store);
    const writer = new AuditWriter(store.ledger, 1, 1, metrics);
    // Far in the future: the store's own clock decides whether a stored key is still live.
    const claim = (key: string) => ({ key, expiresAt: Date.now() + 3_600_000 });
    const ok = () => auditEvent('token', A, T0);
    const answers = await Promise.all([
      writer.claimBoth(claim('m-a'), claim('m-b'), ok()),
      writer.claimBoth(claim('m-c'), claim('m-b'), ok()),
      writer.claimBoth(claim('m-a'), claim('m-d'), ok()),
      writer.claim(claim('m-e'), ok()),
    ]);
    assert.deepEqual(answers, [[true, true], [true, false], [false, true], true]);
    const s = new Scrape(await metrics.scrape());
    assert.equal(s.value('certmint_tokens_issued_total', { account: A }), 2);
    const stored = await store.audit.list({ accountId: A, limit: 10 });
    assert.equal(stored.length, 2);
  } finally {
    await store.close();
  }
});

it('a batch the store cannot write is a write failure, and its outcomes are not counted', async () => {
  const store = await sqliteStores.open();
  const metrics = metricsOn(store);
  const writer = new AuditWriter(store.ledger, 1, 1, metrics);
  await store.close();
  await assert.rejects(writer.record(auditEvent('token', A, T0)), /the store is closed/);
  const s = new Scrape(await metrics.scrape());
  assert.equal(s.value('certmint_store_write_failures_total', { writer: 'ledger' }), 1);
  assert.equal(s.value('certmint_tokens_issued_total', { account: A }), 0);
  assert.equal(
    s.histogram('certmint_store_write_duration_seconds', { writer: 'ledger' }),
    undefined,
  );
  assert.equal(s.value('certmint_store_up'), 0);
});

it('two services in one process keep their numbers apart', async () => {
  const store = await sqliteStores.open();
  try {
    const [one, two] = [metricsOn(store), metricsOn(store)];
    one.auditWritten([auditEvent('token', A, T0)]);
    one.auditWritten([auditEvent('token', A, T0)]);
    two.auditWritten([auditEvent('token', A, T0)]);
    const value = async (m: ServiceMetrics) =>
      new Scrape(await m.scrape()).value('certmint_tokens_issued_total', { account: A });
    assert.equal(await value(one), 2);
    assert.equal(await value(two), 1);
  } finally {
    await store.close();
  }
});
