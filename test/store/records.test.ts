import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { production, randomClientId, T0 } from './fixtures.ts';

// A fresh store per test: ids are numbered per account from the start (1, 1000), which a
// test can only assert about a store no earlier test wrote to.
describeEachStore('store: entities', (f) => {
  let store: Store;
  beforeEach(async () => {
    store = await f.open();
    for (const id of ['1', '2', '3', '4']) await store.accounts.create(production(id));
  });
  afterEach(() => store.close());

  const entity = (accountId: string, name: string, email: string | null = null) =>
    store.entities.create({ accountId, name, email, type: 'employee', active: true });

  it('assigns ids per account, starting at 1', async () => {
    const a1 = await entity('1', 'a1');
    const a2 = await entity('1', 'a2');
    const b1 = await entity('2', 'b1');
    assert.deepEqual([a1.id, a2.id, b1.id], [1, 2, 1]);
    assert.deepEqual(a1, {
      accountId: '1',
      id: 1,
      name: 'a1',
      email: null,
      type: 'employee',
      active: true,
      roleIds: [],
      hasPassword: false,
    });
    assert.deepEqual(await store.entities.get('1', 1), a1);
    assert.equal(await store.entities.get('2', 2), null);
    assert.deepEqual(
      (await store.entities.list('1')).map((e) => e.name),
      ['a1', 'a2'],
    );
  });

  it('refuses to create an entity in an account that does not exist', async () => {
    await assert.rejects(entity('404', 'x'), { code: 'account.not_found' });
  });

  it('finds entities by email case-insensitively, in every account', async () => {
    const x = await entity('3', 'x', 'Grace.Hopper@Example.COM');
    const y = await entity('4', 'y', 'grace.hopper@example.com');
    await entity('4', 'z', 'someone@example.com');
    const found = await store.entities.findByEmail('GRACE.hopper@example.com');
    assert.deepEqual(
      found.map((e) => [e.accountId, e.id, e.email]),
      [
        ['3', x.id, 'Grace.Hopper@Example.COM'],
        ['4', y.id, 'grace.hopper@example.com'],
      ],
    );
    assert.deepEqual(await store.entities.findByEmail('nobody@example.com'), []);
  });

  it('updates the given fields only; null for a missing entity', async () => {
    const e = await entity('3', 'before', 'old@example.com');
    const updated = await store.entities.update('3', e.id, {
      name: 'after',
      email: 'New@Example.com',
      active: false,
    });
    assert.deepEqual(updated, { ...e, name: 'after', email: 'New@Example.com', active: false });
    assert.deepEqual(
      (await store.entities.findByEmail('new@example.com')).map((x) => x.id),
      [e.id],
    );
    assert.deepEqual(await store.entities.findByEmail('old@example.com'), []);
    assert.deepEqual(await store.entities.update('3', e.id, { type: 'partner' }), {
      ...updated,
      type: 'partner',
    });
    assert.deepEqual(await store.entities.update('3', e.id, {}), { ...updated, type: 'partner' });
    assert.equal(await store.entities.update('3', 999, { name: 'x' }), null);
    assert.equal(await store.entities.update('4', e.id + 100, {}), null);
  });

  it('assigns and unassigns roles idempotently; false for a missing entity or role', async () => {
    const e = await entity('1', 'roles');
    const role = await store.roles.create({
      accountId: '1',
      name: 'R',
      active: true,
      permissions: [],
    });
    assert.equal(await store.entities.assignRole('1', e.id, 3), true);
    assert.equal(await store.entities.assignRole('1', e.id, role.id), true);
    assert.equal(await store.entities.assignRole('1', e.id, role.id), true);
    assert.deepEqual((await store.entities.get('1', e.id))?.roleIds, [3, role.id]);
    assert.equal(await store.entities.assignRole('1', e.id, 4242), false);
    assert.equal(await store.entities.assignRole('1', 4242, 3), false);
    // The role exists only in account 1: not assignable to an entity of account 2.
    const other = await entity('2', 'other');
    assert.equal(await store.entities.assignRole('2', other.id, role.id), false);
    assert.equal(await store.entities.unassignRole('1', e.id, role.id), true);
    assert.equal(await store.entities.unassignRole('1', e.id, role.id), true);
    assert.deepEqual((await store.entities.get('1', e.id))?.roleIds, [3]);
    assert.equal(await store.entities.unassignRole('1', e.id, 4242), false);
    assert.equal(await store.entities.unassignRole('1', 4242, 3), false);
  });

  it('stores password hashes without ever returning them with the entity', async () => {
    const e = await entity('2', 'pw');
    assert.equal(await store.entities.getPasswordHash('2', e.id), null);
    assert.equal(await store.entities.setPasswordHash('2', e.id, 'scrypt$abc'), true);
    const read = await store.entities.get('2', e.id);
    assert.equal(read?.hasPassword, true);
    assert.equal(JSON.stringify(read).includes('scrypt'), false);
    assert.equal(await store.entities.getPasswordHash('2', e.id), 'scrypt$abc');
    assert.equal(await store.entities.getPasswordHash('1', e.id + 100), null);
    assert.equal(await store.entities.setPasswordHash('2', e.id, null), true);
    assert.equal((await store.entities.get('2', e.id))?.hasPassword, false);
    assert.equal(await store.entities.setPasswordHash('2', 4242, 'x'), false);
  });
});

