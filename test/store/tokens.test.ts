import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, it } from 'node:test';
import { FixedClock } from '../../src/domain/clock.ts';
import type { SigningKeyRecord, Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { production, T0 } from './fixtures.ts';

describeEachStore('store: replay', (f) => {
  let clock: FixedClock;
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    clock = new FixedClock(T0);
    [a, b] = await f.openPair({ clock });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('claims a key once; every later claim while it lives is false', async () => {
    assert.equal(await a.replay.claim('k1', T0 + 1000), true);
    assert.equal(await a.replay.claim('k1', T0 + 1000), false);
    assert.equal(await b.replay.claim('k1', T0 + 5000), false);
    assert.equal(await a.replay.claim('k2', T0 + 1000), true);
  });

  it('50 parallel claims of one key over two stores: exactly one wins', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).replay.claim('race', T0 + 60_000)),
    );
    assert.equal(results.filter((r) => r).length, 1);
  });

  it('purges expired records (expiresAt <= now) and counts them', async () => {
    await a.replay.claim('p1', T0 + 10);
    await a.replay.claim('p2', T0 + 20);
    await a.replay.claim('k1', T0 + 1000);
    await a.replay.claim('p3', T0 + 30_000_000);
    const n = await a.replay.purgeExpired(T0 + 20);
    // p1, p2 are expired at T0 + 20; k1 (T0 + 1000) and p3 are not.
    assert.equal(n, 2);
    assert.equal(await a.replay.claim('p1', T0 + 100), true);
    assert.equal(await a.replay.claim('p3', T0 + 100), false);
  });

  it('counts the live records only (expiresAt > now), across stores', async () => {
    assert.equal(await a.replay.countLive(T0), 0);
    await a.replay.claim('c1', T0 + 10);
    await b.replay.claim('c2', T0 + 20);
    await a.replay.claim('c3', T0 + 5000);
    assert.equal(await b.replay.countLive(T0), 3);
    assert.equal(await a.replay.countLive(T0 + 10), 2);
    assert.equal(await a.replay.countLive(T0 + 5000), 0);
  });

  it('a key is unique until its expiresAt, then claimable again even before a purge', async () => {
    assert.equal(await a.replay.claim('exp', T0 + 100), true);
    clock.set(T0 + 99);
    assert.equal(await b.replay.claim('exp', T0 + 500), false);
    clock.set(T0 + 100);
    assert.equal(await b.replay.claim('exp', T0 + 500), true);
    assert.equal(await a.replay.claim('exp', T0 + 500), false);
  });
});

describeEachStore('store: revoked tokens', (f) => {
  let store: Store;
  before(async () => {
    store = await f.open();
  });
  after(() => store.close());

  it('adds idempotently, per account, and purges expired records', async () => {
    await store.revokedTokens.add('1', 'j1', T0 + 10);
    await store.revokedTokens.add('1', 'j1', T0 + 10);
    await store.revokedTokens.add('1', 'j2', T0 + 1000);
    assert.equal(await store.revokedTokens.isRevoked('1', 'j1'), true);
    assert.equal(await store.revokedTokens.isRevoked('2', 'j1'), false);
    assert.equal(await store.revokedTokens.isRevoked('1', 'j3'), false);
    assert.equal(await store.revokedTokens.purgeExpired(T0 + 10), 1);
    assert.equal(await store.revokedTokens.isRevoked('1', 'j1'), false);
    assert.equal(await store.revokedTokens.isRevoked('1', 'j2'), true);
  });
});

const key = (accountId: string, kid: string, createdAt: number): SigningKeyRecord => ({
  accountId,
  kid,
  alg: 'ES256',
  publicJwk: `{"kid":"${kid}"}`,
  privateKeyEncrypted: `enc:${kid}`,
  createdAt,
  retiredAt: null,
});

describeEachStore('store: signing keys', (f) => {
  let a: Store;
  let b: Store;
  beforeEach(async () => {
    [a, b] = await f.openPair();
    for (const id of ['1', '2', '3']) await a.accounts.create(production(id));
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('rotates: retires the current key at the new key creation time; lists newest first', async () => {
    assert.equal(await a.signingKeys.rotate(key('1', 'k1', T0), true), true);
    assert.equal(await a.signingKeys.rotate(key('1', 'k2', T0 + 100), true), false);
    assert.deepEqual(await a.signingKeys.list('1'), [key('1', 'k1', T0)]);
    assert.equal(await a.signingKeys.rotate(key('1', 'k2', T0 + 100), false), true);
    assert.equal(await a.signingKeys.rotate(key('1', 'k3', T0 + 200), false), true);
    assert.deepEqual(await a.signingKeys.list('1'), [
      key('1', 'k3', T0 + 200),
      { ...key('1', 'k2', T0 + 100), retiredAt: T0 + 200 },
      { ...key('1', 'k1', T0), retiredAt: T0 + 100 },
    ]);
    assert.deepEqual(await a.signingKeys.list('2'), []);
  });

  it('purges retired keys that stopped signing before the given time, never the active one', async () => {
    // k1 signed until T0 + 100, k2 until T0 + 200, k3 is the active key.
    await a.signingKeys.rotate(key('1', 'k1', T0), true);
    await a.signingKeys.rotate(key('1', 'k2', T0 + 100), false);
    await a.signingKeys.rotate(key('1', 'k3', T0 + 200), false);
    assert.equal(await a.signingKeys.purgeRetired('1', T0 + 200), 1);
    assert.deepEqual(
      (await a.signingKeys.list('1')).map((k) => k.kid),
      ['k3', 'k2'],
    );
    assert.equal(await a.signingKeys.purgeRetired('1', T0 + 10_000), 1);
    assert.deepEqual(
      (await a.signingKeys.list('1')).map((k) => k.kid),
      ['k3'],
    );
  });

  it('10 parallel first-key rotations over two stores: exactly one key is created', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).signingKeys.rotate(key('3', `first${i}`, T0), true),
      ),
    );
    assert.equal(results.filter((r) => r).length, 1);
    assert.equal((await b.signingKeys.list('3')).length, 1);
  });
});
