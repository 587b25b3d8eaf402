/**
 * NetSuite's certificate rotation API (list / create / revoke) with its JSON shapes and
 * permission rules, and the admin audit API. On every store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { SYSTEM } from '../../src/service/context.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createRole,
} from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Credential, type Fixture, tokenFixture } from '../support/token-fixture.ts';

describeEachStore('REST APIs', (factory) => {
  describe('certificate rotation API and admin API', () => {
    let f: Fixture;
    let manager: Credential; // role with oauth2_authorized_apps_management
    let own: Credential; // role with oauth2_manage_own_certificates only
    let plain: Credential; // the fixture's role: token login only
    let ownEntity: number;
    let ownRole: number;
    // The listing tests count the certificates of the fixture's integration: the tests that add
    // or revoke certificates do it on an integration of their own (`ownIntegration`).
    before(async () => {
      f = await tokenFixture(factory.open);
      const deps = { store: f.store, clock: f.clock };
      const mk = async (name: string, permissions: string[]) => {
        const role = await createRole(deps, SYSTEM, { accountId: f.accountId, name, permissions });
        const entity = await createEntity(deps, SYSTEM, {
          accountId: f.accountId,
          name: `${name}-user`,
        });
        await assignRole(deps, SYSTEM, {
          accountId: f.accountId,
          entityId: entity.id,
          roleId: role.id,
        });
        return { role: role.id, entity: entity.id };
      };
      const m = await mk('manager', [
        'oauth2_access_token_login',
        'oauth2_authorized_apps_management',
      ]);
      const o = await mk('own', ['oauth2_access_token_login', 'oauth2_manage_own_certificates']);
      ownEntity = o.entity;
      ownRole = o.role;
      manager = await f.newCredential('ES256', { entityId: m.entity, roleId: m.role });
      own = await f.newCredential('ES256', { entityId: o.entity, roleId: o.role });
      plain = f.cred;
    });
    after(async () => {
      await f.close();
    });

    const bearer = async (c: Credential, scope: string | string[] = ['rest_webservices']) => {
      const res = await f.token(await f.sign({ scope }, {}, c));
      assert.equal(res.statusCode, 200, res.body);
      return (res.json() as { access_token: string }).access_token;
    };
    const certsUrl = (clientId = f.clientId) =>
      `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/clients/${clientId}/certificates`;
    /** A new M2M integration of the account, for a test that changes certificates. */
    const ownIntegration = async () =>
      (
        await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
          accountId: f.accountId,
          name: 'Rotation',
          m2mGrant: true,
          scopes: ['restlets', 'rest_webservices'],
        })
      ).integration;

    it("lists certificates with NetSuite's shape (manager sees all)", async () => {
      const res = await f.app.inject({
        url: certsUrl(),
        headers: { authorization: `Bearer ${await bearer(manager)}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      const list = res.json() as Array<Record<string, unknown>>;
      assert.equal(list.length, 3);
      const row = list.find((r) => r.certificate_id === manager.certificateId);
      assert.ok(row);
      assert.deepEqual(Object.keys(row).sort(), [
        'algorithm',
        'application',
        'certificate_id',
        'created',
        'entity',
        'revoked',
        'role',
        'valid_from',
        'valid_until',
      ]);
      assert.equal(row.algorithm, 'EC');
      assert.equal(row.revoked, false);
      assert.match(String(row.valid_from), /^\d{4}-\d{2}-\d{2}$/);
      const app = row.application as Record<string, unknown>;
      assert.equal(app.id, f.integrationId);
      assert.match(String(app.url), /integrapp\.nl\?id=/);
    });

    it("manage-own role sees only its own entity's certificates", async () => {
      const res = await f.app.inject({
        url: certsUrl(),
        headers: { authorization: `Bearer ${await bearer(own)}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      const ids = (res.json() as Array<{ certificate_id: string }>).map((r) => r.certificate_id);
      assert.deepEqual(ids, [own.certificateId]);
    });

    it('a role without either permission → 403; a token without rest_webservices → 403 insufficient_scope', async () => {
      const r1 = await f.app.inject({
        url: certsUrl(),
        headers: { authorization: `Bearer ${await bearer(plain)}` },
      });
      assert.equal(r1.statusCode, 403);
      assert.equal(r1.json().error, 'permission.missing');
      const r2 = await f.app.inject({
        url: certsUrl(),
        headers: { authorization: `Bearer ${await bearer(manager, 'restlets')}` },
      });
      assert.equal(r2.statusCode, 403);
      assert.equal(
        r2.headers['www-authenticate'],
        `Bearer realm="${f.accountId}", error="insufficient_scope"`,
      );
      const r3 = await f.app.inject({ url: certsUrl() });
      assert.equal(r3.statusCode, 401);
    });

    it('creates a certificate (NetSuite JSON body and response shape); manage-own only for itself', async () => {
      const app = await ownIntegration();
      const g = await generateCertificate({ alg: 'ES384', now: f.clock.now() - 1000 });
      const res = await f.app.inject({
        method: 'POST',
        url: certsUrl(app.clientId),
        headers: { authorization: `Bearer ${await bearer(own)}` },
        payload: { fileContent: g.certificatePem, role: ownRole, entity: String(ownEntity) },
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.deepEqual(body.entity_role_id, { com: f.accountId, ent: ownEntity, rol: ownRole });
      assert.equal(body.application_id, app.id);
      assert.equal(body.algorithm, 'EC');
      assert.equal(body.invalidated, false);
      assert.match(body.certificate_id, /^[A-Za-z0-9_-]{43}$/);
      assert.match(body.certificate, /BEGIN CERTIFICATE/);
      assert.deepEqual(body.warnings, [], "certmint's extension: nothing to warn about");

      const other = await generateCertificate({ alg: 'ES256', now: f.clock.now() - 1000 });
      const refused = await f.app.inject({
        method: 'POST',
        url: certsUrl(app.clientId),
        headers: { authorization: `Bearer ${await bearer(own)}` },
        payload: { fileContent: other.certificatePem, role: f.roleId, entity: String(f.entityId) },
      });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error, 'permission.own_certificates_only');
    });

    it('adds the warnings of an accepted certificate: a role that cannot log in, a validity shortened', async () => {
      const app = await ownIntegration();
      const deps = { store: f.store, clock: f.clock };
      const reports = await createRole(deps, SYSTEM, {
        accountId: f.accountId,
        name: 'Reports',
        permissions: [],
      });
      const svc = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'reports-svc' });
      await assignRole(deps, SYSTEM, {
        accountId: f.accountId,
        entityId: svc.id,
        roleId: reports.id,
      });
      const g = await generateCertificate({ alg: 'ES256', now: f.clock.now() - 1000, days: 1000 });
      const res = await f.app.inject({
        method: 'POST',
        url: certsUrl(app.clientId),
        headers: { authorization: `Bearer ${await bearer(manager)}` },
        payload: { fileContent: g.certificatePem, role: reports.id, entity: String(svc.id) },
      });
      assert.equal(res.statusCode, 200, res.body);
      const warnings = res.json().warnings as Array<{ code: string; message: string }>;
      assert.deepEqual(
        warnings.map((w) => w.code),
        ['mapping.role_cannot_log_in', 'certificate.validity_shortened'],
      );
      assert.equal(
        warnings[0]?.message,
        `The role Reports (id ${reports.id}) lacks "Log in using OAuth 2.0 Access Tokens": token requests with this certificate fail until the permission is added to the role`,
      );
      assert.match(
        warnings[1]?.message ?? '',
        /^The certificate is valid until .*validity shortened to two years/,
      );
    });

    it('refuses a bad certificate with the policy message and changes nothing', async () => {
      const before = (await f.store.mappings.list(f.accountId)).length;
      const res = await f.app.inject({
        method: 'POST',
        url: certsUrl(),
        headers: { authorization: `Bearer ${await bearer(manager)}` },
        payload: { fileContent: 'not a certificate', role: f.roleId, entity: String(f.entityId) },
      });
      assert.equal(res.statusCode, 422, res.body);
      assert.match(res.json().message, /certificate/i);
      assert.equal((await f.store.mappings.list(f.accountId)).length, before);
    });

    it('revokes: plain text "Successfully revoked"; then the token request fails', async () => {
      const app = await ownIntegration();
      const victim = await f.newCredential('ES256', { clientId: app.clientId });
      const res = await f.app.inject({
        method: 'POST',
        url: `${certsUrl(app.clientId)}/${victim.certificateId}/revoke`,
        headers: { authorization: `Bearer ${await bearer(manager)}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.body, 'Successfully revoked');
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      const t = await f.token(await f.sign({ iss: app.clientId }, {}, victim));
      assert.equal(t.statusCode, 401);
      assert.equal((await f.audit())[0]?.detail, 'CertificateRevoked');
    });

    it("manage-own cannot revoke another entity's certificate (404, nothing changes)", async () => {
      const res = await f.app.inject({
        method: 'POST',
        url: `${certsUrl()}/${manager.certificateId}/revoke`,
        headers: { authorization: `Bearer ${await bearer(own)}` },
      });
      assert.equal(res.statusCode, 404);
      assert.equal((await f.store.mappings.get(manager.certificateId))?.revokedAt, null);
    });

    it('admin audit API: filters and paging; permission enforced', async () => {
      const token = await bearer(manager);
      for (let i = 0; i < 3; i++) await f.token(await f.sign({ iss: 'f'.repeat(64) }));
      const url = `/api/v1/accounts/${f.accountId}/audit`;
      const res = await f.app.inject({
        url: `${url}?result=failure&limit=2`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json() as {
        events: Array<{ result: string; id: number }>;
        next: string | null;
      };
      assert.equal(body.events.length, 2);
      assert.ok(body.events.every((e) => e.result === 'failure'));
      assert.ok(body.next);
      const page2 = await f.app.inject({
        url: `${url}${body.next}&result=failure&limit=2`,
        headers: { authorization: `Bearer ${token}` },
      });
      const ids2 = (page2.json() as { events: Array<{ id: number }> }).events.map((e) => e.id);
      assert.ok(ids2.every((id) => id < (body.events.at(-1)?.id ?? 0)));
      const byDetail = await f.app.inject({
        url: `${url}?detail=CertificateRevoked`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.ok(
        (byDetail.json() as { events: Array<{ detail: string }> }).events.every(
          (e) => e.detail === 'CertificateRevoked',
        ),
      );
      const bad = await f.app.inject({
        url: `${url}?detail=Nope`,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(bad.statusCode, 400);
      const denied = await f.app.inject({
        url,
        headers: { authorization: `Bearer ${await bearer(plain)}` },
      });
      assert.equal(denied.statusCode, 403);
      const other = await f.app.inject({
        url: '/api/v1/accounts/TSTDRV1/audit',
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(other.statusCode, 404);
    });
  });
});
