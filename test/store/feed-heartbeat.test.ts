/**
 * A PostgreSQL change-feed connection that goes silent without closing (a stalled network, a
 * firewall dropping the flow) is noticed within the feed timeout: subscribers hear "anything
 * may have changed" and the store listens again on a new connection. The stall is a TCP proxy
 * between the store and PostgreSQL that stops forwarding on the listener's connection only
 * (the store's pool keeps working), and then, for the second test, drops every connection.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { listenerPorts } from '../support/pg-listener.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { eventually } from '../support/wait.ts';
import { production } from './fixtures.ts';

const FEED_TIMEOUT_MS = 900;
const pgFactory = postgresStores();

/** Every notification `store` hears from now on, with when it heard it. */
function recorder(store: Store) {
  const heard: Array<{ accountId: string | null; at: number }> = [];
  const off = store.changes.subscribe((accountId) =>
    heard.push({ accountId, at: performance.now() }),
  );
  return { heard, off };
}

describe('store: a stalled change-feed connection [postgres]', {
  skip: pgFactory ? false : PG_SKIP_REASON,
}, () => {
  it('is noticed within the feed timeout, and the store listens again', async () => {
    if (!pgFactory) return;
    const a = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(a.location).port || 5432));
    const b = await openStore(proxy.via(a.location), { feedTimeoutMs: FEED_TIMEOUT_MS });
    const rec = recorder(b);
    try {
      await a.accounts.create(production('1'));
      await eventually('b hears of account 1', () => rec.heard.some((h) => h.accountId === '1'));

      const ports = await listenerPorts(a.location);
      proxy.freeze((port) => ports.includes(port));
      const frozenAt = performance.now();
      rec.heard.length = 0;
      await a.accounts.create(production('2'));
      await eventually(
        'b says "anything may have changed"',
        () => rec.heard.some((h) => h.accountId === null),
        { timeoutMs: 10_000 },
      );
      const first = rec.heard[0];
      assert.equal(first?.accountId, null, 'the change itself never arrived');
      const noticedAfter = (first?.at ?? Number.POSITIVE_INFINITY) - frozenAt;
      // The bound is the feed timeout; the margin is for timers on a busy machine.
      assert.ok(noticedAfter < FEED_TIMEOUT_MS + 1500, `noticed after ${noticedAfter} ms`);
      // Only the listener stalled: the store still reads, and sees the change.
      assert.equal((await b.accounts.get('2'))?.id, '2');

      // It listens again on a new connection: the next change arrives as itself.
      await eventually('b listens on a new connection', async () => {
        const now = await listenerPorts(a.location);
        return now.length === 2 && now.some((p) => !ports.includes(p));
      });
      await a.accounts.create(production('3'));
      await eventually('b hears of account 3', () => rec.heard.some((h) => h.accountId === '3'));
    } finally {
      rec.off();
      await b.close();
      await proxy.close();
      await a.close();
    }
  });

  it('while it cannot listen at all, says "anything may have changed" once per timeout', async () => {
    if (!pgFactory) return;
    const a = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(a.location).port || 5432));
    const b = await openStore(proxy.via(a.location), { feedTimeoutMs: FEED_TIMEOUT_MS });
    const rec = recorder(b);
    try {
      proxy.cut();
      const cutAt = performance.now();
      await eventually(
        'three nulls',
        () => rec.heard.filter((h) => h.accountId === null).length >= 3,
        { timeoutMs: 10_000 },
      );
      const third = rec.heard.filter((h) => h.accountId === null)[2]?.at ?? 0;
      // The first at once (lost), then one per timeout: never a silent stretch past the bound.
      assert.ok(third - cutAt < 3 * FEED_TIMEOUT_MS + 1500, `third after ${third - cutAt} ms`);
      proxy.restore();
      await eventually(
        'b listens again',
        async () => (await listenerPorts(a.location)).length === 2,
        {
          timeoutMs: 15_000,
        },
      );
      rec.heard.length = 0;
      await a.accounts.create(production('4'));
      await eventually('b hears of account 4', () => rec.heard.some((h) => h.accountId === '4'));
    } finally {
      rec.off();
      await b.close();
      await proxy.close();
      await a.close();
    }
  });
});
