/**
 * ledger.commit: the replay claims and audit records of one turn in one commit. Claims answer
 * exactly as replay.claimMany (a repeat within the batch, a live key: false; an expired key is
 * taken over), every event is stored once, folding failures still fold, a record riding on a
 * claim is stored exactly when the claim is won, and parallel batches on two stores win each
 * key exactly once.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { type AuditEvent, auditEvent } from '../../src/domain/audit.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';

describeEachStore('store: ledger.commit', (f) => {
  let a: Store;
  let b: Store;
  before(async () => {
    [a, b] = await f.openPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });
  const now = Date.now();
  const exp = now + 60_000;
  const ok = (account: string, at: number, clientId: string): AuditEvent =>
    auditEvent('token', account, at, { clientId, certificateId: 'cert-1', entityId: 3, roleId: 4 });

  it('claims per entry and stores every event, in order, in one commit', async () => {
    assert.equal(await a.replay.claim('l-old', exp), true);
    assert.equal(await a.replay.claim('l-expired', now - 1), true);
    const events = [ok('LA', now, 'c-1'), ok('LA', now + 1, "c-2 'quoted' {x,y}")];
    const r = await a.ledger.commit(
      [
        { key: 'l-2', expiresAt: exp },
        { key: 'l-old', expiresAt: exp },
        { key: 'l-1', expiresAt: exp },
        { key: 'l-2', expiresAt: exp },
        { key: 'l-expired', expiresAt: exp },
      ],
      events,
    );
    assert.deepEqual(r, [true, false, true, false, true]);
    const rows = await a.audit.list({ accountId: 'LA', limit: 10 });
    assert.deepEqual(
      rows.map(({ id: _id, ...e }) => e),
      [...events].reverse(),
    );
    // Claimed for good: a second commit, or a plain claim, loses.
    assert.deepEqual(await a.ledger.commit([{ key: 'l-1', expiresAt: exp }], []), [false]);
    assert.equal(await b.replay.claim('l-expired', exp), false);
  });

  it('claims alone, events alone, nothing at all', async () => {
    assert.deepEqual(await a.ledger.commit([], []), []);
    assert.deepEqual(await a.ledger.commit([{ key: 'l-only', expiresAt: exp }], []), [true]);
    assert.deepEqual(await a.ledger.commit([], [ok('LB', now, 'c-3')]), []);
    assert.equal((await a.audit.list({ accountId: 'LB', limit: 10 })).length, 1);
  });

  it('folding failures fold as audit.append folds them, beside the claims', async () => {
    const failure = auditEvent('token', 'LC', now, {
      result: 'failure',
      detail: 'SignatureValidation',
      clientId: 'c-4',
      remoteAddress: '192.0.2.7',
    });
    const r = await a.ledger.commit(
      [{ key: 'l-fold', expiresAt: exp }],
      [failure, { ...failure, at: now + 5 }, ok('LC', now + 6, 'c-4')],
    );
    assert.deepEqual(r, [true]);
    const rows = await a.audit.list({ accountId: 'LC', limit: 10 });
    assert.equal(rows.length, 2);
    const folded = rows.find((e) => e.result === 'failure');
    assert.equal(folded?.count, 2);
    assert.equal(folded?.firstAt, now);
  });

  it("a record riding on a claim is stored if and only if that entry's claim is won", async () => {
    assert.equal(await a.replay.claim('r-live', exp), true);
    assert.equal(await a.replay.claim('r-expired', now - 1), true);
    const r = await a.ledger.commit(
      [
        { key: 'r-new', expiresAt: exp, onWin: ok('LR', now, 'won-new') },
        { key: 'r-live', expiresAt: exp, onWin: ok('LR', now, 'lost-live') },
        { key: 'r-new', expiresAt: exp, onWin: ok('LR', now, 'lost-repeat') },
        { key: 'r-expired', expiresAt: exp, onWin: ok('LR', now, 'won-expired') },
        { key: 'r-plain', expiresAt: exp },
      ],
      [ok('LR', now, 'unconditional')],
    );
    assert.deepEqual(r, [true, false, false, true, true]);
    const clients = async () =>
      (await a.audit.list({ accountId: 'LR', limit: 10 })).map((e) => e.clientId).sort();
    assert.deepEqual(await clients(), ['unconditional', 'won-expired', 'won-new']);
    // The key is taken now: its next record is not stored, from either store.
    assert.deepEqual(
      await b.ledger.commit([{ key: 'r-new', expiresAt: exp, onWin: ok('LR', now, 'late') }], []),
      [false],
    );
    assert.deepEqual(await clients(), ['unconditional', 'won-expired', 'won-new']);
  });

  it('a record riding on two claims is stored if and only if both entries are won', async () => {
    assert.equal(await a.replay.claim('p-live', exp), true);
    assert.equal(await a.replay.claim('p-live2', exp), true);
    const r = await a.ledger.commit(
      [
        { key: 'p-a1', expiresAt: exp, onWin: ok('LP', now, 'both-won'), onWinAlso: 1 },
        { key: 'p-b1', expiresAt: exp },
        { key: 'p-live', expiresAt: exp, onWin: ok('LP', now, 'first-live'), onWinAlso: 3 },
        { key: 'p-b2', expiresAt: exp },
        { key: 'p-a3', expiresAt: exp, onWin: ok('LP', now, 'second-live'), onWinAlso: 5 },
        { key: 'p-live2', expiresAt: exp },
        // The second claim repeats an earlier entry's key: that entry won it, this one loses.
        { key: 'p-a4', expiresAt: exp, onWin: ok('LP', now, 'second-repeat'), onWinAlso: 7 },
        { key: 'p-b1', expiresAt: exp },
      ],
      [ok('LP', now, 'unconditional')],
    );
    assert.deepEqual(r, [true, true, false, true, true, false, true, false]);
    const clients = (await a.audit.list({ accountId: 'LP', limit: 10 })).map((e) => e.clientId);
    assert.deepEqual(clients.sort(), ['both-won', 'unconditional']);
  });

  it('a second claim that is no other entry of the batch is refused before any write', async () => {
    for (const onWinAlso of [0, 2, -1]) {
      await assert.rejects(
        a.ledger.commit(
          [
            { key: 'pm-1', expiresAt: exp, onWin: ok('LM', now, 'c-m'), onWinAlso },
            { key: 'pm-2', expiresAt: exp },
          ],
          [ok('LM', now, 'c-m')],
        ),
        /names no other claim of the batch/,
      );
    }
    assert.equal(await a.replay.claim('pm-1', exp), true);
    assert.equal(await a.replay.claim('pm-2', exp), true);
    assert.equal((await a.audit.list({ accountId: 'LM', limit: 10 })).length, 0);
  });

  it('riding records beside folding failures; a folding record refused before any write', async () => {
    const failure = auditEvent('token', 'LF', now, {
      result: 'failure',
      detail: 'SignatureValidation',
      clientId: 'c-5',
    });
    const r = await a.ledger.commit(
      [{ key: 'rf-1', expiresAt: exp, onWin: ok('LF', now, 'c-5') }],
      [failure, { ...failure, at: now + 1 }],
    );
    assert.deepEqual(r, [true]);
    const rows = await a.audit.list({ accountId: 'LF', limit: 10 });
    assert.deepEqual(rows.map((e) => [e.result, e.count ?? 1]).sort(), [
      ['failure', 2],
      ['success', 1],
    ]);
    await assert.rejects(
      a.ledger.commit([{ key: 'rf-2', expiresAt: exp, onWin: failure }], []),
      /a folding event cannot ride on a claim/,
    );
    // Nothing of the refused batch was written: its key is still free.
    assert.equal(await a.replay.claim('rf-2', exp), true);
    assert.equal((await a.audit.list({ accountId: 'LF', limit: 10 })).length, 2);
  });

  it('parallel batches on two stores: each key is won exactly once', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `lp-${i}`);
    const batch = (order: string[]) =>
      order.map((key) => ({ key, expiresAt: exp, onWin: ok('LE', now, key) }));
    const orders = [keys, [...keys].reverse(), keys.slice(5), keys.slice(0, 10)];
    const results = await Promise.all(
      orders.map((o, i) => (i % 2 === 0 ? a : b).ledger.commit(batch(o), [ok('LD', now, 'c')])),
    );
    const wins = new Map<string, number>();
    results.forEach((r, i) => {
      r.forEach((won, j) => {
        const key = orders[i]?.[j] ?? '';
        if (won) wins.set(key, (wins.get(key) ?? 0) + 1);
      });
    });
    assert.equal(wins.size, 20);
    assert.ok([...wins.values()].every((n) => n === 1));
    assert.equal((await a.audit.list({ accountId: 'LD', limit: 10 })).length, 4);
    // Each key's riding record is stored once: by the batch that won it.
    const records = (await a.audit.list({ accountId: 'LE', limit: 100 })).map((e) => e.clientId);
    assert.deepEqual(records.sort(), [...keys].sort());
  });
});
