/** The admin API's integration records: list, one, change (the mTLS binding among the rest). */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { SYSTEM, updateRole } from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

describeEachStore('admin API: integration records', (factory) => {
  let f: Fixture;
  let token = '';
  const base = () => `/api/v1/accounts/${f.accountId}/integrations`;
  const setPermissions = (permissions: string[]) =>
    updateRole({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.roleId, { permissions });
  const call = (method: 'GET' | 'PATCH', url: string, payload?: unknown) =>
    f.app.inject({
      method,
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });
  before(async () => {
    f = await tokenFixture(factory.open);
    await setPermissions(['oauth2_access_token_login', 'integration_application']);
    const res = await f.token(await f.sign());
    token = (res.json() as { access_token: string }).access_token;
  });
  after(async () => {
    await f.close();
  });

  it('lists and shows the records with their DPoP mode and mTLS binding, never a secret', async () => {
    const list = await call('GET', base());
    assert.equal(list.statusCode, 200, list.body);
    const [one] = list.json() as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(one ?? {}).sort(), [
      'applicationId',
      'clientId',
      'createdAt',
      'dpop',
      'id',
      'm2mGrant',
      'mtlsBinding',
      'name',
      'scopes',
      'state',
    ]);
    assert.equal(one?.clientId, f.clientId);
    const shown = await call('GET', `${base()}/${f.clientId}`);
    assert.equal(shown.statusCode, 200);
    assert.deepEqual(shown.json(), one);
  });

  it('changes the binding (audited), and refuses unknown modes and empty changes', async () => {
    const changed = await call('PATCH', `${base()}/${f.clientId}`, { mtlsBinding: 'required' });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal((changed.json() as { mtlsBinding: string }).mtlsBinding, 'required');
    const [event] = await f.audit();
    assert.deepEqual(
      [event?.type, event?.result, event?.clientId],
      ['integration.update', 'success', f.clientId],
    );

    const unknown = await call('PATCH', `${base()}/${f.clientId}`, { mtlsBinding: 'always' });
    assert.equal(unknown.statusCode, 400);
    assert.equal((unknown.json() as { error: string }).error, 'request.invalid');
    assert.match((unknown.json() as { message: string }).message, /mtlsBinding/);
    const empty = await call('PATCH', `${base()}/${f.clientId}`, {});
    assert.equal(empty.statusCode, 400);
    assert.equal((empty.json() as { error: string }).error, 'request.invalid');
    const now = await call('GET', `${base()}/${f.clientId}`);
    assert.equal((now.json() as { mtlsBinding: string }).mtlsBinding, 'required');
    await call('PATCH', `${base()}/${f.clientId}`, { mtlsBinding: 'off' });
  });

  it('changes the DPoP mode (audited), refuses an unknown one and leaves the record as it was', async () => {
    const changed = await call('PATCH', `${base()}/${f.clientId}`, { dpop: 'required' });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal((changed.json() as { dpop: string }).dpop, 'required');
    const [event] = await f.audit();
    assert.deepEqual(
      [event?.type, event?.result, event?.clientId],
      ['integration.update', 'success', f.clientId],
    );
    const unknown = await call('PATCH', `${base()}/${f.clientId}`, { dpop: 'sometimes' });
    assert.equal(unknown.statusCode, 400);
    assert.equal((unknown.json() as { error: string }).error, 'request.invalid');
    assert.match((unknown.json() as { message: string }).message, /dpop/);
    const now = await call('GET', `${base()}/${f.clientId}`);
    assert.equal((now.json() as { dpop: string }).dpop, 'required');
    await call('PATCH', `${base()}/${f.clientId}`, { dpop: 'off' });
  });

  it('unknown client id: 404; a role without the permission: 403, audited', async () => {
    const missing = await call('GET', `${base()}/${'0'.repeat(64)}`);
    assert.equal(missing.statusCode, 404);
    assert.equal((missing.json() as { error: string }).error, 'integration.not_found');
    await setPermissions(['oauth2_access_token_login']);
    try {
      const refused = await call('PATCH', `${base()}/${f.clientId}`, { mtlsBinding: 'allowed' });
      assert.equal(refused.statusCode, 403, refused.body);
      const code = (refused.json() as { error: string }).error;
      const [event] = await f.audit();
      assert.deepEqual(
        [event?.type, event?.result, event?.detail],
        ['integration.update', 'failure', code],
      );
    } finally {
      await setPermissions(['oauth2_access_token_login', 'integration_application']);
    }
  });
});
