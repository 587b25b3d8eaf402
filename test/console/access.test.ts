/**
 * Console authorization and record pages over app.inject(): permissions enforced on the server
 * (403 and no data), other accounts' ids (403/404, nothing changed), the admin API through a
 * console session (CSRF header required for changes), certificate upload refusals with the
 * policy's message (nothing saved), and the client secret shown once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
  updateRole,
} from '../../src/service/index.ts';
import { makeCert } from '../support/openssl.ts';
import { Browser, type ConsoleFixture, consoleFixture, csrfOf, signIn } from './support.ts';

const OTHER = 'TSTDRV0000002';
const VIEWER_EMAIL = 'viewer@example.com';
const VIEWER_PASSWORD = 'viewer password 123';

describe('console authorization', () => {
  let f: ConsoleFixture;
  let admin: Browser;
  let secret = '';
  let ownCert = '';
  let otherCert = '';
  let clientId = '';
  let viewerRoleId = 0;
  let svcId = 0;
  let m2mRoleId = 0;

  before(async () => {
    f = await consoleFixture();
    const deps = { store: f.store, clock: f.clock };
    const A = f.admin.accountId;
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId: A,
      name: 'Orders App',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    clientId = integration.clientId;
    const svc = await createEntity(deps, SYSTEM, { accountId: A, name: 'svc' });
    const m2mRole = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'M2M',
      permissions: ['oauth2_access_token_login'],
    });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: svc.id, roleId: m2mRole.id });
    svcId = svc.id;
    m2mRoleId = m2mRole.id;
    ownCert = (
      await createMapping(deps, SYSTEM, {
        accountId: A,
        clientId,
        entityId: svc.id,
        roleId: m2mRole.id,
        certificate: (await makeCert('ec-p256')).certPem,
      })
    ).certificateId;
    // A user whose role holds only the token login permission.
    const viewerRole = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'Viewer',
      permissions: ['oauth2_access_token_login'],
    });
    viewerRoleId = viewerRole.id;
    const viewer = await createEntity(deps, SYSTEM, {
      accountId: A,
      name: 'Viewer',
      email: VIEWER_EMAIL,
      password: VIEWER_PASSWORD,
    });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: viewer.id, roleId: viewerRole.id });

    // Another account with its own mapping and more entities than A.
    await createAccount(deps, SYSTEM, { id: OTHER });
    const { integration: otherApp } = await createIntegration(deps, SYSTEM, {
      accountId: OTHER,
      name: 'Other App',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    const otherEntity = await createEntity(deps, SYSTEM, { accountId: OTHER, name: 'o1' });
    for (let i = 0; i < 5; i++)
      await createEntity(deps, SYSTEM, { accountId: OTHER, name: `x${i}` });
    await assignRole(deps, SYSTEM, { accountId: OTHER, entityId: otherEntity.id, roleId: 3 });
    otherCert = (
      await createMapping(deps, SYSTEM, {
        accountId: OTHER,
        clientId: otherApp.clientId,
        entityId: otherEntity.id,
        roleId: 3,
        certificate: (await makeCert('ec-p384')).certPem,
      })
    ).certificateId;

    admin = new Browser(f.app);
    secret = (await signIn(admin, f.clock, f.admin.email, f.admin.password)).secret ?? '';
  });
  after(() => f.close());

  it('a role without the permissions gets 403 pages that show no data, and cannot revoke', async () => {
    const b = new Browser(f.app);
    const r = await signIn(b, f.clock, VIEWER_EMAIL, VIEWER_PASSWORD);
    assert.equal(r.secret, null, 'no two-factor for a role without mapping management');
    const home = await b.get('/console/');
    assert.equal(home.statusCode, 200);
    assert.doesNotMatch(home.body, /href="\/console\/m2m"/, 'the menu hides the M2M setup');
    for (const page of [
      '/console/m2m',
      '/console/m2m/new',
      '/console/audit',
      '/console/integrations',
      '/console/entities',
      '/console/roles',
      '/console/accounts',
      `/console/m2m/${ownCert}/revoke`,
      '/console/integrations/new',
      '/console/entities/1',
      '/console/roles/3/edit',
    ]) {
      const res = await b.get(page);
      assert.equal(res.statusCode, 403, page);
      assert.match(res.body, /Permission denied/, page);
      assert.equal(res.body.includes(ownCert), false, `${page} shows a certificate id`);
      assert.equal(res.body.includes(clientId), false, `${page} shows a client id`);
    }
    await b.get('/console/');
    const revoke = await b.post(`/console/m2m/${ownCert}/revoke`, {});
    assert.equal(revoke.statusCode, 403);
    assert.match(
      revoke.body,
      /your role lacks the permission &quot;oauth2_authorized_apps_management&quot;/,
    );
    assert.equal((await f.store.mappings.get(ownCert))?.revokedAt, null);
  });

  it("never shows or changes another account's records, whatever the URL says", async () => {
    const list = await admin.get('/console/m2m');
    assert.equal(list.statusCode, 200);
    assert.ok(list.body.includes(ownCert));
    assert.equal(list.body.includes(otherCert), false);

    const confirm = await admin.get(`/console/m2m/${encodeURIComponent(otherCert)}/revoke`);
    assert.equal(confirm.statusCode, 404);
    await admin.get('/console/m2m');
    const revoke = await admin.post(`/console/m2m/${encodeURIComponent(otherCert)}/revoke`, {});
    assert.equal(revoke.statusCode, 404);
    assert.match(revoke.body, new RegExp(`is mapped in account ${f.admin.accountId}`));
    assert.equal((await f.store.mappings.get(otherCert))?.revokedAt, null);

    // Entity 6 exists only in the other account.
    const entity = await admin.get('/console/entities/6');
    assert.equal(entity.statusCode, 404);
    assert.match(entity.body, /entity 6 does not exist in account TSTDRV0000001/);

    const refresh = await admin.get(`/console/accounts/refresh?sandbox=${OTHER}_SB1`);
    assert.equal(refresh.statusCode, 403);
    await admin.get('/console/accounts');
    const post = await admin.post(`/console/accounts/${OTHER}_SB1/refresh`, {});
    assert.equal(post.statusCode, 403);
    const api = await admin.get(`/api/v1/accounts/${OTHER}/mappings`);
    assert.equal(api.statusCode, 403);
  });

  it('lets a console session call the admin API; changes need the CSRF header', async () => {
    // Its own mapping to revoke: the other tests rely on ownCert staying active.
    const g = await generateCertificate({ alg: 'ES256', now: f.clock.now() - 60_000 });
    const { certificateId: mine } = await createMapping(
      { store: f.store, clock: f.clock },
      SYSTEM,
      {
        accountId: f.admin.accountId,
        clientId,
        entityId: svcId,
        roleId: m2mRoleId,
        certificate: g.certificatePem,
      },
    );
    const list = await admin.get(`/api/v1/accounts/${f.admin.accountId}/mappings`);
    assert.equal(list.statusCode, 200);
    assert.ok(list.json<{ certificateId: string }[]>().some((m) => m.certificateId === mine));
    const url = `/api/v1/accounts/${f.admin.accountId}/mappings/${mine}/revoke`;
    const cookie = [...admin.jar].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('; ');
    const noToken = await f.app.inject({ method: 'POST', url, headers: { cookie } });
    assert.equal(noToken.statusCode, 403);
    assert.equal((await f.store.mappings.get(mine))?.revokedAt, null);
    const page = await admin.get('/console/');
    const token = csrfOf(page.body);
    const withToken = await f.app.inject({
      method: 'POST',
      url,
      headers: { cookie, 'x-csrf-token': token },
    });
    assert.equal(withToken.statusCode, 200);
    assert.notEqual((await f.store.mappings.get(mine))?.revokedAt, null);
  });

  it('a role that gains mapping management must pass two-factor before its next page', async () => {
    const b = new Browser(f.app);
    await signIn(b, f.clock, VIEWER_EMAIL, VIEWER_PASSWORD);
    assert.equal((await b.get('/console/')).statusCode, 200);
    await updateRole({ store: f.store, clock: f.clock }, SYSTEM, f.admin.accountId, viewerRoleId, {
      permissions: ['oauth2_authorized_apps_management'],
    });
    const next = await b.get('/console/m2m');
    assert.equal(next.statusCode, 303);
    assert.equal(next.headers.location, '/console/login/two-factor');
    await updateRole({ store: f.store, clock: f.clock }, SYSTEM, f.admin.accountId, viewerRoleId, {
      permissions: ['oauth2_access_token_login'],
    });
  });

  it('a certificate manager who is not Administrator maps from lists of what it may map', async () => {
    const deps = { store: f.store, clock: f.clock };
    const A = f.admin.accountId;
    const managers = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'Cert Managers',
      permissions: ['oauth2_authorized_apps_management'],
    });
    const email = 'manager@example.com';
    const password = 'manager password 1';
    const m = await createEntity(deps, SYSTEM, { accountId: A, name: 'Manager', email, password });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: m.id, roleId: managers.id });
    const b = new Browser(f.app);
    const enrolled = await signIn(b, f.clock, email, password);
    assert.notEqual(enrolled.secret, null, 'mapping management requires two-factor');
    const page = await b.get('/console/m2m');
    assert.equal(page.statusCode, 200);
    // Entities and roles are Administrator records; the form lists only what may be mapped
    // (active entities holding active roles), by name.
    assert.doesNotMatch(page.body, /<input type="number" name="entity"/);
    assert.match(page.body, new RegExp(`<option value="${svcId}" data-roles="${m2mRoleId}"`));
    assert.match(page.body, new RegExp(`<option value="${m2mRoleId}">M2M</option>`));
    // A role that cannot log in with access tokens says so before anything is mapped to it.
    assert.match(
      page.body,
      new RegExp(
        `<option value="${managers.id}">Cert Managers \\(cannot log in with access tokens\\)</option>`,
      ),
    );
    // The list itself names the mapped entity (one service read, whoever may see the list).
    const mapped = await f.store.entities.get(A, 2);
    assert.ok(mapped);
    assert.match(page.body, new RegExp(`<td>${mapped.name}</td>`));
    assert.doesNotMatch(page.body, /<td>entity 2<\/td>/);
    assert.equal((await b.get('/console/entities')).statusCode, 403);
    assert.equal((await b.get('/console/integrations')).statusCode, 200, 'reads integrations');
    assert.equal((await b.get('/console/integrations/new')).statusCode, 403, 'cannot create');
    const cert = await makeCert('ec-p521');
    await b.get('/console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: '2', role: '1000', integration: clientId },
      { field: 'certificate', name: 'p521.crt', content: cert.certBytes },
    );
    assert.equal(res.statusCode, 303);

    // Lost device: the Administrator resets the manager's two-factor; the next sign-in enrols.
    const user = await admin.get(`/console/entities/${m.id}`);
    assert.match(user.body, /Enrolled · 10 recovery codes left/);
    assert.equal(user.body.includes(enrolled.secret ?? '-'), false, 'the secret is never shown');
    const reset = await admin.post(`/console/entities/${m.id}/two-factor/reset`, {});
    assert.equal(reset.statusCode, 303);
    assert.match((await admin.get(String(reset.headers.location))).body, /Not enrolled/);
    const again = await signIn(new Browser(f.app), f.clock, email, password);
    assert.notEqual(again.secret, enrolled.secret);
    assert.equal(again.recoveryCodes.length, 10);
    // The reset ended the manager's earlier session; signed in again, a role without
    // Administrator cannot reset anyone.
    assert.equal((await b.get('/console/m2m')).headers.location, '/console/login');
    await signIn(b, f.clock, email, password, again.secret ?? '');
    await b.get('/console/m2m');
    const refused = await b.post(`/console/entities/${m.id}/two-factor/reset`, {});
    assert.equal(refused.statusCode, 403);
  });

  it('keeps the admin signed in with a code at the next sign-in', async () => {
    const b = new Browser(f.app);
    await signIn(b, f.clock, f.admin.email, f.admin.password, secret);
    assert.equal((await b.get('/console/m2m')).statusCode, 200);
  });
});
