/**
 * The console's record pages over app.inject(): integrations (secret once), M2M mappings
 * (upload with OpenSSL certificates, refusals with the policy's own message and nothing saved,
 * highlighting, revoke), users and roles, the audit trail filters and chart, accounts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { makeCert } from '../support/openssl.ts';
import {
  Browser,
  CONSOLE_TEST_SECRET,
  type ConsoleFixture,
  consoleFixture,
  signIn,
} from './support.ts';

const htmlEscape = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** The certificate policy's refusals, word for word (test/crypto/certificate.test.ts). */
const RSA_2048_REFUSAL = `The certificate's RSA key has 2048 bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"`;
const FILE_NAME_REFUSAL =
  'The file name "public.txt" is not that of a certificate: upload the public certificate as a .cer, .pem or .crt file';

interface SignedIn {
  f: ConsoleFixture;
  b: Browser;
  entityId: number;
  roleId: number;
}

/** A console on a new store: the administrator signed in, and an entity holding an integration
 * role (what the mapping form offers). */
async function signedInConsole(): Promise<SignedIn> {
  const f = await consoleFixture();
  const b = new Browser(f.app);
  await signIn(b, f.clock, f.admin.email, f.admin.password);
  const deps = { store: f.store, clock: f.clock };
  const role = await createRole(deps, SYSTEM, {
    accountId: f.admin.accountId,
    name: 'Integration Role',
    permissions: ['oauth2_access_token_login'],
  });
  const e = await createEntity(deps, SYSTEM, { accountId: f.admin.accountId, name: 'svc-orders' });
  await assignRole(deps, SYSTEM, {
    accountId: f.admin.accountId,
    entityId: e.id,
    roleId: role.id,
  });
  return { f, b, entityId: e.id, roleId: role.id };
}

