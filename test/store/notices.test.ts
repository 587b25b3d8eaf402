/**
 * The notice port on every backend: the claim is an atomic unique insert (one winner under any
 * concurrency, across two connections as two nodes would have), retakes and outcomes are
 * compare-and-set on the attempt count, and a sandbox refresh takes the notices of the
 * mappings it deletes.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { Mapping } from '../../src/domain/mapping.ts';
import type { NoticeKey, Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { DAY, mapping, type Setup, sandbox, setup, T0 } from './fixtures.ts';

describeEachStore('store: expiry notices', (f) => {
  let a: Store;
  let b: Store;
  let s: Setup;
  let m: Mapping;
  let key: NoticeKey;
  beforeEach(async () => {
    [a, b] = await f.openPair();
    s = await setup(a, '100');
    m = mapping(s, s.integrationIds[0] as number);
    assert.equal(await a.mappings.create(m, 5, T0), 'created');
    key = { certificateId: m.certificateId, thresholdDays: 30, channel: 'email' };
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('lists mappings expiring in a window, in every account, soonest first, never revoked ones', async () => {
    const integ = s.integrationIds[0] as number;
    const soon = mapping(s, integ, { validUntil: T0 + 10 * DAY });
    const revoked = mapping(s, integ, { validUntil: T0 + 5 * DAY });
    const other = await setup(a, '200');
    const elsewhere = mapping(other, other.integrationIds[0] as number, {
      validUntil: T0 + 20 * DAY,
    });
    for (const x of [soon, revoked, elsewhere])
      assert.equal(await a.mappings.create(x, 5, T0), 'created');
    assert.equal(await a.mappings.revoke(s.accountId, revoked.certificateId, T0, null), true);
    const ids = (await b.notices.expiring(T0, T0 + 30 * DAY)).map((x) => x.certificateId);
    assert.deepEqual(ids, [soon.certificateId, elsewhere.certificateId]);
    // validUntil is in (now, until]: an expired one and one beyond the window are out.
    assert.deepEqual(
      (await b.notices.expiring(T0 + 10 * DAY, T0 + 20 * DAY)).map((x) => x.certificateId),
      [elsewhere.certificateId],
    );
  });

  it('claims a delivery once; another threshold or channel is another delivery', async () => {
    assert.equal(await a.notices.claim(key, '100', T0, T0 + 600_000, 'node-a'), true);
    assert.equal(await b.notices.claim(key, '100', T0 + 1, T0 + 600_001, 'node-b'), false);
    assert.equal(
      await b.notices.claim({ ...key, thresholdDays: 14 }, '100', T0, T0 + 1, 'b'),
      true,
    );
    assert.equal(
      await b.notices.claim({ ...key, channel: 'webhook' }, '100', T0, T0 + 1, 'b'),
      true,
    );
    const [d] = await a.notices
      .list({ certificateId: m.certificateId, limit: 10 })
      .then((l) => l.filter((x) => x.thresholdDays === 30 && x.channel === 'email'));
    assert.deepEqual(d, {
      ...key,
      accountId: '100',
      status: 'sending',
      attempts: 1,
      nextAttemptAt: T0 + 600_000,
      claimedAt: T0,
      claimedBy: 'node-a',
      finishedAt: null,
      lastError: null,
    });
  });

  it('50 concurrent claims of one delivery over two stores: exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        (i % 2 ? a : b).notices.claim(key, '100', T0, T0 + 600_000, `node-${i}`),
      ),
    );
    assert.equal(results.filter((r) => r).length, 1);
  });

  it('a failed attempt waits for its retry; the retake is one winner and counts the attempt', async () => {
    await a.notices.claim(key, '100', T0, T0 + 600_000, 'node-a');
    assert.equal(
      await a.notices.finish(key, 1, {
        status: 'retry',
        at: T0 + 10,
        nextAttemptAt: T0 + 300_000,
        error: 'connection refused',
      }),
      true,
    );
    assert.deepEqual(await b.notices.due(T0 + 299_999, 10), []);
    const [due] = await b.notices.due(T0 + 300_000, 10);
    assert.equal(due?.status, 'retry');
    assert.equal(due?.lastError, 'connection refused');
    const wins = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).notices.retake(key, 1, T0 + 300_000, T0 + 900_000, `n${i}`),
      ),
    );
    assert.equal(wins.filter((w) => w).length, 1);
    // A stale holder (attempt 1) can no longer record anything; the new one (attempt 2) can.
    assert.equal(await a.notices.finish(key, 1, { status: 'sent', at: T0, error: null }), false);
    assert.equal(
      await b.notices.finish(key, 2, { status: 'sent', at: T0 + 300_500, error: null }),
      true,
    );
    const [d] = await a.notices.list({ accountId: '100', limit: 10 });
    assert.equal(d?.status, 'sent');
    assert.equal(d?.attempts, 2);
    assert.equal(d?.finishedAt, T0 + 300_500);
    assert.equal(d?.nextAttemptAt, null);
    assert.equal(d?.lastError, null);
    assert.deepEqual(await a.notices.due(T0 + 10 * DAY, 10), []);
  });

  it('a holder whose lease ran out is presumed dead: its delivery is due again', async () => {
    await a.notices.claim(key, '100', T0, T0 + 600_000, 'node-a');
    assert.deepEqual(await b.notices.due(T0 + 599_999, 10), []);
    const [due] = await b.notices.due(T0 + 600_000, 10);
    assert.equal(due?.status, 'sending');
    assert.equal(await b.notices.retake(key, 1, T0 + 599_999, T0 + 2, 'node-b'), false);
    assert.equal(await b.notices.retake(key, 1, T0 + 600_000, T0 + 1_200_000, 'node-b'), true);
    const [d] = await b.notices.list({ accountId: '100', limit: 10 });
    assert.equal(d?.claimedBy, 'node-b');
    assert.equal(d?.attempts, 2);
  });

  it('finished deliveries are never due; an error text is kept bounded', async () => {
    await a.notices.claim(key, '100', T0, T0 + 1, 'node-a');
    await a.notices.finish(key, 1, { status: 'failed', at: T0, error: 'x'.repeat(2000) });
    assert.deepEqual(await a.notices.due(T0 + 365 * DAY, 10), []);
    const [d] = await a.notices.list({ accountId: '100', limit: 10 });
    assert.equal(d?.status, 'failed');
    assert.equal(d?.lastError?.length, 500);
    assert.equal(await a.notices.retake(key, 1, T0 + 365 * DAY, T0, 'b'), false);
  });

  it('a sandbox refresh deletes the notices of the mappings it clears', async () => {
    await a.accounts.create(sandbox('100', 1));
    await a.accounts.refreshSandbox('100_SB1', '100', T0);
    const sb = { accountId: '100_SB1', entityId: s.entityId, roleId: 3, integrationIds: [] };
    const inSandbox = mapping(sb, s.integrationIds[0] as number);
    assert.equal(await a.mappings.create(inSandbox, 5, T0), 'created');
    const sbKey = { ...key, certificateId: inSandbox.certificateId };
    assert.equal(await a.notices.claim(sbKey, '100_SB1', T0, T0 + 1, 'a'), true);
    await a.notices.claim(key, '100', T0, T0 + 1, 'a');
    await a.accounts.refreshSandbox('100_SB1', '100', T0 + 1);
    assert.deepEqual(await a.notices.list({ accountId: '100_SB1', limit: 10 }), []);
    assert.equal((await a.notices.list({ accountId: '100', limit: 10 })).length, 1);
    // Production's delivery is untouched: still claimed.
    assert.equal(await b.notices.claim(key, '100', T0, T0 + 1, 'b'), false);
  });
});
