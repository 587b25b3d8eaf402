/**
 * Expiry notices across nodes and restarts: two services instances on one database (two
 * connections, as two hosts on one PostgreSQL would have) running passes at the same moments send
 * each notice once; a node restarted between thresholds sends nothing twice; a node that died
 * holding a delivery is replaced once its lease runs out.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { NOTICE_LEASE_MS } from '../../src/domain/notices.ts';
import { SYSTEM } from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';
import { DAY, labels, noticeWorld, type World } from './notices-support.ts';

describeEachStore('service: expiry notices on several nodes', (f) => {
  let a: Store;
  let b: Store;
  let w: World;
  beforeEach(async () => {
    [a, b] = await f.openPair();
    w = await noticeWorld(a, 4);
  });
  afterEach(async () => {
    await w.close();
    await a.close();
    await b.close();
  });
  // All four certificates were mapped at the same second for 90 days.
  const at = (daysBefore: number) =>
    w.clock.set((w.mappings[0]?.validUntil ?? 0) - daysBefore * DAY);

  it('two nodes running passes at the same moments send each notice once', async () => {
    const one = w.node(a);
    const two = w.node(b);
    for (const days of [60, 30, 14]) {
      at(days);
      // Each round, both nodes start a pass at the same moment (a node joins its own pass in
      // progress, so one pass per node per round).
      const sent: string[] = [];
      for (let round = 0; round < 3; round++) {
        const passes = await Promise.all([one.notices.run(SYSTEM), two.notices.run(SYSTEM)]);
        for (const p of passes) sent.push(...labels(p));
      }
      assert.equal(sent.length, 8, `${days} days: 4 certificates × 2 channels`);
      assert.ok(sent.every((l) => l === `${days}/email/sent` || l === `${days}/webhook/sent`));
    }
    assert.equal(w.smtp.messages.length, 12);
    assert.equal(w.hooks.accepted.length, 12);
    const perCertificate = new Map<string, number>();
    for (const h of w.hooks.accepted) {
      const id = String(h.headers['certmint-delivery']);
      perCertificate.set(id, (perCertificate.get(id) ?? 0) + 1);
    }
    assert.equal(perCertificate.size, 12);
    assert.ok([...perCertificate.values()].every((n) => n === 1));
    const audit = await b.audit.list({
      accountId: w.mappings[0]?.accountId ?? '',
      type: 'mapping.expiry_notice',
      limit: 100,
    });
    assert.equal(audit.length, 24);
  });

  it('a node restarted between thresholds sends nothing twice', async () => {
    const before = w.node(a);
    at(60);
    assert.equal((await before.notices.run(SYSTEM)).attempts.length, 8);
    await before.close();
    // The restarted node: new services on another connection to the same database.
    const after = w.node(b);
    assert.deepEqual(labels(await after.notices.run(SYSTEM)), []);
    at(45);
    assert.deepEqual(labels(await after.notices.run(SYSTEM)), []);
    at(30);
    const thirty = labels(await after.notices.run(SYSTEM));
    assert.deepEqual(thirty, [
      ...Array(4).fill('30/email/sent'),
      ...Array(4).fill('30/webhook/sent'),
    ]);
    assert.equal(w.smtp.messages.length, 8);
  });

  it('a delivery held by a node that died is sent by another once the lease runs out', async () => {
    at(60);
    const m = w.mappings[0];
    assert.ok(m);
    // A node claimed the email, then died before sending it.
    const key = { certificateId: m.certificateId, thresholdDays: 60, channel: 'email' as const };
    assert.equal(
      await a.notices.claim(
        key,
        m.accountId,
        w.clock.now(),
        w.clock.now() + NOTICE_LEASE_MS,
        'dead',
      ),
      true,
    );
    const survivor = w.node(b, { webhook: undefined });
    const now = labels(await survivor.notices.run(SYSTEM));
    assert.deepEqual(now, Array(3).fill('60/email/sent'), 'the other three certificates');
    w.clock.advance(NOTICE_LEASE_MS);
    assert.deepEqual(labels(await survivor.notices.run(SYSTEM)), ['60/email/sent']);
    const [d] = (await survivor.notices.list(SYSTEM)).filter(
      (x) => x.certificateId === m.certificateId,
    );
    assert.equal(d?.attempts, 2);
    assert.notEqual(d?.claimedBy, 'dead');
    assert.equal(w.smtp.messages.length, 4);
  });

  it('the background job sends due notices on its own', async () => {
    at(60);
    const node = w.node(a, { intervalMs: 60_000 });
    const failures: unknown[] = [];
    node.startBackgroundJobs((err) => failures.push(err));
    await eventually('the first pass sent the 60-day notices', () => w.smtp.messages.length === 4);
    await eventually('and the webhooks', () => w.hooks.accepted.length === 4);
    await node.close();
    assert.deepEqual(failures, []);
  });
});