describe('console record pages', () => {
  let f: ConsoleFixture;
  let b: Browser;
  let entityId = 0;
  let roleId = 0;

  // One console for the file. Anything else a test makes itself (`ordersApp()` for an
  // integration) and it asserts only about what it made, so the tests pass alone and in any
  // order. A test that changes what every later page shows (the clock, the list of accounts a
  // sign-in offers) takes a console of its own.
  before(async () => {
    ({ f, b, entityId, roleId } = await signedInConsole());
  });
  after(() => f.close());

  /** An M2M integration "Orders App", made with the service; its client id. */
  async function ordersApp(fx: ConsoleFixture = f): Promise<string> {
    const { integration } = await createIntegration({ store: fx.store, clock: fx.clock }, SYSTEM, {
      accountId: fx.admin.accountId,
      name: 'Orders App',
      m2mGrant: true,
      scopes: ['restlets', 'rest_webservices'],
    });
    return integration.clientId;
  }

  it('creates an integration and shows its client secret once, with a warning', async () => {
    await b.get('/console/integrations/new');
    const created = await b.post('/console/integrations', {
      name: 'Orders App',
      state: 'enabled',
      m2m: '1',
      scope: ['restlets', 'rest_webservices'],
    });
    // POST/redirect/GET: the secret is on the page the create redirects to.
    assert.equal(created.statusCode, 303);
    assert.match(String(created.headers.location), /^\/console\/integrations\/\d+\/created$/);
    const res = await b.get(String(created.headers.location));
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /the client secret is shown only this once/);
    const clientId = /id="client-id" class="secret">([0-9a-f]{64})</.exec(res.body)?.[1] ?? '';
    const secret = /id="client-secret" class="secret">([0-9a-f]{64})</.exec(res.body)?.[1] ?? '';
    assert.equal(clientId.length, 64);
    assert.equal(secret.length, 64);
    assert.equal(res.headers['cache-control'], 'no-store');
    const list = await b.get('/console/integrations');
    assert.ok(list.body.includes(clientId));
    assert.equal(list.body.includes(secret), false, 'the list never shows the secret');
    const made = await f.store.integrations.getByClientId(f.admin.accountId, clientId);
    const edit = await b.get(`/console/integrations/${made?.id}/edit`);
    assert.equal(edit.statusCode, 200);
    assert.equal(edit.body.includes(secret), false, 'the edit page never shows the secret');
  });

  it('refuses an M2M integration without scopes with the service message', async () => {
    await b.get('/console/integrations/new');
    const res = await b.post('/console/integrations', {
      name: 'No scope',
      state: 'enabled',
      m2m: '1',
    });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /needs at least one scope/);
  });

  it('edits state, M2M grant and scopes', async () => {
    await b.get('/console/integrations/new');
    await b.post('/console/integrations', { name: 'Plain', state: 'enabled' });
    const plain = (await f.store.integrations.list(f.admin.accountId)).find(
      (i) => i.name === 'Plain',
    );
    const id = plain?.id ?? 0;
    await b.get(`/console/integrations/${id}/edit`);
    const res = await b.post(`/console/integrations/${id}`, {
      name: 'Plain',
      state: 'blocked',
      m2m: '1',
      scope: 'suite_analytics',
    });
    assert.equal(res.statusCode, 303);
    const i = await f.store.integrations.get(f.admin.accountId, id);
    assert.deepEqual([i?.state, i?.m2mGrant, i?.scopes], ['blocked', true, ['suite_analytics']]);
  });

  it('offers only M2M integrations and the entity roles in the Create New form', async () => {
    await ordersApp();
    await b.get('/console/integrations/new');
    await b.post('/console/integrations', { name: 'Not M2M', state: 'enabled' });
    const page = await b.get('/console/m2m');
    assert.match(page.body, /<dialog id="new-mapping"/);
    assert.ok(page.body.includes('>Orders App<'));
    assert.equal(page.body.includes('>Not M2M<'), false);
    assert.match(page.body, new RegExp(`<option value="${entityId}" data-roles="${roleId}"`));
  });

  it('maps an uploaded OpenSSL certificate and lists the data imported from it', async () => {
    const clientId = await ordersApp();
    const cert = await makeCert('ec-p256');
    await b.get('/console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId, view: 'dialog' },
      { field: 'certificate', name: 'public.pem', content: cert.certBytes },
    );
    assert.equal(res.statusCode, 303);
    const id = decodeURIComponent(String(res.headers.location).split('created=')[1] ?? '');
    const list = await b.get(String(res.headers.location));
    assert.match(list.body, new RegExp(`data-certificate-id="${id}"`));
    assert.match(list.body, /Certificate .* is mapped/);
    const row = list.body.slice(list.body.indexOf(`data-certificate-id="${id}"`)).split('</tr>')[0];
    for (const text of [
      'Orders App',
      'svc-orders',
      'Integration Role',
      '>EC<',
      'P-256',
      'CN=test',
    ]) {
      assert.ok(row?.includes(text), `row shows ${text}`);
    }
  });

  it('refuses an RSA 2048 certificate with the policy message in the dialog; nothing is saved', async () => {
    const clientId = await ordersApp();
    const cert = await makeCert('rsa-2048');
    const before = (await f.store.mappings.list(f.admin.accountId)).length;
    await b.get('/console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId, view: 'dialog' },
      { field: 'certificate', name: 'rsa.pem', content: cert.certBytes },
    );
    assert.equal(res.statusCode, 422);
    assert.match(res.body, /<dialog id="new-mapping"[^>]* open data-reopen>/);
    assert.ok(res.body.includes(htmlEscape(RSA_2048_REFUSAL)));
    assert.equal((await f.store.mappings.list(f.admin.accountId)).length, before);
  });

  it('refuses a role the entity does not hold, a wrong file name, and an oversized file', async () => {
    const clientId = await ordersApp();
    const cert = await makeCert('ec-p521');
    const before = (await f.store.mappings.list(f.admin.accountId)).length;
    await b.get('/console/m2m/new');
    const role = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: '3', integration: clientId, view: 'page' },
      { field: 'certificate', name: 'public.pem', content: cert.certBytes },
    );
    assert.equal(role.statusCode, 422);
    assert.match(role.body, new RegExp(`entity ${entityId} does not hold role 3`));
    assert.match(role.body, /<h1>New M2M mapping<\/h1>/, 'the plain page comes back');
    await b.get('/console/m2m');
    const name = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId },
      { field: 'certificate', name: 'public.txt', content: cert.certBytes },
    );
    assert.ok(name.body.includes(htmlEscape(FILE_NAME_REFUSAL)));
    await b.get('/console/m2m');
    const big = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId },
      { field: 'certificate', name: 'big.pem', content: Buffer.alloc(70 * 1024, 65) },
    );
    assert.equal(big.statusCode, 413);
    assert.match(big.body, /The file is larger than 64 KiB/);
    assert.equal(
      (await f.store.mappings.list(f.admin.accountId)).length,
      before,
      'nothing was saved',
    );
  });

  it('highlights a certificate with < 60 days left and, once expired, as expired', async (t) => {
    // It moves the clock two days on: a console of its own.
    const { f, b, entityId, roleId } = await signedInConsole();
    t.after(() => f.close());
    const clientId = await ordersApp(f);
    const cert = await makeCert('expired'); // valid for one day from now
    await b.get('/console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId },
      { field: 'certificate', name: 'short.pem', content: cert.certBytes },
    );
    assert.equal(res.statusCode, 303);
    const id = decodeURIComponent(String(res.headers.location).split('created=')[1] ?? '');
    const soon = await b.get('/console/m2m');
    assert.match(soon.body, new RegExp(`<tr class="soon" data-certificate-id="${id}"`));
    f.clock.advance(2 * 86_400_000);
    await signIn(b, f.clock, f.admin.email, f.admin.password, await adminSecret(f));
    const expired = await b.get('/console/m2m');
    assert.match(expired.body, new RegExp(`<tr class="expired" data-certificate-id="${id}"`));
  });

  it('revokes after a confirmation page that says it is irreversible', async () => {
    const { certificateId: id } = await createMapping({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.admin.accountId,
      clientId: await ordersApp(),
      entityId,
      roleId,
      certificate: (await makeCert('ec-p384')).certPem,
    });
    const confirm = await b.get(`/console/m2m/${encodeURIComponent(id)}/revoke`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Revoking is irreversible/);
    const res = await b.post(`/console/m2m/${encodeURIComponent(id)}/revoke`, {});
    assert.equal(res.statusCode, 303);
    assert.notEqual((await f.store.mappings.get(id))?.revokedAt, null);
    const list = await b.get('/console/m2m');
    const row = list.body.slice(list.body.indexOf(`data-certificate-id="${id}"`)).split('</tr>')[0];
    assert.match(
      row ?? '',
      /<span class="badge">Revoked<\/span><br><span class="muted">\d{4}-\d{2}-\d{2}</,
    );
    assert.equal((await b.get(`/console/m2m/${encodeURIComponent(id)}/revoke`)).statusCode, 303);
  });

  it('creates users with roles, refuses a short password, edits role permissions', async () => {
    await b.get('/console/entities/new');
    const created = await b.post('/console/entities', {
      name: 'Grace',
      email: 'grace@example.com',
      type: 'employee',
      password: 'long enough password',
      role: String(roleId),
    });
    assert.equal(created.statusCode, 303);
    const page = await b.get(String(created.headers.location));
    assert.match(page.body, /The entity was created/);
    assert.match(page.body, /Integration Role/);
    const short = await b.post(`${String(created.headers.location).split('?')[0]}/password`, {
      password: 'short',
    });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /the password is too short: use at least 10 characters/);

    await b.get('/console/roles/new');
    const role = await b.post('/console/roles', {
      name: 'Cert Managers',
      active: '1',
      permission: ['oauth2_authorized_apps_management', 'integration_application'],
    });
    assert.equal(role.statusCode, 303);
    const roles = await b.get('/console/roles');
    assert.match(roles.body, /Cert Managers/);
    assert.match(
      roles.body,
      /OAuth 2.0 Authorized Applications Management, Integration Application/,
    );
    const admin = await b.get('/console/roles/3/edit');
    assert.equal(admin.statusCode, 200);
    const changeAdmin = await b.post('/console/roles/3', { name: 'X', active: '1' });
    assert.equal(changeAdmin.statusCode, 403);
    assert.match(changeAdmin.body, /the built-in Administrator role \(id 3\) cannot be changed/);
  });

  it('filters the audit trail and charts failures by detail code', async () => {
    const clientId = await ordersApp();
    const now = f.clock.now();
    const base = {
      accountId: f.admin.accountId,
      type: 'token' as const,
      clientId,
      certificateId: null,
      entityId: null,
      roleId: null,
      remoteAddress: '192.0.2.7',
      actor: null,
    };
    await f.store.audit.append([
      { ...base, at: now - 3_600_000, result: 'failure', detail: 'CertificateRevoked' },
      { ...base, at: now - 1_800_000, result: 'failure', detail: 'CertificateRevoked' },
      { ...base, at: now - 600_000, result: 'failure', detail: 'SignatureValidation' },
      { ...base, at: now - 60_000, result: 'success', detail: null },
    ]);
    const all = await b.get('/console/audit');
    assert.match(all.body, /<figure class="chart" id="failure-chart">/);
    assert.match(all.body, /CertificateRevoked \(2\)/);
    assert.match(all.body, /SignatureValidation \(1\)/);
    assert.match(all.body, /<rect class="c0"/);
    const filtered = await b.get('/console/audit?result=failure&detail=SignatureValidation');
    const rows = filtered.body.split('<tbody>')[1]?.split('</tbody>')[0] ?? '';
    assert.equal((rows.match(/<tr>/g) ?? []).length, 1);
    assert.match(rows, /SignatureValidation/);
    const bad = await b.get('/console/audit?client_id=nothex');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /the client id filter must be an integration client id/);
  });

  it('creates a sandbox and refreshes it after a confirmation that the M2M setup is cleared', async (t) => {
    // Another account makes every later sign-in ask which one: a console of its own.
    const { f, b } = await signedInConsole();
    t.after(() => f.close());
    await b.get('/console/accounts');
    const created = await b.post('/console/accounts', { kind: 'sandbox', n: '1' });
    assert.equal(created.statusCode, 303);
    assert.equal(created.headers.location, '/console/accounts?created=TSTDRV0000001_SB1');
    assert.match(
      (await b.get(created.headers.location)).body,
      /Account TSTDRV0000001_SB1 was created/,
    );
    const again = await b.post('/console/accounts', { kind: 'sandbox', n: '1' });
    assert.equal(again.statusCode, 409);
    assert.match(again.body, /account TSTDRV0000001_SB1 already exists/);
    const confirm = await b.get('/console/accounts/refresh?sandbox=tstdrv0000001-sb1');
    assert.match(confirm.body, /The M2M setup of TSTDRV0000001_SB1 will be cleared/);
    const res = await b.post('/console/accounts/TSTDRV0000001_SB1/refresh', {});
    assert.equal(res.statusCode, 303);
    assert.notEqual((await f.store.accounts.get('TSTDRV0000001_SB1'))?.refreshedAt, null);
    await b.get(String(res.headers.location));
    const rp = await b.post('/console/accounts', { kind: 'release-preview' });
    assert.equal(rp.headers.location, '/console/accounts?created=TSTDRV0000001_RP');
  });

  /**
   * The admin's TOTP secret, read back from the store (the test signed in once already). It is
   * stored encrypted with the master key, never as the Base32 text.
   */
  async function adminSecret(fx: ConsoleFixture): Promise<string> {
    const state = await fx.store.console.twoFactor.get(fx.admin.accountId, 1);
    const sealed = state?.totpSecret ?? '';
    assert.doesNotMatch(sealed, /^[A-Z2-7]+$/, 'the TOTP secret is not stored in clear');
    return loadMasterKey({ secret: CONSOLE_TEST_SECRET, keyFile: '/nonexistent' }).decrypt(
      sealed,
      'console-totp-secret',
    );
  }
});
