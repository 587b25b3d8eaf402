import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { isDomainError } from '../../src/domain/errors.ts';
import { ALL_PERMISSIONS } from '../../src/domain/permissions.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { mapping, production, randomClientId, sandbox, setup, T0 } from './fixtures.ts';

describeEachStore('store: accounts', (f) => {
  let store: Store;
  before(async () => {
    store = await f.open();
  });
  after(() => store.close());

  it('creates an account once; a second create of the id returns false', async () => {
    assert.equal(await store.accounts.create(production('100')), true);
    assert.equal(await store.accounts.create({ ...production('100'), createdAt: T0 + 5 }), false);
    assert.deepEqual(await store.accounts.get('100'), production('100'));
    assert.equal(await store.accounts.get('999999'), null);
  });

  it('lists accounts by id', async () => {
    await store.accounts.create(production('101'));
    await store.accounts.create(sandbox('101', 1));
    const ids = (await store.accounts.list()).map((a) => a.id);
    assert.deepEqual(
      ids.filter((id) => id.startsWith('101')),
      ['101', '101_SB1'],
    );
    assert.deepEqual(ids, [...ids].sort());
    const sb = await store.accounts.get('101_SB1');
    assert.equal(sb?.kind, 'sandbox');
    assert.equal(sb?.parentId, '101');
  });

  it('creates the Administrator role (id 3, active, every permission) with the account', async () => {
    await store.accounts.create(production('102'));
    assert.deepEqual(await store.roles.list('102'), [
      {
        accountId: '102',
        id: 3,
        name: 'Administrator',
        active: true,
        permissions: ALL_PERMISSIONS,
      },
    ]);
  });

  it('refreshes a sandbox from production and leaves everything else untouched', async () => {
    const prod = await setup(store, '200', 2);
    await store.entities.setPasswordHash('200', prod.entityId, 'scrypt$prod');
    await store.console.twoFactor.set('200', prod.entityId, 'JBSWY3DPEHPK3PXP', ['h1', 'h2']);
    const auditor = await store.roles.create({
      accountId: '200',
      name: 'Auditor',
      active: false,
      permissions: ['oauth2_access_token_login'],
    });
    const bob = await store.entities.create({
      accountId: '200',
      name: 'Bob',
      email: null,
      type: 'vendor',
      active: false,
    });
    await store.entities.assignRole('200', bob.id, auditor.id);
    const prodMapping = mapping(prod, 1);
    assert.equal(await store.mappings.create(prodMapping, 5, T0), 'created');

    // Two sandboxes with their own setup.
    for (const n of [1, 2]) {
      await store.accounts.create(sandbox('200', n));
      const id = `200_SB${n}`;
      const e = await store.entities.create({
        accountId: id,
        name: `Sandbox only ${n}`,
        email: null,
        type: 'employee',
        active: true,
      });
      await store.entities.assignRole(id, e.id, 3);
      const integ = await store.integrations.create({
        accountId: id,
        name: 'Sandbox app',
        state: 'enabled',
        clientId: randomClientId(),
        clientSecretHash: 'h',
        applicationId: 'A',
        m2mGrant: true,
        scopes: [],
        createdAt: T0,
      });
      const s = { accountId: id, entityId: e.id, roleId: 3, integrationIds: [integ.id] };
      assert.equal(await store.mappings.create(mapping(s, integ.id), 5, T0), 'created');
      await store.signingKeys.rotate(
        {
          accountId: id,
          kid: `k${n}`,
          alg: 'ES256',
          publicJwk: '{}',
          privateKeyEncrypted: 'x',
          createdAt: T0,
          retiredAt: null,
        },
        false,
      );
      await store.revokedTokens.add(id, `jti${n}`, T0 + 1000);
    }
    const sb2Before = await snapshot(store, '200_SB2');
    const prodBefore = await snapshot(store, '200');
    const sb1MappingIds = (await store.mappings.list('200_SB1')).map((m) => m.certificateId);

    const result = await store.accounts.refreshSandbox('200_SB1', '200', T0 + 99);
    assert.deepEqual(result, { entities: 2, roles: 2, integrations: 2, mappingsCleared: 1 });

    const sb1 = await snapshot(store, '200_SB1');
    assert.deepEqual(sb1.entities, prodBefore.entities.map(inAccount('200_SB1')));
    assert.deepEqual(sb1.roles, prodBefore.roles.map(inAccount('200_SB1')));
    assert.deepEqual(sb1.integrations, prodBefore.integrations.map(inAccount('200_SB1')));
    assert.deepEqual(sb1.mappings, []);
    assert.deepEqual(sb1.keys, []);
    assert.equal(await store.revokedTokens.isRevoked('200_SB1', 'jti1'), false);
    assert.equal(await store.entities.getPasswordHash('200_SB1', prod.entityId), 'scrypt$prod');
    assert.deepEqual(await store.console.twoFactor.get('200_SB1', prod.entityId), {
      totpSecret: 'JBSWY3DPEHPK3PXP',
      recoveryCodesLeft: 2,
    });
    for (const id of sb1MappingIds) assert.equal(await store.mappings.get(id), null);
    assert.equal((await store.accounts.get('200_SB1'))?.refreshedAt, T0 + 99);

    // Production and the other sandbox are exactly as before.
    assert.deepEqual(await snapshot(store, '200'), prodBefore);
    assert.deepEqual(await snapshot(store, '200_SB2'), sb2Before);
    assert.equal(await store.revokedTokens.isRevoked('200_SB2', 'jti2'), true);
    assert.deepEqual(await store.mappings.get(prodMapping.certificateId), prodMapping);
    assert.equal((await store.accounts.get('200'))?.refreshedAt, null);

    // The sandbox continues production's id sequences: no id of a copied record is reused.
    const next = await store.entities.create({
      accountId: '200_SB1',
      name: 'New',
      email: null,
      type: 'employee',
      active: true,
    });
    assert.equal(next.id, bob.id + 1);
    const nextRole = await store.roles.create({
      accountId: '200_SB1',
      name: 'R',
      active: true,
      permissions: [],
    });
    assert.equal(nextRole.id, auditor.id + 1);
  });

  it('refuses to refresh a sandbox or from a production that does not exist', async () => {
    await store.accounts.create(production('300'));
    await assert.rejects(
      store.accounts.refreshSandbox('300_SB1', '300', T0),
      (e) => isDomainError(e) && e.code === 'account.not_found' && /300_SB1/.test(e.message),
    );
    await store.accounts.create(sandbox('301', 1));
    await assert.rejects(
      store.accounts.refreshSandbox('301_SB1', '301', T0),
      (e) =>
        isDomainError(e) && e.code === 'account.not_found' && /301 does not exist/.test(e.message),
    );
  });
});

async function snapshot(store: Store, accountId: string) {
  return {
    entities: await store.entities.list(accountId),
    roles: await store.roles.list(accountId),
    integrations: await store.integrations.list(accountId),
    mappings: await store.mappings.list(accountId),
    keys: await store.signingKeys.list(accountId),
  };
}

const inAccount =
  (accountId: string) =>
  <T extends { accountId: string }>(r: T): T => ({ ...r, accountId });
