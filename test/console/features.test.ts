/**
 * What the console tells a person, over app.inject(): `/` leads a browser to the console (API
 * clients keep the 404), the favicon, the banner on every page of a sandbox, the accounts page
 * (sandboxes, release preview, next free number), "Assign role" without a preselected role,
 * the M2M list's states in words with the expiring filter and banner, the policy's warnings
 * after an upload, and the audit trail's explanations and actors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { DETAIL_EXPLANATIONS } from '../../src/domain/audit-explanations.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  refreshSandbox,
  revokeMapping,
  SYSTEM,
} from '../../src/service/index.ts';
import { makeCert } from '../support/openssl.ts';
import { Browser, type ConsoleFixture, consoleFixture, signIn, totpCode } from './support.ts';

const DAY = 86_400_000;
const A = 'TSTDRV0000001';
const htmlText = (s: string): string => s.replace(/"/g, '&quot;').replace(/'/g, '&#39;');

describe('console features', () => {
  let f: ConsoleFixture;
  let b: Browser;
  let entityId = 0;
  let roleId = 0;
  let clientId = '';

  before(async () => {
    f = await consoleFixture();
    b = new Browser(f.app);
    await signIn(b, f.clock, f.admin.email, f.admin.password);
    const deps = { store: f.store, clock: f.clock };
    roleId = (
      await createRole(deps, SYSTEM, {
        accountId: A,
        name: 'Integration',
        permissions: ['oauth2_access_token_login'],
      })
    ).id;
    entityId = (await createEntity(deps, SYSTEM, { accountId: A, name: 'svc' })).id;
    await assignRole(deps, SYSTEM, { accountId: A, entityId, roleId });
    clientId = (
      await createIntegration(deps, SYSTEM, {
        accountId: A,
        name: 'Orders',
        m2mGrant: true,
        scopes: ['restlets'],
      })
    ).integration.clientId;
  });
  after(() => f.close());

  it('sends a browser at / to the console; an API client gets the 404 it always got', async () => {
    const html = await f.app.inject({ url: '/', headers: { accept: 'text/html,*/*;q=0.8' } });
    assert.equal(html.statusCode, 302);
    assert.equal(html.headers.location, '/console');
    const console = await f.app.inject({ url: '/console' });
    assert.equal(console.headers.location, '/console/login');
    for (const accept of ['application/json', '*/*', undefined]) {
      const api = await f.app.inject({ url: '/', headers: accept ? { accept } : {} });
      assert.equal(api.statusCode, 404, String(accept));
      assert.deepEqual(api.json(), { error: 'not_found', message: 'no such endpoint' });
    }
    const post = await f.app.inject({ method: 'POST', url: '/', headers: { accept: 'text/html' } });
    assert.equal(post.statusCode, 404);
  });

  it('serves a favicon and every page links it', async () => {
    const icon = await f.app.inject({ url: '/console/assets/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.equal(icon.headers['content-type'], 'image/svg+xml');
    assert.match(icon.body, /^<svg /);
    assert.match(
      (await b.get('/console/')).body,
      /<link rel="icon" href="\/console\/assets\/favicon.svg"/,
    );
  });

  it('"Assign role" preselects no role; assigning nothing asks for a role', async () => {
    const page = await b.get(`/console/entities/${entityId}`);
    assert.match(
      page.body,
      /<select name="role" required>\s*<option value="" selected>— choose —<\/option>/,
    );
    const none = await b.post(`/console/entities/${entityId}/roles`, { role: '' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Choose the role to assign\./);
  });

  it('says each mapping state in words, filters expiring ones and counts them in a banner', async (t) => {
    const { f, b, entityId, roleId } = await ownConsole();
    t.after(() => f.close());
    const deps = (at: number) => ({ store: f.store, clock: { now: () => at } });
    const now = f.clock.now();
    const base = { accountId: A, clientId: await orders(f), entityId, roleId };
    const map = async (startDaysAgo: number, days: number) =>
      (
        await createMapping(deps(now - startDaysAgo * DAY), SYSTEM, {
          ...base,
          certificate: (
            await generateCertificate({ alg: 'ES256', now: now - startDaysAgo * DAY, days })
          ).certificatePem,
        })
      ).certificateId;
    const expiring = await map(340, 365); // 25 days left
    const soon = await map(320, 365); // 45 days left
    const expired = await map(400, 380);
    const revoked = await map(10, 365);
    await revokeMapping(deps(now), SYSTEM, A, revoked);
    const page = await b.get('/console/m2m');
    const row = (id: string) =>
      page.body.slice(page.body.indexOf(`data-certificate-id="${id}"`)).split('</tr>')[0] ?? '';
    assert.match(row(expiring), /<span class="badge warn"[^>]*>.*Expires in 25 days<\/span>/);
    assert.match(row(soon), /<span class="badge soon"[^>]*>.*Expires in 45 days<\/span>/);
    assert.match(row(expired), /<span class="badge bad"[^>]*>.*Expired<\/span>/);
    assert.match(row(revoked), /<span class="badge">Revoked<\/span>/);
    assert.match(page.body, /<strong>1 certificate expires within 30 days\.<\/strong>/);
    const only = await b.get('/console/m2m?show=expiring');
    assert.deepEqual(
      [...only.body.matchAll(/data-certificate-id="([^"]+)"/g)].map((m) => m[1]),
      [expiring],
    );
    assert.match(
      only.body,
      /<a class="tab current" href="\/console\/m2m\?show=expiring" aria-current="page">Expiring <span class="count">1<\/span>/,
    );
    for (const [show, id] of [
      ['expired', expired],
      ['revoked', revoked],
    ] as const) {
      const list = await b.get(`/console/m2m?show=${show}`);
      assert.deepEqual(
        [...list.body.matchAll(/data-certificate-id="([^"]+)"/g)].map((m) => m[1]),
        [id],
      );
    }
    // An unknown filter shows everything.
    assert.equal(
      (await b.get('/console/m2m?show=nonsense')).body.match(/data-certificate-id=/g)?.length,
      4,
    );
  });

  it('keeps the entity, role and application chosen when a file is too large', async () => {
    await b.get('/console/m2m');
    const big = await b.upload(
      '/console/m2m',
      { view: 'dialog', entity: String(entityId), role: String(roleId), integration: clientId },
      { field: 'certificate', name: 'big.pem', content: Buffer.alloc(70 * 1024, 65) },
    );
    assert.equal(big.statusCode, 413);
    assert.match(big.body, /The file is larger than 64 KiB/);
    assert.match(big.body, new RegExp(`<option value="${entityId}" data-roles="[^"]*" selected>`));
    assert.match(big.body, new RegExp(`<option value="${roleId}" selected>`));
    assert.match(big.body, new RegExp(`<option value="${clientId}" selected>`));
  });

  it("shows the certificate policy's warnings after an upload, once", async () => {
    await b.get('/console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(roleId), integration: clientId },
      { field: 'certificate', name: 'long.pem', content: (await makeCert('five-year')).certBytes },
    );
    assert.equal(res.statusCode, 303);
    const page = await b.get(String(res.headers.location));
    assert.match(
      page.body,
      /data-warning="certificate.validity_shortened"[^>]*>.*The certificate is valid until .* \(validity shortened to two years\), so replace it before then\.<\/p>/,
    );
    assert.doesNotMatch(
      (await b.get(String(res.headers.location))).body,
      /data-warning="certificate/,
    );
  });

  it('explains each audit event and names who made administrative changes', async () => {
    await f.store.audit.append([
      {
        at: f.clock.now(),
        accountId: A,
        type: 'token',
        result: 'failure',
        detail: 'CertificateRevoked',
        clientId,
        certificateId: null,
        entityId,
        roleId,
        remoteAddress: '192.0.2.1',
        actor: null,
      },
    ]);
    // A change in the console: made by the signed-in Administrator (entity 1).
    await b.get('/console/roles/new');
    await b.post('/console/roles', { name: 'Console-made', active: '1' });
    const page = await b.get('/console/audit');
    const x = DETAIL_EXPLANATIONS.CertificateRevoked;
    assert.ok(page.body.includes(htmlText(x.meaning)));
    assert.ok(page.body.includes(htmlText(x.action ?? '')));
    const rows = page.body.split('<tbody>')[1] ?? '';
    const roleCreate = rows.split('</tr>').filter((r) => r.includes('role.create'));
    assert.match(
      roleCreate[0] ?? '',
      /<td class="actor">Administrator \(entity 1\)<\/td>/,
      'made in the console',
    );
    assert.match(
      roleCreate.at(-1) ?? '',
      /<td class="actor">Command line<\/td>/,
      'made by the CLI',
    );
    const token = rows.split('</tr>').find((r) => r.includes('CertificateRevoked')) ?? '';
    assert.match(token, /<td class="actor"><\/td>/, 'a client request has no actor');
  });

  it('lists sandboxes and the release preview, suggests the next free number', async (t) => {
    const { f, b } = await ownConsole();
    t.after(() => f.close());
    let page = await b.get('/console/accounts');
    assert.match(page.body, /No sandbox or release preview yet\./);
    assert.match(page.body, /<input type="number" name="n" min="1" max="999" value="1" required>/);
    for (const n of ['1', '2']) {
      await b.post('/console/accounts', { kind: 'sandbox', n });
      await b.get('/console/accounts');
    }
    await b.post('/console/accounts', { kind: 'release-preview' });
    page = await b.get('/console/accounts');
    const listed = [...page.body.matchAll(/<tr data-account-id="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(listed, [`${A}_SB1`, `${A}_SB2`, `${A}_RP`]);
    assert.match(page.body, /value="3" required>/, 'the next free number');
    assert.match(
      page.body,
      /href="\/console\/accounts\/refresh\?sandbox=TSTDRV0000001_SB1">Refresh…<\/a>/,
    );
    assert.match(page.body, /<input type="hidden" name="account" value="TSTDRV0000001_RP">/);
    assert.doesNotMatch(page.body, /Create release preview/, 'there is one already');
  });

  it('says on every page of a sandbox which account it is; production pages have no banner', async (t) => {
    const { f, b, secret } = await ownConsole();
    t.after(() => f.close());
    assert.doesNotMatch((await b.get('/console/')).body, /id="account-banner"/);
    await b.get('/console/accounts');
    await b.post('/console/accounts', { kind: 'sandbox', n: '3' });
    await refreshSandbox({ store: f.store, clock: f.clock }, SYSTEM, `${A}_SB3`);
    // Signed in to the sandbox (the refresh copied the Administrator, with its enrolment).
    const sb = new Browser(f.app);
    await sb.get('/console/login');
    await sb.post('/console/login', { email: f.admin.email, password: f.admin.password });
    const choose = await sb.get('/console/login/choose');
    const choice =
      new RegExp(`name="choice" value="(${A}_SB3:[^"]+)"`).exec(choose.body)?.[1] ?? '';
    await sb.post('/console/login/choose', { choice });
    await sb.get('/console/login/two-factor');
    const code = await sb.post('/console/login/two-factor', {
      code: totpCode(secret, f.clock.now()),
    });
    f.clock.advance(30_000);
    assert.equal(code.headers.location, '/console/');
    for (const path of [
      '/console/',
      '/console/m2m',
      '/console/integrations',
      '/console/entities',
      '/console/roles',
      '/console/audit',
      '/console/accounts',
      '/console/nowhere',
    ]) {
      const page = await sb.get(path);
      assert.match(
        page.body,
        /<div class="env-banner" role="note" id="account-banner"><span class="badge sandbox">Sandbox<\/span> You are working in <strong>TSTDRV0000001_SB3<\/strong>, a sandbox of production account <strong>TSTDRV0000001<\/strong>/,
        path,
      );
    }
  });

  /** A console of its own (for tests that add accounts or mappings every later page would show). */
  async function ownConsole() {
    const own = await consoleFixture();
    const browser = new Browser(own.app);
    const secret =
      (await signIn(browser, own.clock, own.admin.email, own.admin.password)).secret ?? '';
    const deps = { store: own.store, clock: own.clock };
    const role = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'I',
      permissions: ['oauth2_access_token_login'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: A, name: 'svc' });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: e.id, roleId: role.id });
    return { f: own, b: browser, secret, entityId: e.id, roleId: role.id };
  }

  async function orders(fx: ConsoleFixture): Promise<string> {
    const { integration } = await createIntegration({ store: fx.store, clock: fx.clock }, SYSTEM, {
      accountId: A,
      name: 'Orders',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    return integration.clientId;
  }
});
