/**
 * The token path reads its records through the cache's synchronous peeks first and awaits the
 * store only when a peek says "not in memory" (service/token/record-cache.ts). A peek must never
 * answer what the store would not: nothing before the first read, nothing past the TTL, nothing
 * after a change to the account, and a cached "no such record" as null, not as a miss.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { RecordCache } from '../../src/service/token/record-cache.ts';
import { sqliteStores, type TestStore } from '../support/stores.ts';
import { depsFor, type Seed, seed } from './fixtures.ts';

describe('record cache peeks', () => {
  let store: TestStore;
  let deps: ReturnType<typeof depsFor>;
  let s: Seed;
  before(async () => {
    store = await sqliteStores.open();
    deps = depsFor(store);
    s = await seed(deps);
  });
  after(async () => {
    await store.close();
  });

  it('answer nothing before the first read, then the record, counted as hits', async () => {
    const cache = new RecordCache(store, deps.clock, { ttlMs: 60_000 });
    try {
      assert.equal(cache.peekIntegration(s.accountId, s.integrationId), undefined);
      assert.equal(cache.peekEntity(s.accountId, s.entityId), undefined);
      assert.equal(cache.peekRole(s.accountId, s.roleId), undefined);
      assert.equal(cache.peekMapping('no-such-certificate'), undefined);
      assert.equal(cache.hits, 0, 'a miss is not a hit');

      const integration = await cache.integration(s.accountId, s.integrationId);
      const entity = await cache.entity(s.accountId, s.entityId);
      const role = await cache.role(s.accountId, s.roleId);
      assert.equal(cache.misses, 3);
      assert.equal(cache.peekIntegration(s.accountId, s.integrationId), integration);
      assert.equal(cache.peekEntity(s.accountId, s.entityId), entity);
      assert.equal(cache.peekRole(s.accountId, s.roleId), role);
      assert.equal(cache.hits, 3);
      assert.equal(integration?.clientId, s.clientId);

      // A record that does not exist is remembered as null: the peek says so, it is no miss.
      assert.equal(await cache.integration(s.accountId, 999_999), null);
      assert.equal(cache.peekIntegration(s.accountId, 999_999), null);
      // Another account's id is another key.
      assert.equal(cache.peekIntegration('other', s.integrationId), undefined);
    } finally {
      cache.close();
    }
  });

  it('answer nothing past the TTL', async () => {
    const cache = new RecordCache(store, deps.clock, { ttlMs: 1000 });
    try {
      await cache.role(s.accountId, s.roleId);
      assert.notEqual(cache.peekRole(s.accountId, s.roleId), undefined);
      deps.clock.advance(1001);
      assert.equal(cache.peekRole(s.accountId, s.roleId), undefined);
    } finally {
      cache.close();
    }
  });

  it('answer nothing once the account changed: the next read sees the change', async () => {
    const cache = new RecordCache(store, deps.clock);
    try {
      const before = await cache.integration(s.accountId, s.integrationId);
      assert.equal(before?.state, 'enabled');
      await updateIntegration(deps, SYSTEM, s.accountId, s.integrationId, { state: 'blocked' });
      assert.equal(cache.peekIntegration(s.accountId, s.integrationId), undefined);
      const now = await cache.integration(s.accountId, s.integrationId);
      assert.equal(now?.state, 'blocked');
      assert.equal(cache.peekIntegration(s.accountId, s.integrationId), now);
    } finally {
      cache.close();
    }
  });
});