describeEachStore('store: roles', (f) => {
  let store: Store;
  beforeEach(async () => {
    store = await f.open();
    for (const id of ['1', '2']) await store.accounts.create(production(id));
  });
  afterEach(() => store.close());

  it('numbers custom roles from 1000 per account and round-trips permissions', async () => {
    const r1 = await store.roles.create({
      accountId: '1',
      name: 'Integrator',
      active: true,
      permissions: ['oauth2_access_token_login', 'integration_application'],
    });
    const r2 = await store.roles.create({
      accountId: '1',
      name: 'Off',
      active: false,
      permissions: [],
    });
    const s1 = await store.roles.create({
      accountId: '2',
      name: 'Other',
      active: true,
      permissions: [],
    });
    assert.deepEqual([r1.id, r2.id, s1.id], [1000, 1001, 1000]);
    assert.deepEqual(await store.roles.get('1', 1000), r1);
    assert.deepEqual(await store.roles.get('1', 1001), r2);
    assert.equal(await store.roles.get('2', 1001), null);
    assert.deepEqual(
      (await store.roles.list('1')).map((r) => r.id),
      [3, 1000, 1001],
    );
  });

  it('updates the given fields; null for a missing role', async () => {
    const r = await store.roles.create({
      accountId: '2',
      name: 'Before',
      active: true,
      permissions: ['oauth2_access_token_login'],
    });
    const u = await store.roles.update('2', r.id, {
      name: 'After',
      active: false,
      permissions: ['oauth2_manage_own_certificates'],
    });
    assert.deepEqual(u, {
      ...r,
      name: 'After',
      active: false,
      permissions: ['oauth2_manage_own_certificates'],
    });
    assert.deepEqual(await store.roles.get('2', r.id), u);
    assert.equal(await store.roles.update('2', 4242, { name: 'x' }), null);
    assert.equal(await store.roles.update('1', r.id + 50, {}), null);
  });
});

describeEachStore('store: integrations', (f) => {
  let store: Store;
  beforeEach(async () => {
    store = await f.open();
    for (const id of ['1', '2']) await store.accounts.create(production(id));
  });
  afterEach(() => store.close());

  const create = (accountId: string, clientId = randomClientId()) =>
    store.integrations.create({
      accountId,
      name: 'App',
      state: 'enabled',
      clientId,
      clientSecretHash: 'secret-hash-never-returned',
      applicationId: 'A1B2C3D4-0000-4000-8000-000000000001',
      m2mGrant: true,
      scopes: ['restlets', 'rest_webservices'],
      createdAt: T0,
    });

  it('numbers integrations from 1 per account and finds them by client id', async () => {
    const a = await create('1');
    const b = await create('1');
    const c = await create('2', a.clientId);
    assert.deepEqual([a.id, b.id, c.id], [1, 2, 1]);
    assert.deepEqual(await store.integrations.get('1', 1), a);
    assert.deepEqual(await store.integrations.getByClientId('1', b.clientId), b);
    // The same client id in two accounts (a refreshed sandbox has production's) is two records.
    assert.deepEqual(await store.integrations.getByClientId('2', a.clientId), c);
    assert.equal(await store.integrations.getByClientId('2', b.clientId), null);
    assert.deepEqual(await store.integrations.list('1'), [a, b]);
    assert.equal(JSON.stringify(await store.integrations.list('1')).includes('secret'), false);
  });

  it('refuses a duplicate client id within one account', async () => {
    const a = await create('2');
    await assert.rejects(create('2', a.clientId), {
      code: 'integration.client_id_taken',
      message: 'account 2 already has an integration with this client id',
    });
  });

  it('updates the given fields; null for a missing integration', async () => {
    const a = await create('1');
    const u = await store.integrations.update('1', a.id, {
      name: 'Renamed',
      state: 'blocked',
      m2mGrant: false,
      scopes: ['suite_analytics'],
    });
    assert.deepEqual(u, {
      ...a,
      name: 'Renamed',
      state: 'blocked',
      m2mGrant: false,
      scopes: ['suite_analytics'],
    });
    assert.deepEqual(await store.integrations.get('1', a.id), u);
    assert.equal(await store.integrations.update('1', 4242, { name: 'x' }), null);
  });
});
