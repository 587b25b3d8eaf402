import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isDomainError } from '../../src/domain/errors.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { DAY, mapping, production, setup, T0 } from './fixtures.ts';

/** The limit the service passes to the store: 5 active certificates per integration. */
const MAX = 5;
const NOW = T0 + DAY;

describeEachStore('store: mappings', (f) => {
  let store: Store;
  before(async () => {
    store = await f.open();
  });
  after(() => store.close());

  it('creates a mapping and reads it back by certificate id and by account', async () => {
    const s = await setup(store, '10', 2);
    const m1 = mapping(s, 1, {
      curve: null,
      keyType: 'rsa-pss',
      algorithm: 'RSA',
      shortened: true,
    });
    const m2 = mapping(s, 2, { createdAt: T0 + 1, createdBy: s.entityId });
    assert.equal(await store.mappings.create(m1, MAX, NOW), 'created');
    assert.equal(await store.mappings.create(m2, MAX, NOW), 'created');
    assert.deepEqual(await store.mappings.get(m1.certificateId), m1);
    assert.deepEqual(await store.mappings.get(m2.certificateId), m2);
    assert.deepEqual(await store.mappings.list('10'), [m1, m2]);
    assert.equal(await store.mappings.get('no-such-certificate'), null);
    assert.deepEqual(await store.mappings.list('11'), []);
  });

  it('refuses a certificate id that is mapped anywhere, even revoked or in another account', async () => {
    const a = await setup(store, '20', 2);
    const b = await setup(store, '21');
    const m = mapping(a, 1);
    assert.equal(await store.mappings.create(m, MAX, NOW), 'created');
    const again = (s: typeof a, integrationId: number) =>
      mapping(s, integrationId, { certificateId: m.certificateId });
    assert.equal(await store.mappings.create(again(a, 1), MAX, NOW), 'certificate_taken');
    assert.equal(await store.mappings.create(again(a, 2), MAX, NOW), 'certificate_taken');
    assert.equal(await store.mappings.create(again(b, 1), MAX, NOW), 'certificate_taken');
    assert.equal(await store.mappings.revoke('20', m.certificateId, NOW, null), true);
    assert.equal(await store.mappings.create(again(a, 1), MAX, NOW), 'certificate_taken');
    assert.equal(await store.mappings.create(again(b, 1), MAX, NOW), 'certificate_taken');
    // The same certificate with the same key is a certificate clash first.
    assert.equal(
      await store.mappings.create({ ...again(b, 1), publicKeyId: m.publicKeyId }, MAX, NOW),
      'certificate_taken',
    );
  });

  it('refuses another certificate of a public key that is mapped anywhere', async () => {
    const a = await setup(store, '30');
    const b = await setup(store, '31');
    const m = mapping(a, 1);
    assert.equal(await store.mappings.create(m, MAX, NOW), 'created');
    assert.equal(
      await store.mappings.create(mapping(a, 1, { publicKeyId: m.publicKeyId }), MAX, NOW),
      'key_taken',
    );
    assert.equal(
      await store.mappings.create(mapping(b, 1, { publicKeyId: m.publicKeyId }), MAX, NOW),
      'key_taken',
    );
    await store.mappings.revoke('30', m.certificateId, NOW, null);
    assert.equal(
      await store.mappings.create(mapping(b, 1, { publicKeyId: m.publicKeyId }), MAX, NOW),
      'key_taken',
    );
  });

  it('allows 5 active certificates per integration; revoked and expired ones do not count', async () => {
    const s = await setup(store, '40', 2);
    const made = [];
    for (let i = 0; i < MAX; i++) {
      const m = mapping(s, 1);
      made.push(m);
      assert.equal(await store.mappings.create(m, MAX, NOW), 'created');
    }
    assert.equal(await store.mappings.create(mapping(s, 1), MAX, NOW), 'limit_reached');
    // Another integration of the account has its own limit.
    assert.equal(await store.mappings.create(mapping(s, 2), MAX, NOW), 'created');
    // Revoking one frees a slot.
    assert.equal(await store.mappings.revoke('40', made[0]?.certificateId ?? '', NOW, 1), true);
    assert.equal(await store.mappings.create(mapping(s, 1), MAX, NOW), 'created');
    assert.equal(await store.mappings.create(mapping(s, 1), MAX, NOW), 'limit_reached');
    // A mapping whose validity ended at or before `now` is not active.
    const t = await setup(store, '41');
    for (let i = 0; i < MAX; i++) {
      const validUntil = i < 2 ? NOW : NOW + DAY;
      assert.equal(await store.mappings.create(mapping(t, 1, { validUntil }), MAX, T0), 'created');
    }
    assert.equal(await store.mappings.create(mapping(t, 1), MAX, T0), 'limit_reached');
    assert.equal(await store.mappings.create(mapping(t, 1), MAX, NOW), 'created');
    assert.equal(await store.mappings.create(mapping(t, 1), MAX, NOW), 'created');
    assert.equal(await store.mappings.create(mapping(t, 1), MAX, NOW), 'limit_reached');
    // maxActive is the caller's.
    const u = await setup(store, '42');
    assert.equal(await store.mappings.create(mapping(u, 1), 1, NOW), 'created');
    assert.equal(await store.mappings.create(mapping(u, 1), 1, NOW), 'limit_reached');
  });

  it('refuses a mapping to an integration that does not exist in the account', async () => {
    const s = await setup(store, '50');
    await assert.rejects(
      store.mappings.create(mapping(s, 7), MAX, NOW),
      (e) =>
        isDomainError(e) &&
        e.code === 'integration.not_found' &&
        e.message === 'integration 7 does not exist in account 50',
    );
  });

  it('revokes once, only in the mapping own account', async () => {
    const s = await setup(store, '60');
    const m = mapping(s, 1);
    await store.mappings.create(m, MAX, NOW);
    assert.equal(await store.mappings.revoke('61', m.certificateId, NOW, null), false);
    assert.equal(await store.mappings.revoke('60', 'missing', NOW, null), false);
    assert.equal(await store.mappings.revoke('60', m.certificateId, NOW + 5, s.entityId), true);
    assert.equal(await store.mappings.revoke('60', m.certificateId, NOW + 9, null), false);
    assert.deepEqual(await store.mappings.get(m.certificateId), {
      ...m,
      revokedAt: NOW + 5,
      revokedBy: s.entityId,
    });
  });
});

