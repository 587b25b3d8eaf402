/**
 * Property-based fuzzing of the admin API and the certificate rotation API: arbitrary path
 * segments, query strings (repeated, unknown and hostile parameters), JSON and other bodies,
 * with a good bearer token, a bad one or none. For every input: never a 5xx; an error is
 * `{ error, message }` (or, for a bearer-token problem, RFC 6750's `{ error }`).
 * Settings: test/support/fuzz.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { SYSTEM, updateRole } from '../../src/service/index.ts';
import { fuzzParameters, OAUTH_ERROR_CODES } from '../support/fuzz.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const OAUTH = '/services/rest/auth/oauth2/v1';

interface Input {
  route:
    | 'audit'
    | 'mappings'
    | 'mapping-revoke'
    | 'rotation-list'
    | 'rotation-upload'
    | 'rotation-revoke';
  account: string;
  clientId: string;
  certificateId: string;
  query: Array<[string, string]>;
  auth: 'good' | 'garbage' | 'none';
  body: { contentType: string; payload: string } | null;
}

describe('fuzzing the admin and rotation APIs', () => {
  let f: Fixture;
  let token = '';
  before(async () => {
    f = await tokenFixture(sqliteStores.open, {
      rateLimits: { perClientPerMinute: 0, perAddressPerMinute: 0 },
    });
    // The token's role may read the trail and manage certificates: the fuzz reaches the services.
    await updateRole({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.roleId, {
      permissions: ['oauth2_access_token_login', 'oauth2_authorized_apps_management'],
    });
    const res = await f.token(await f.sign({ scope: 'restlets,rest_webservices' }));
    token = (res.json() as { access_token: string }).access_token;
  });
  after(async () => {
    await f.close();
  });

  const segment = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom('', '..', '%00', '-', 'a'.repeat(300)),
  );
  const queryKey = fc.oneof(
    fc.constantFrom('limit', 'before', 'from', 'to', 'client_id', 'result', 'detail', 'type'),
    fc.string({ maxLength: 10 }),
  );
  const queryValue = fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.integer().map(String),
    fc.constantFrom('success', 'failure', 'token', 'TokenExpired', '2026-01-01', '1e999', '-1'),
  );
  const jsonBody = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.record(
      {
        fileContent: fc.oneof(fc.string({ maxLength: 100 }), fc.jsonValue({ maxDepth: 1 })),
        role: fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
        entity: fc.oneof(fc.integer(), fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: [] },
    ),
  );
  const input: fc.Arbitrary<Input> = fc.record({
    route: fc.constantFrom<Input['route']>(
      'audit',
      'mappings',
      'mapping-revoke',
      'rotation-list',
      'rotation-upload',
      'rotation-revoke',
    ),
    account: fc.oneof({ weight: 4, arbitrary: fc.constant('$account') }, segment),
    clientId: fc.oneof({ weight: 3, arbitrary: fc.constant('$client') }, segment),
    certificateId: fc.oneof({ weight: 2, arbitrary: fc.constant('$certificate') }, segment),
    query: fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }),
    auth: fc.constantFrom<Input['auth']>('good', 'good', 'garbage', 'none'),
    body: fc.option(
      fc.oneof(
        {
          weight: 3,
          arbitrary: jsonBody.map((j) => ({
            contentType: 'application/json',
            payload: JSON.stringify(j) ?? 'null',
          })),
        },
        fc.record({
          contentType: fc.constantFrom(
            'application/json',
            'text/plain',
            'application/x-www-form-urlencoded',
          ),
          payload: fc.string({ unit: 'binary', maxLength: 100 }),
        }),
      ),
    ),
  });

  function urlOf(i: Input): { method: 'GET' | 'POST'; url: string } {
    const seg = (v: string, named: string) =>
      encodeURIComponent(
        v === `$${named}`
          ? ((
              {
                account: f.accountId,
                client: f.clientId,
                certificate: f.cred.certificateId,
              } as Record<string, string>
            )[named] ?? v)
          : v,
      );
    const a = seg(i.account, 'account');
    const c = seg(i.clientId, 'client');
    const k = seg(i.certificateId, 'certificate');
    const q = i.query.length === 0 ? '' : `?${new URLSearchParams(i.query).toString()}`;
    const rotation = `/accounts/${a}${OAUTH}/clients/${c}/certificates`;
    switch (i.route) {
      case 'audit':
        return { method: 'GET', url: `/api/v1/accounts/${a}/audit${q}` };
      case 'mappings':
        return { method: 'GET', url: `/api/v1/accounts/${a}/mappings${q}` };
      case 'mapping-revoke':
        // Never the fixture's own certificate: the token must stay good for the whole run.
        return {
          method: 'POST',
          url: `/api/v1/accounts/${a}/mappings/${k === f.cred.certificateId ? 'x' : k}/revoke${q}`,
        };
      case 'rotation-list':
        return { method: 'GET', url: `${rotation}${q}` };
      case 'rotation-upload':
        return { method: 'POST', url: `${rotation}${q}` };
      case 'rotation-revoke':
        return {
          method: 'POST',
          url: `${rotation}/${k === f.cred.certificateId ? 'x' : k}/revoke${q}`,
        };
    }
  }

  async function send(i: Input): Promise<LightMyRequestResponse> {
    const { method, url } = urlOf(i);
    const headers: Record<string, string> = {};
    if (i.auth === 'good') headers.authorization = `Bearer ${token}`;
    if (i.auth === 'garbage') headers.authorization = 'Bearer not.a.token';
    if (method === 'POST' && i.body) headers['content-type'] = i.body.contentType;
    return f.app.inject({
      method,
      url,
      headers,
      ...(method === 'POST' && i.body && { payload: i.body.payload }),
    });
  }

  function assertWellFormed(i: Input, res: LightMyRequestResponse): void {
    const what = `${i.route} ${urlOf(i).url} → ${res.statusCode} ${res.body.slice(0, 200)}`;
    assert.ok(res.statusCode < 500, what);
    if (res.statusCode < 400) return;
    const body = res.json() as Record<string, unknown>;
    assert.equal(typeof body.error, 'string', what);
    const keys = Object.keys(body).sort().join();
    if (keys === 'error,message') {
      assert.equal(typeof body.message, 'string', what);
      assert.ok((body.message as string).length > 0, what);
    } else {
      // RFC 6750 §3 (bearer token) or RFC 6749 (schema refusal of a path on an OAuth route).
      assert.ok(keys === 'error' || keys === 'error,error_description', what);
      assert.ok((OAUTH_ERROR_CODES as readonly unknown[]).includes(body.error), what);
    }
  }

  it('never a 5xx; every refusal is a well-formed error body', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(input, async (i) => {
        const res = await send(i);
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        assertWellFormed(i, res);
      }),
      fuzzParameters(500),
    );
    // Past authentication and the schemas into the services, and refused on the way.
    for (const status of [200, 400, 401, 404]) {
      assert.ok((statuses.get(status) ?? 0) > 0, `no ${status} among ${[...statuses]}`);
    }
  });
});
