/** replay.claimMany: one transaction, one answer per entry, atomic across stores. */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';

describeEachStore('replay.claimMany', (f) => {
  let a: Store;
  let b: Store;
  before(async () => {
    [a, b] = await f.openPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });
  const exp = Date.now() + 60_000;

  it('answers per entry, a key repeated in the batch once, a claimed key never', async () => {
    assert.equal(await a.replay.claim('k-old', exp), true);
    const r = await a.replay.claimMany([
      { key: 'k-2', expiresAt: exp },
      { key: 'k-old', expiresAt: exp },
      { key: 'k-1', expiresAt: exp },
      { key: 'k-2', expiresAt: exp },
    ]);
    assert.deepEqual(r, [true, false, true, false]);
    assert.deepEqual(await a.replay.claimMany([]), []);
    assert.deepEqual(await a.replay.claimMany([{ key: 'k-1', expiresAt: exp }]), [false]);
  });

  it('parallel batches on two stores: each key is won exactly once', async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `p-${i}`);
    const batch = (order: string[]) => order.map((key) => ({ key, expiresAt: exp }));
    const results = await Promise.all([
      a.replay.claimMany(batch(keys)),
      b.replay.claimMany(batch([...keys].reverse())),
      a.replay.claimMany(batch(keys.slice(5))),
      b.replay.claimMany(batch(keys.slice(0, 10))),
    ]);
    const wins = new Map<string, number>();
    const orders = [keys, [...keys].reverse(), keys.slice(5), keys.slice(0, 10)];
    results.forEach((r, i) => {
      r.forEach((won, j) => {
        const key = orders[i]?.[j] ?? '';
        if (won) wins.set(key, (wins.get(key) ?? 0) + 1);
      });
    });
    assert.equal(wins.size, 20);
    assert.ok([...wins.values()].every((n) => n === 1));
  });
});