// Two Store instances on one database (as two processes or hosts would be), requests spread
// over both: the rules must hold under any interleaving, not just within one connection.
describeEachStore('store: mappings under concurrency', (f) => {
  let a: Store;
  let b: Store;
  before(async () => {
    [a, b] = await f.openPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });
  const pick = (i: number) => (i % 2 === 0 ? a : b);

  it('20 parallel creates for one integration: exactly 5 are created', async () => {
    const s = await setup(a, '70');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => pick(i).mappings.create(mapping(s, 1), MAX, NOW)),
    );
    assert.equal(results.filter((r) => r === 'created').length, MAX);
    assert.equal(results.filter((r) => r === 'limit_reached').length, 20 - MAX);
    assert.equal((await b.mappings.list('70')).length, MAX);
  });

  it('10 parallel creates of one certificate into different integrations: exactly 1 is created', async () => {
    const s = await setup(a, '71', 10);
    const m = mapping(s, 1);
    const results = await Promise.all(
      s.integrationIds.map((id, i) =>
        pick(i).mappings.create({ ...mapping(s, id), certificateId: m.certificateId }, MAX, NOW),
      ),
    );
    assert.equal(results.filter((r) => r === 'created').length, 1);
    assert.equal(results.filter((r) => r === 'certificate_taken').length, 9);
    assert.equal((await a.mappings.list('71')).length, 1);
  });

  it('10 parallel creates of one public key into different integrations: exactly 1 is created', async () => {
    const s = await setup(a, '72', 10);
    const m = mapping(s, 1);
    const results = await Promise.all(
      s.integrationIds.map((id, i) =>
        pick(i).mappings.create({ ...mapping(s, id), publicKeyId: m.publicKeyId }, MAX, NOW),
      ),
    );
    assert.equal(results.filter((r) => r === 'created').length, 1);
    assert.equal(results.filter((r) => r === 'key_taken').length, 9);
  });

  it('a sandbox refresh racing with mapping creates in the sandbox completes', async () => {
    const prod = await setup(a, '74');
    await a.accounts.create({ ...production('74_SB1'), kind: 'sandbox', parentId: '74' });
    await a.accounts.refreshSandbox('74_SB1', '74', NOW);
    const sb = { ...prod, accountId: '74_SB1' };
    const creates = Array.from({ length: 8 }, (_, i) =>
      pick(i)
        .mappings.create(mapping(sb, 1), MAX, NOW)
        .catch((e: unknown) => (isDomainError(e) ? e.code : 'unexpected')),
    );
    const refreshed = await b.accounts.refreshSandbox('74_SB1', '74', NOW + 1);
    const results = await Promise.all(creates);
    for (const r of results) {
      assert.ok(['created', 'limit_reached', 'integration.not_found'].includes(r), r);
    }
    const left = await a.mappings.list('74_SB1');
    // Every create that succeeded either was cleared by the refresh or came after it.
    assert.equal(
      left.length + refreshed.mappingsCleared,
      results.filter((r) => r === 'created').length,
    );
  });

  it('parallel entity and role creates get distinct ids', async () => {
    await setup(a, '73');
    const entities = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pick(i).entities.create({
          accountId: '73',
          name: `e${i}`,
          email: null,
          type: 'employee',
          active: true,
        }),
      ),
    );
    assert.equal(new Set(entities.map((e) => e.id)).size, 10);
  });
});
