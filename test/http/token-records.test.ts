/**
 * The token endpoint's checks that depend on records (certificate state, integration, entity,
 * role, scope) and the replay check, sequential and parallel. Runs on every store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { AssertionAlg } from '../../src/crypto/algorithms.ts';
import { SYSTEM } from '../../src/service/context.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createRole,
  revokeMapping,
  updateEntity,
  updateIntegration,
  updateRole,
} from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  type CredentialOptions,
  type Fixture,
  nowS,
  tokenFixture,
} from '../support/token-fixture.ts';

describeEachStore('token endpoint', (factory) => {
  describe('record checks and replay', () => {
    let f: Fixture;
    before(async () => {
      f = await tokenFixture(factory.open);
    });
    after(async () => {
      await f.close();
    });
    const deps = () => ({ store: f.store, clock: f.clock });

    /**
     * A credential on an M2M integration of its own, and an assertion signed with it: an
     * integration holds at most five active certificates, and the other tests map theirs too.
     */
    async function ownCredential(alg: AssertionAlg, o: CredentialOptions = {}) {
      const { integration } = await createIntegration(deps(), SYSTEM, {
        accountId: f.accountId,
        name: 'Own',
        m2mGrant: true,
        scopes: ['restlets', 'rest_webservices'],
      });
      const c = await f.newCredential(alg, { ...o, clientId: integration.clientId });
      const assertion = () => f.sign({ iss: integration.clientId }, {}, c);
      return { c, clientId: integration.clientId, assertion };
    }

    async function refused(
      res: Awaited<ReturnType<Fixture['token']>>,
      detail: string,
      status: number,
      error: string,
    ) {
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(res.json(), { error });
      if (status === 401)
        assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
      const [last] = await f.audit();
      assert.equal(last?.result, 'failure');
      assert.equal(last?.detail, detail);
    }

    it('the access token is an at+jwt with the contract claims', async () => {
      const res = await f.token(await f.sign({ scope: 'restlets,rest_webservices' }));
      assert.equal(res.statusCode, 200, res.body);
      const { access_token } = res.json() as { access_token: string };
      const h = decodeProtectedHeader(access_token);
      assert.equal(h.typ, 'at+jwt');
      assert.equal(h.alg, 'ES256');
      const c = decodeJwt(access_token);
      assert.equal(c.iss, f.issuer);
      assert.equal(c.sub, `${f.roleId};${f.entityId}`);
      assert.equal(c.client_id, f.clientId);
      assert.deepEqual(c.scope, ['restlets', 'rest_webservices']);
      assert.equal(typeof c.jti, 'string');
      assert.equal(c.iat, nowS(f.clock));
      assert.equal(c.exp, nowS(f.clock) + 3600);
    });

    it('revoked certificate → CertificateRevoked', async () => {
      const { c, assertion } = await ownCredential('ES256');
      await revokeMapping(deps(), SYSTEM, f.accountId, c.certificateId);
      await refused(await f.token(await assertion()), 'CertificateRevoked', 401, 'invalid_client');
    });

    it('expired certificate → CertificateExpired', async () => {
      const { assertion } = await ownCredential('ES384', { days: 1 });
      const t = f.clock.now();
      f.clock.advance(2 * 86_400_000);
      try {
        await refused(
          await f.token(await assertion()),
          'CertificateExpired',
          401,
          'invalid_client',
        );
      } finally {
        f.clock.set(t);
      }
    });

    it('not-yet-valid certificate → CertificateNotYetValid', async () => {
      const { assertion } = await ownCredential('ES512', { notBefore: f.clock.now() + 86_400_000 });
      await refused(
        await f.token(await assertion()),
        'CertificateNotYetValid',
        401,
        'invalid_client',
      );
    });

    it('blocked integration → IntegrationBlocked; M2M unchecked → GrantNotAllowed', async () => {
      const { clientId, assertion } = await ownCredential('ES256');
      await updateIntegration(deps(), SYSTEM, f.accountId, clientId, { state: 'blocked' });
      try {
        await refused(
          await f.token(await assertion()),
          'IntegrationBlocked',
          400,
          'unauthorized_client',
        );
      } finally {
        await updateIntegration(deps(), SYSTEM, f.accountId, clientId, { state: 'enabled' });
      }
      await updateIntegration(deps(), SYSTEM, f.accountId, clientId, { m2mGrant: false });
      try {
        await refused(
          await f.token(await assertion()),
          'GrantNotAllowed',
          400,
          'unauthorized_client',
        );
      } finally {
        await updateIntegration(deps(), SYSTEM, f.accountId, clientId, { m2mGrant: true });
      }
      assert.equal((await f.token(await assertion())).statusCode, 200);
    });

    it('inactive entity or role → EntityOrRoleDisabled; role without token login → MissingPermission', async () => {
      const role = await createRole(deps(), SYSTEM, {
        accountId: f.accountId,
        name: 'r2',
        permissions: ['oauth2_access_token_login'],
      });
      const entity = await createEntity(deps(), SYSTEM, { accountId: f.accountId, name: 'e2' });
      await assignRole(deps(), SYSTEM, {
        accountId: f.accountId,
        entityId: entity.id,
        roleId: role.id,
      });
      const { assertion } = await ownCredential('PS256', { entityId: entity.id, roleId: role.id });
      assert.equal((await f.token(await assertion())).statusCode, 200);

      await updateEntity(deps(), SYSTEM, f.accountId, entity.id, { active: false });
      await refused(await f.token(await assertion()), 'EntityOrRoleDisabled', 400, 'invalid_grant');
      await updateEntity(deps(), SYSTEM, f.accountId, entity.id, { active: true });

      await updateRole(deps(), SYSTEM, f.accountId, role.id, { active: false });
      await refused(await f.token(await assertion()), 'EntityOrRoleDisabled', 400, 'invalid_grant');
      await updateRole(deps(), SYSTEM, f.accountId, role.id, { active: true });

      await updateRole(deps(), SYSTEM, f.accountId, role.id, { permissions: [] });
      await refused(await f.token(await assertion()), 'MissingPermission', 400, 'invalid_grant');
    });

    it('replay: the same assertion twice → AssertionReplayed', async () => {
      const jwt = await f.sign();
      assert.equal((await f.token(jwt)).statusCode, 200);
      await refused(await f.token(jwt), 'AssertionReplayed', 401, 'invalid_client');
    });

    it('replay without jti: keyed by the signed content', async () => {
      const jwt = await f.sign({ jti: undefined });
      assert.equal((await f.token(jwt)).statusCode, 200);
      await refused(await f.token(jwt), 'AssertionReplayed', 401, 'invalid_client');
    });

    it('replay: 50 parallel copies → exactly one success, recorded once', async () => {
      // Identical refusals fold into one audit row with a count (see store/kysely/audit.ts), so
      // count the refusals the audit trail records, before and after. The success record rides
      // on the replay claim (one commit): only the copy that won the claim may write it.
      const replays = async () =>
        (await f.audit())
          .filter((e) => e.detail === 'AssertionReplayed')
          .reduce((n, e) => n + (e.count ?? 1), 0);
      // Successes never fold: the rows newer than the newest before.
      const last = Math.max(0, ...(await f.audit()).map((e) => e.id ?? 0));
      const successes = async () =>
        (await f.audit()).filter((e) => (e.id ?? 0) > last && e.result === 'success').length;
      const before = await replays();
      const jwt = await f.sign();
      const results = await Promise.all(Array.from({ length: 50 }, () => f.token(jwt)));
      const codes = results.map((r) => r.statusCode);
      assert.equal(codes.filter((c) => c === 200).length, 1, JSON.stringify(codes));
      assert.equal(codes.filter((c) => c === 401).length, 49);
      assert.equal((await replays()) - before, 49);
      assert.equal(await successes(), 1);
    });
  });
});
