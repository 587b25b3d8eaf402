/** JWKS, metadata, whoami, introspection, revocation and key rotation, on every store. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { SYSTEM } from '../../src/service/context.ts';
import {
  assignRole,
  createEntity,
  refreshSandbox,
  revokeMapping,
  updateEntity,
} from '../../src/service/index.ts';
import { describeEachStore, sqliteStores } from '../support/stores.ts';
import { type Fixture, PUBLIC_URL, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describeEachStore('OAuth endpoints', (factory) => {
  describe('around the token', () => {
    let f: Fixture;
    before(async () => {
      f = await tokenFixture(factory.open);
    });
    after(async () => {
      await f.close();
    });
    const deps = () => ({ store: f.store, clock: f.clock });
    const getToken = async (claims: Record<string, unknown> = {}) => {
      const res = await f.token(await f.sign(claims));
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { access_token: string }).access_token;
    };
    const whoami = (token: string | null, accountId = f.accountId) =>
      f.app.inject({
        method: 'GET',
        url: `/accounts/${accountId}/services/rest/whoami`,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
    const introspect = async (token: string) =>
      f.post(
        {
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await f.sign({
            aud: `${f.issuer}/services/rest/auth/oauth2/v1/introspect`,
          }),
          token,
        },
        'introspect',
      );

    it('JWKS publishes the key that signs access tokens; tokens verify with jose', async () => {
      const token = await getToken();
      const res = await f.app.inject(`/accounts/${f.accountId}/services/rest/auth/oauth2/v1/keys`);
      assert.equal(res.statusCode, 200);
      const jwks = res.json() as { keys: Array<Record<string, unknown>> };
      assert.ok(
        jwks.keys.every((k) => k.d === undefined),
        'no private part',
      );
      const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as never), {
        issuer: f.issuer,
        typ: 'at+jwt',
        currentDate: new Date(f.clock.now()),
      });
      assert.equal(payload.client_id, f.clientId);
    });

    it('RFC 8414 metadata at both well-known paths, advertising what is enforced', async () => {
      const a = await f.app.inject(
        `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
      );
      const b = await f.app.inject(
        `/accounts/${f.accountId}/.well-known/oauth-authorization-server`,
      );
      assert.equal(a.statusCode, 200);
      assert.deepEqual(a.json(), b.json());
      const m = a.json() as Record<string, unknown>;
      assert.equal(m.issuer, f.issuer);
      assert.equal(m.token_endpoint, f.tokenUrl);
      assert.deepEqual(m.grant_types_supported, ['client_credentials']);
      assert.deepEqual(m.token_endpoint_auth_methods_supported, ['private_key_jwt']);
      assert.deepEqual(m.token_endpoint_auth_signing_alg_values_supported, [
        'ES256',
        'ES384',
        'ES512',
        'PS256',
        'PS384',
        'PS512',
      ]);
      assert.equal(
        (await f.app.inject('/.well-known/oauth-authorization-server/accounts/999')).statusCode,
        404,
      );
    });

    it('whoami answers for a good token', async () => {
      const token = await getToken({ scope: 'restlets,rest_webservices' });
      const res = await whoami(token);
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.account, f.accountId);
      assert.equal(body.entity.id, f.entityId);
      assert.equal(body.role.id, f.roleId);
      assert.equal(body.client_id, f.clientId);
      assert.deepEqual(body.scopes, ['restlets', 'rest_webservices']);
    });

    it('whoami refuses a bad token with Bearer realm and invalid_token', async () => {
      for (const token of ['garbage', `${(await getToken()).slice(0, -4)}AAAA`]) {
        const res = await whoami(token);
        assert.equal(res.statusCode, 401);
        assert.equal(
          res.headers['www-authenticate'],
          `Bearer realm="${f.accountId}", error="invalid_token"`,
        );
        assert.deepEqual(res.json(), { error: 'invalid_token' });
      }
      assert.equal((await whoami(null)).statusCode, 401);
    });

    it("whoami refuses a token of another account (the other account's realm)", async () => {
      const other = await tokenFixture(factory.open, { accountId: 'TSTDRV7000009' });
      try {
        const res = await other.token(await other.sign());
        const token = (res.json() as { access_token: string }).access_token;
        // Same store not shared: check this app refuses it under its own account.
        const r = await whoami(token);
        assert.equal(r.statusCode, 401);
      } finally {
        await other.close();
      }
    });

    it('whoami refuses an expired token', async () => {
      const token = await getToken();
      const t = f.clock.now();
      f.clock.advance(3601_000);
      try {
        assert.equal((await whoami(token)).statusCode, 401);
      } finally {
        f.clock.set(t);
      }
    });

    it('introspection: active, then inactive after revocation of the mapping', async () => {
      const c = await f.newCredential('ES256');
      const res = await f.token(await f.sign({}, {}, c));
      const token = (res.json() as { access_token: string }).access_token;
      const a = await introspect(token);
      assert.equal(a.statusCode, 200, a.body);
      assert.equal(a.json().active, true);
      assert.equal(a.json().client_id, f.clientId);
      assert.equal(a.json().scope, 'restlets');
      await revokeMapping(deps(), SYSTEM, f.accountId, c.certificateId);
      assert.deepEqual((await introspect(token)).json(), { active: false });
      assert.equal((await whoami(token)).statusCode, 401);
    });

    it('introspection: inactive for garbage, expired, and an inactive entity', async () => {
      assert.deepEqual((await introspect('nope')).json(), { active: false });
      // A second entity's token; the introspecting client is the fixture's own entity.
      const e2 = await createEntity(deps(), SYSTEM, { accountId: f.accountId, name: 'e-int' });
      await assignRole(deps(), SYSTEM, {
        accountId: f.accountId,
        entityId: e2.id,
        roleId: f.roleId,
      });
      const c = await f.newCredential('ES256', { entityId: e2.id });
      const token = (await f.token(await f.sign({}, {}, c))).json().access_token as string;
      assert.equal((await introspect(token)).json().active, true);
      await updateEntity(deps(), SYSTEM, f.accountId, e2.id, { active: false });
      assert.deepEqual((await introspect(token)).json(), { active: false });
      await updateEntity(deps(), SYSTEM, f.accountId, e2.id, { active: true });
      assert.equal((await introspect(token)).json().active, true);
      const t = f.clock.now();
      f.clock.advance(3601_000);
      try {
        // The introspecting assertion is fresh; the token has expired.
        assert.deepEqual((await introspect(token)).json(), { active: false });
      } finally {
        f.clock.set(t);
      }
    });

    it('introspection requires client authentication (401 invalid_client)', async () => {
      const res = await f.post({ token: 'x' }, 'introspect');
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'invalid_client' });
      assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
    });

    it('revocation (RFC 7009): 200, then the token is inactive everywhere', async () => {
      const token = await getToken();
      const res = await f.post(
        { client_assertion_type: ASSERTION_TYPE, client_assertion: await f.sign(), token },
        'revoke',
      );
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual((await introspect(token)).json(), { active: false });
      assert.equal((await whoami(token)).statusCode, 401);
      // An unknown token answers 200 as well (RFC 7009 §2.2).
      const again = await f.post(
        {
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await f.sign(),
          token: 'unknown',
        },
        'revoke',
      );
      assert.equal(again.statusCode, 200);
    });

    it('key rotation: the new key signs, the old one stays in the JWKS', async () => {
      const before = await getToken();
      const oldKid = decodeProtectedHeader(before).kid;
      const { kid: newKid } = await f.app.certmint.services.signingKeys.rotate(SYSTEM, f.accountId);
      const after = await getToken();
      assert.equal(decodeProtectedHeader(after).kid, newKid);
      const jwks = (
        await f.app.inject(`/accounts/${f.accountId}/services/rest/auth/oauth2/v1/keys`)
      ).json() as {
        keys: Array<{ kid: string }>;
      };
      const kids = jwks.keys.map((k) => k.kid);
      assert.ok(kids.includes(String(oldKid)) && kids.includes(newKid), kids.join());
      assert.equal((await whoami(before)).statusCode, 200);
      assert.equal((await whoami(after)).statusCode, 200);
    });

    it('unknown account: 404 on every endpoint', async () => {
      const res = await f.app.inject({
        method: 'POST',
        url: '/accounts/123/services/rest/auth/oauth2/v1/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials',
      });
      assert.equal(res.statusCode, 404);
    });

    it('health and readiness', async () => {
      assert.equal((await f.app.inject('/healthz')).statusCode, 200);
      assert.equal((await f.app.inject('/readyz')).statusCode, 200);
    });
  });

  describe("sandbox refresh invalidates the sandbox's tokens", () => {
    it('old sandbox token inactive, old kid refused, production untouched', async () => {
      const prod = await tokenFixture(factory.open, { accountId: 'TSTDRV7000003' });
      try {
        const deps = { store: prod.store, clock: prod.clock };
        const { createAccount } = await import('../../src/service/index.ts');
        await createAccount(deps, SYSTEM, { id: 'TSTDRV7000003_SB1' });
        await refreshSandbox(deps, SYSTEM, 'TSTDRV7000003_SB1');
        // Map a certificate in the sandbox (copied records), get a token there.
        const sb = await prod.newCredential('ES256', { accountId: 'TSTDRV7000003_SB1' });
        const sbIssuer = `${PUBLIC_URL}/accounts/TSTDRV7000003_SB1`;
        const sbPost = async (c = sb) =>
          prod.app.inject({
            method: 'POST',
            url: '/accounts/TSTDRV7000003_SB1/services/rest/auth/oauth2/v1/token',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: ASSERTION_TYPE,
              client_assertion: await prod.sign({ aud: sbIssuer }, {}, c),
            }).toString(),
          });
        const first = await sbPost();
        assert.equal(first.statusCode, 200, first.body);
        const sbToken = (first.json() as { access_token: string }).access_token;
        const prodToken = (await prod.token(await prod.sign())).json().access_token as string;

        await refreshSandbox(deps, SYSTEM, 'TSTDRV7000003_SB1');
        const who = (acct: string, t: string) =>
          prod.app.inject({
            url: `/accounts/${acct}/services/rest/whoami`,
            headers: { authorization: `Bearer ${t}` },
          });
        assert.equal((await who('TSTDRV7000003_SB1', sbToken)).statusCode, 401);
        const again = await sbPost();
        assert.equal(again.statusCode, 401);
        assert.equal((await who('TSTDRV7000003', prodToken)).statusCode, 200);
        assert.equal((await prod.token(await prod.sign())).statusCode, 200);
      } finally {
        await prod.close();
      }
    });
  });
});

describe('--explain-errors puts the detail code in error_description', () => {
  it('explains, and stays silent without the flag', async () => {
    const f = await tokenFixture(sqliteStores.open, { explainErrors: true });
    try {
      const res = await f.token(await f.sign({ iss: '0'.repeat(64) }));
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'invalid_client', error_description: 'InvalidIssuer' });
    } finally {
      await f.close();
    }
  });
});
