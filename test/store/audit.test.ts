import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { T0 } from './fixtures.ts';

const event = (i: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  at: T0 + i,
  accountId: 'A',
  type: 'token',
  result: i % 3 === 0 ? 'failure' : 'success',
  detail: i % 3 === 0 ? 'MissingKey' : null,
  clientId: i % 2 === 0 ? 'client-even' : 'client-odd',
  certificateId: `cert${i}`,
  entityId: i,
  roleId: 3,
  remoteAddress: '127.0.0.1',
  actor: null,
  ...over,
});

describeEachStore('store: audit', (f) => {
  let store: Store;
  const all = Array.from({ length: 30 }, (_, i) => event(i));
  let listed: AuditEvent[] = [];
  before(async () => {
    store = await f.open();
    await store.audit.append(all.slice(0, 10));
    await store.audit.append(all.slice(10));
    await store.audit.append([event(100, { accountId: 'B', type: 'mapping.create', actor: 7 })]);
    await store.audit.append([]);
    listed = await store.audit.list({ accountId: 'A', limit: 100 });
  });
  after(() => store.close());

  it('lists an account events newest first, with ids in append order', () => {
    assert.equal(listed.length, 30);
    assert.deepEqual(
      listed.map(({ id: _, ...e }) => e),
      [...all].reverse(),
    );
    const ids = listed.map((e) => e.id ?? 0);
    assert.deepEqual(
      ids,
      [...ids].sort((x, y) => y - x),
    );
    assert.equal(new Set(ids).size, 30);
  });

  it('filters by result, detail, client id, type, time range and account', async () => {
    const strip = (es: AuditEvent[]) => es.map(({ id: _, ...e }) => e);
    const newest = [...all].reverse();
    assert.deepEqual(
      strip(await store.audit.list({ accountId: 'A', result: 'failure', limit: 100 })),
      newest.filter((e) => e.result === 'failure'),
    );
    assert.deepEqual(
      strip(await store.audit.list({ accountId: 'A', detail: 'MissingKey', limit: 100 })),
      newest.filter((e) => e.detail === 'MissingKey'),
    );
    assert.deepEqual(
      strip(await store.audit.list({ accountId: 'A', clientId: 'client-odd', limit: 100 })),
      newest.filter((e) => e.clientId === 'client-odd'),
    );
    assert.deepEqual(
      await store.audit.list({ accountId: 'A', type: 'mapping.create', limit: 9 }),
      [],
    );
    assert.deepEqual(
      strip(await store.audit.list({ accountId: 'A', from: T0 + 5, to: T0 + 8, limit: 100 })),
      [event(7), event(6), event(5)],
    );
    assert.deepEqual(
      strip(
        await store.audit.list({
          accountId: 'A',
          result: 'success',
          clientId: 'client-even',
          from: T0 + 10,
          limit: 100,
        }),
      ),
      newest.filter(
        (e) => e.result === 'success' && e.clientId === 'client-even' && e.at >= T0 + 10,
      ),
    );
    assert.deepEqual(strip(await store.audit.list({ accountId: 'B', limit: 10 })), [
      event(100, { accountId: 'B', type: 'mapping.create', actor: 7 }),
    ]);
    assert.deepEqual(
      strip(await store.audit.list({ accountId: 'B', type: 'mapping.create', limit: 10 })),
      [event(100, { accountId: 'B', type: 'mapping.create', actor: 7 })],
    );
  });

  it('pages with limit and before', async () => {
    const page1 = await store.audit.list({ accountId: 'A', limit: 12 });
    const page2 = await store.audit.list({
      accountId: 'A',
      limit: 12,
      before: page1.at(-1)?.id ?? 0,
    });
    const page3 = await store.audit.list({
      accountId: 'A',
      limit: 12,
      before: page2.at(-1)?.id ?? 0,
    });
    assert.deepEqual([page1.length, page2.length, page3.length], [12, 12, 6]);
    assert.deepEqual([...page1, ...page2, ...page3], listed);
    assert.deepEqual(await store.audit.list({ accountId: 'A', limit: 0 }), []);
  });

  it('appends large batches and caps a listing at 1000 events', async () => {
    const many = Array.from({ length: 1500 }, (_, i) => event(i, { accountId: 'C' }));
    await store.audit.append(many);
    const got = await store.audit.list({ accountId: 'C', limit: 5000 });
    assert.equal(got.length, 1000);
    assert.equal(got[0]?.at, T0 + 1499);
    assert.equal(got.at(-1)?.at, T0 + 500);
  });
});
