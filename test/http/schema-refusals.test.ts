/**
 * Every route's input is checked by its JSON schema before the handler runs: a bad path
 * parameter, query parameter (repeated included) or JSON body is a 400 with a message naming
 * it — RFC 6749 §5.2 `invalid_request` on the OAuth endpoints, `{ error, message }` on the admin
 * and rotation APIs — never a 500, and nothing is audited or changed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { SYSTEM, updateRole } from '../../src/service/index.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const BAD_ACCOUNT = 'not an account!';
const OAUTH = '/services/rest/auth/oauth2/v1';

describe('schema refusals', () => {
  let f: Fixture;
  let token: string;
  before(async () => {
    f = await tokenFixture(sqliteStores.open);
    // The fixture's role may also read the audit trail and manage certificates.
    await updateRole({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.roleId, {
      permissions: ['oauth2_access_token_login', 'oauth2_authorized_apps_management'],
    });
    const res = await f.token(await f.sign({ scope: 'restlets,rest_webservices' }));
    token = (res.json() as { access_token: string }).access_token;
  });
  after(async () => {
    await f.close();
  });

  const get = (url: string, auth = true) =>
    f.app.inject({ url, headers: auth ? { authorization: `Bearer ${token}` } : {} });
  const post = (url: string, payload?: unknown) =>
    f.app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${token}` },
      ...(payload !== undefined && { payload: payload as Record<string, unknown> }),
    });

  function oauthRefusal(res: LightMyRequestResponse, message: string): void {
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), { error: 'invalid_request', error_description: message });
    assert.equal(res.headers['cache-control'], 'no-store');
  }

  function apiRefusal(res: LightMyRequestResponse, message: string | RegExp): void {
    assert.equal(res.statusCode, 400, res.body);
    const body = res.json() as { error: string; message: string };
    assert.deepEqual(Object.keys(body).sort(), ['error', 'message']);
    assert.equal(body.error, 'request.invalid');
    if (typeof message === 'string') assert.equal(body.message, message);
    else assert.match(body.message, message);
  }

  const ACCOUNT_MESSAGE =
    'the path parameter "accountId" is not valid (An account id in canonical form: digits (123456), TSTDRV and digits, or <production>_SB<n> / <production>_RP)';

  it('OAuth endpoints, JWKS, metadata and whoami: a malformed account id is invalid_request', async () => {
    const before = (await f.audit()).length;
    const account = encodeURIComponent(BAD_ACCOUNT);
    for (const endpoint of ['token', 'introspect', 'revoke']) {
      const res = await f.app.inject({
        method: 'POST',
        url: `/accounts/${account}${OAUTH}/${endpoint}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
      oauthRefusal(res, ACCOUNT_MESSAGE);
    }
    for (const url of [
      `/accounts/${account}${OAUTH}/keys`,
      `/accounts/${account}/.well-known/oauth-authorization-server`,
      `/.well-known/oauth-authorization-server/accounts/${account}`,
      `/accounts/${account}/services/rest/whoami`,
      `/accounts/${'1'.repeat(41)}${OAUTH}/keys`,
    ]) {
      oauthRefusal(await get(url), ACCOUNT_MESSAGE);
    }
    assert.equal((await f.audit()).length, before, 'a refused request is not audited');
  });

  it('URLs the router refuses: the same error bodies, without echoing the URL', async () => {
    const long = 'a'.repeat(101);
    const oauth = await get(`/accounts/${long}${OAUTH}/keys`);
    assert.equal(oauth.statusCode, 414);
    assert.deepEqual(oauth.json(), {
      error: 'invalid_request',
      error_description: 'a path segment is too long (at most 100 characters)',
    });
    const api = await post(`/api/v1/accounts/${f.accountId}/mappings/${long}/revoke`);
    assert.equal(api.statusCode, 414);
    assert.deepEqual(api.json(), {
      error: 'request.invalid',
      message: 'a path segment is too long (at most 100 characters)',
    });
    const badEncoding = await get(`/api/v1/accounts/%E0%A4%A/audit`);
    assert.equal(badEncoding.statusCode, 400);
    assert.deepEqual(badEncoding.json(), {
      error: 'request.invalid',
      message: 'the URL is not valid: check its percent-encoding',
    });
  });

  it('health: nothing to read; unknown query parameters are ignored', async () => {
    assert.deepEqual((await get('/healthz?x=1&x=2', false)).json(), { status: 'ok' });
    assert.deepEqual((await get('/readyz?verbose=1', false)).json(), { status: 'ready' });
  });

  it('admin API: every repeated query parameter is a 400 that names it', async () => {
    const url = `/api/v1/accounts/${f.accountId}/audit`;
    for (const [name, value] of [
      ['limit', '1'],
      ['client_id', f.clientId],
      ['from', '2026-01-01'],
      ['to', '2027-01-01'],
      ['before', '10'],
      ['result', 'failure'],
      ['detail', 'TokenExpired'],
      ['type', 'token'],
    ] as const) {
      const res = await get(`${url}?${name}=${value}&${name}=${value}`);
      apiRefusal(res, `the query parameter "${name}" is repeated: give it once`);
    }
    // Once each, they are fine.
    assert.equal((await get(`${url}?limit=1&before=10&result=failure`)).statusCode, 200);
  });

  it('admin API: bad values of the audit filters, the account and the certificate id', async () => {
    const url = `/api/v1/accounts/${f.accountId}/audit`;
    apiRefusal(
      await get(`${url}?result=maybe`),
      'the query parameter "result" must be one of success, failure (only this result)',
    );
    apiRefusal(await get(`${url}?type=nope`), /^the query parameter "type" must be one of token, /);
    apiRefusal(
      await get(`${url}?limit=${'9'.repeat(21)}`),
      'the query parameter "limit" is too long (at most 20 characters) (at most this many events, 1 to 1000 (default 100))',
    );
    // The service still judges the meaning of a well-formed value.
    const limit = await get(`${url}?limit=0`);
    assert.equal(limit.statusCode, 400);
    assert.equal(limit.json().error, 'audit.invalid_filter');
    apiRefusal(
      await get(`/api/v1/accounts/${encodeURIComponent(BAD_ACCOUNT)}/mappings`),
      ACCOUNT_MESSAGE,
    );
    apiRefusal(
      await post(`/api/v1/accounts/${f.accountId}/mappings/${encodeURIComponent('a.b')}/revoke`),
      /^the path parameter "certificateId" is not valid \(A mapped certificate id/,
    );
  });

  it('rotation API: bad client id, bad certificate id, bad bodies', async () => {
    const base = `/accounts/${f.accountId}${OAUTH}/clients`;
    const certs = `${base}/${f.clientId}/certificates`;
    const clientMessage =
      'the path parameter "clientId" is not valid (An integration record\'s client id: 64 hexadecimal characters)';
    apiRefusal(await get(`${base}/xyz/certificates`), clientMessage);
    apiRefusal(
      await post(`${base}/xyz/certificates`, { fileContent: 'x', role: 1, entity: 1 }),
      clientMessage,
    );
    apiRefusal(
      await post(`${certs}/${encodeURIComponent('no/such')}/revoke`),
      /^the path parameter "certificateId" is not valid/,
    );
    apiRefusal(
      await post(certs, { fileContent: f.cred.certificatePem, entity: '-5' }),
      'the body field "role" is missing (the internal id of the role the certificate logs in with)',
    );
    apiRefusal(
      await post(certs, { fileContent: f.cred.certificatePem, role: 'admin', entity: '-5' }),
      'the body field "role" is not valid (the internal id of the role the certificate logs in with)',
    );
    apiRefusal(
      await post(certs, { fileContent: { pem: 'x' }, role: 3, entity: 1 }),
      'the body field "fileContent" must be a string (the X.509 certificate in PEM form (one CERTIFICATE block))',
    );
    const notJson = await f.app.inject({
      method: 'POST',
      url: certs,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '{"fileContent":',
    });
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().error, 'request.invalid');
    const notAnObject = await f.app.inject({
      method: 'POST',
      url: certs,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: '"just a string"',
    });
    apiRefusal(
      notAnObject,
      'the request body must be a JSON object: send JSON {"fileContent": "<PEM certificate>", "role": <role id>, "entity": "<entity id>"}',
    );
  });
});
