import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import {
  createAccount,
  createIntegration,
  getIntegration,
  hashClientSecret,
  listIntegrations,
  SYSTEM,
  updateIntegration,
  verifyClientSecret,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, snapshot } from './fixtures.ts';

const refused = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

describeEachStore('integration use cases', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    await createAccount(deps, SYSTEM, { id: '654321' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates a record with a 64-hex client id, a one-time 64-hex secret and an upper-case GUID', async () => {
    const deps = depsFor(store);
    const { integration: i, clientSecret } = await createIntegration(deps, SYSTEM, {
      accountId: '123456',
      name: 'CI',
      m2mGrant: true,
      scopes: 'restlets, rest_webservices,restlets',
    });
    assert.match(i.clientId, /^[0-9a-f]{64}$/);
    assert.match(clientSecret, /^[0-9a-f]{64}$/);
    assert.notEqual(clientSecret, i.clientId);
    assert.match(
      i.applicationId,
      /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/,
    );
    assert.deepEqual(
      [i.state, i.m2mGrant, i.scopes],
      ['enabled', true, ['restlets', 'rest_webservices']],
    );
    assert.equal(i.createdAt, deps.clock.now());
    // The secret itself is nowhere in what the store returns.
    assert.ok(
      !JSON.stringify(await listIntegrations(deps, SYSTEM, '123456')).includes(clientSecret),
    );
    assert.equal(hashClientSecret(clientSecret).length, 64);
    assert.equal(verifyClientSecret(clientSecret, hashClientSecret(clientSecret)), true);
    const wrong = `${clientSecret[0] === 'a' ? 'b' : 'a'}${clientSecret.slice(1)}`;
    assert.equal(verifyClientSecret(wrong, hashClientSecret(clientSecret)), false);
    const second = await createIntegration(deps, SYSTEM, { accountId: '123456', name: 'Other' });
    assert.notEqual(second.integration.clientId, i.clientId);
    assert.deepEqual([second.integration.m2mGrant, second.integration.scopes], [false, []]);
  });

  it('refuses bad names, scopes and states, and M2M without a scope, changing nothing', async () => {
    const deps = depsFor(store);
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createIntegration(deps, SYSTEM, { accountId: '123456', name: '' }),
      refused('integration.invalid_name'),
    );
    await assert.rejects(
      createIntegration(deps, SYSTEM, {
        accountId: '123456',
        name: 'CI',
        scopes: ['restlets', 'openid'],
      }),
      refused(
        'scope.unknown',
        /unknown scope "openid": use restlets, rest_webservices, suite_analytics/,
      ),
    );
    await assert.rejects(
      createIntegration(deps, SYSTEM, { accountId: '123456', name: 'CI', state: 'disabled' }),
      refused('integration.invalid_state', /use enabled or blocked/),
    );
    await assert.rejects(
      createIntegration(deps, SYSTEM, { accountId: '123456', name: 'CI', m2mGrant: true }),
      refused('integration.scope_required', /--scope restlets,rest_webservices/),
    );
    await assert.rejects(
      createIntegration(deps, SYSTEM, { accountId: '42', name: 'CI' }),
      refused('account.not_found'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
  });

  it('updates state, grant, scopes and name; finds records by client id only in their own account', async () => {
    const deps = depsFor(store);
    const { integration: i } = await createIntegration(deps, SYSTEM, {
      accountId: '123456',
      name: 'CI',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    const blocked = await updateIntegration(deps, SYSTEM, '123456', i.clientId.toUpperCase(), {
      state: 'blocked',
      scopes: ['suite_analytics'],
      name: 'CI 2',
    });
    assert.deepEqual(
      [blocked.state, blocked.scopes, blocked.name],
      ['blocked', ['suite_analytics'], 'CI 2'],
    );
    const noGrant = await updateIntegration(deps, SYSTEM, '123456', String(i.id), {
      m2mGrant: false,
    });
    assert.equal(noGrant.m2mGrant, false);
    assert.equal((await getIntegration(deps, SYSTEM, '123456', i.clientId)).name, 'CI 2');
    const before = await snapshot(store, ['123456']);
    // Another account's client id is as unknown as a made-up one: same code, same message.
    const unknown = 'a'.repeat(64);
    const messages: string[] = [];
    for (const id of [i.clientId, unknown]) {
      await assert.rejects(getIntegration(deps, SYSTEM, '654321', id), (e: unknown) => {
        assert.ok(e instanceof DomainError);
        assert.equal(e.code, 'integration.not_found');
        messages.push(e.message.replace(id, '<id>'));
        return true;
      });
    }
    assert.equal(messages[0], messages[1]);
    await assert.rejects(
      getIntegration(deps, SYSTEM, '123456', 'xyz'),
      refused('integration.invalid_id', /64 hexadecimal/),
    );
    await assert.rejects(
      updateIntegration(deps, SYSTEM, '123456', i.clientId, {}),
      refused('integration.nothing_to_update'),
    );
    await assert.rejects(
      updateIntegration(deps, SYSTEM, '123456', i.clientId, { scopes: [], m2mGrant: true }),
      refused('integration.scope_required'),
    );
    await assert.rejects(
      updateIntegration(deps, SYSTEM, '654321', i.clientId, { state: 'enabled' }),
      refused('integration.not_found'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
  });

  it('needs integration_application to write and it or apps management to read', async () => {
    const deps = depsFor(store);
    const mgmt = entityActor('123456', ['oauth2_authorized_apps_management']);
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createIntegration(deps, mgmt, { accountId: '123456', name: 'CI' }),
      refused('permission.missing', /"integration_application"/),
    );
    await assert.rejects(
      createIntegration(deps, entityActor('654321', ['integration_application']), {
        accountId: '123456',
        name: 'CI',
      }),
      refused('permission.other_account'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
    const app = entityActor('123456', ['integration_application']);
    const { integration } = await createIntegration(deps, app, {
      accountId: '123456',
      name: 'CI',
    });
    assert.equal((await listIntegrations(deps, mgmt, '123456')).length, 1);
    await assert.rejects(
      updateIntegration(deps, mgmt, '123456', integration.clientId, { state: 'blocked' }),
      refused('permission.missing'),
    );
    await assert.rejects(
      listIntegrations(deps, entityActor('123456', ['oauth2_access_token_login']), '123456'),
      refused('permission.missing'),
    );
  });
});
