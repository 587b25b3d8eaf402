/**
 * End to end in a real browser: Debian's chromium driven by playwright-core against buildApp
 * listening on 127.0.0.1 (ephemeral port) with a temporary SQLite store and the system clock.
 *
 * Flow: the first-start administrator signs in and enrols TOTP (code computed from the key the
 * page shows); creates an integration (secret shown once); maps an OpenSSL certificate through
 * the Create New dialog; gets a token with it; revokes it; the next token request fails and the
 * Login Audit Trail says why (CertificateRevoked); an RSA 2048 upload shows the policy's
 * message in the dialog; a user without the permission is refused.
 *
 * Without /usr/bin/chromium the suite is skipped with the reason (CI installs it with apt).
 * The screenshots in docs/console/ are taken by layout.test.ts, with realistic data.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestOptions } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { type Browser, chromium, type Page } from 'playwright-core';
import { createTokenClient, TokenRequestError } from '../../src/client/index.ts';
import { type Bootstrapped, bootstrapEmptyStore } from '../../src/service/bootstrap.ts';
import {
  assignRole,
  createEntity,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/net.ts';
import { makeCert } from '../support/openssl.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM)
  ? false
  : `chromium is not installed at ${CHROMIUM} (apt-get install chromium); browser tests skipped`;

const totp = (secret: string): string =>
  TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() });

describe('console in a real browser', { skip: SKIP, timeout: 90_000 }, () => {
  let dir = '';
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base = '';
  let admin: Bootstrapped;
  let roleId = 0;
  let svcId = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-e2e-'));
    store = await openStore(join(dir, 'certmint.db'));
    const deps = { store, clock: { now: () => Date.now() } };
    const boot = await bootstrapEmptyStore(deps);
    if (!boot) throw new Error('store not empty');
    admin = boot;
    // The service user the certificate will act as, and a user without console permissions.
    const role = await createRole(deps, SYSTEM, {
      accountId: admin.accountId,
      name: 'Orders Integration',
      permissions: ['oauth2_access_token_login'],
    });
    roleId = role.id;
    const svc = await createEntity(deps, SYSTEM, {
      accountId: admin.accountId,
      name: 'orders-service',
      type: 'employee',
    });
    svcId = svc.id;
    await assignRole(deps, SYSTEM, {
      accountId: admin.accountId,
      entityId: svc.id,
      roleId: role.id,
    });
    const viewer = await createEntity(deps, SYSTEM, {
      accountId: admin.accountId,
      name: 'Vera Viewer',
      email: 'vera@example.com',
      password: 'vera password 123',
    });
    await assignRole(deps, SYSTEM, {
      accountId: admin.accountId,
      entityId: viewer.id,
      roleId: role.id,
    });

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ({ app } = await testApp({ store, secret: 'e2e-secret-0123456789abcdef', publicUrl: base }));
    await app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // One journey: each step continues from the page and the records the previous one left, so
  // the steps are subtests of one test (which runs, and passes, on its own), in this order.
  const steps: Array<{ name: string; options: TestOptions; fn: () => Promise<void> }> = [];
  function step(name: string, fn: () => Promise<void>): void;
  function step(name: string, options: TestOptions, fn: () => Promise<void>): void;
  function step(
    name: string,
    a: TestOptions | (() => Promise<void>),
    b?: () => Promise<void>,
  ): void {
    if (typeof a === 'function') steps.push({ name, options: {}, fn: a });
    else if (b) steps.push({ name, options: a, fn: b });
  }

  let clientId = '';
  let certificateId = '';
  let keyPem = '';

  step('signs the first administrator in with TOTP enrolment', async () => {
    await page.goto(`${base}/console/`);
    assert.equal(new URL(page.url()).pathname, '/console/login');
    await page.fill('input[name=email]', admin.email);
    await page.fill('input[name=password]', admin.password);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/login/two-factor');
    const secret = (await page.textContent('#totp-secret'))?.trim() ?? '';
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.equal(
      await page
        .locator('img.qr')
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
      true,
    );
    await page.fill('input[name=code]', totp(secret));
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Save your recovery codes');
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await page.click('text=I have saved them');
    await page.waitForSelector('h1:has-text("Home")');
  });

  step(
    'navigates Setup > Integration and creates an integration; the secret is shown once',
    async () => {
      await page.hover('nav.menubar >> text=Setup');
      await page.hover('nav.menubar >> text=Integration');
      await page.click('nav.menubar >> text=Manage Integrations');
      await page.waitForSelector('h1:has-text("Manage Integrations")');
      await page.click('a:has-text("New")');
      await page.fill('input[name=name]', 'Orders App');
      await page.check('input[name=m2m]');
      await page.click('button:has-text("Save")');
      await page.waitForSelector('text=the client secret is shown only this once');
      clientId = (await page.textContent('#client-id'))?.trim() ?? '';
      const secret = (await page.textContent('#client-secret'))?.trim() ?? '';
      assert.match(clientId, /^[0-9a-f]{64}$/);
      assert.match(secret, /^[0-9a-f]{64}$/);
      await page.click('button[data-copy=client-secret]');
      assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret);
      await page.click('a:has-text("Done")');
      assert.equal((await page.content()).includes(secret), false);
    },
  );

  step('maps a certificate through the Create New dialog and sees it listed', async () => {
    const cert = await makeCert('ec-p256');
    keyPem = cert.keyPem;
    // Two earlier mappings (made with the service): one with a day left, highlighted.
    const deps = { store, clock: { now: () => Date.now() } };
    for (const kind of ['ec-p384', 'expired'] as const) {
      await createMapping(deps, SYSTEM, {
        accountId: admin.accountId,
        clientId,
        entityId: svcId,
        roleId,
        certificate: (await makeCert(kind)).certPem,
      });
    }
    await page.hover('nav.menubar >> text=Setup');
    await page.hover('nav.menubar >> text=Integration');
    await page.hover('nav.menubar >> text=Manage Authentication');
    await page.hover('nav.menubar >> text=OAuth 2.0 Client Credentials (M2M) Setup');
    await page.click('nav.menubar >> text=OAuth 2.0 Client Credentials (M2M) Setup');
    await page.waitForSelector('h1:has-text("OAuth 2.0 Client Credentials (M2M) Setup")');
    await page.click('text=Create New');
    const dialog = page.locator('dialog#new-mapping');
    assert.equal(await dialog.evaluate((d) => (d as unknown as { open: boolean }).open), true);
    assert.equal(new URL(page.url()).pathname, '/console/m2m', 'the dialog, not the plain page');
    await dialog.locator('select[name=entity]').selectOption({ label: 'orders-service' });
    // Only the roles the entity holds stay selectable.
    const enabled = await dialog
      .locator('select[name=role] option:not([disabled])')
      .allTextContents();
    assert.deepEqual(enabled, ['— choose —', 'Orders Integration']);
    await dialog.locator('select[name=role]').selectOption({ label: 'Orders Integration' });
    await dialog.locator('select[name=integration]').selectOption({ label: 'Orders App' });
    await dialog.locator('input[type=file]').setInputFiles(cert.certPath);
    await dialog.locator('button:has-text("Save")').click();
    await page.waitForSelector('text=is mapped. Clients can now use it');
    const row = page.locator('#mappings tbody tr').first();
    certificateId = (await row.getAttribute('data-certificate-id')) ?? '';
    assert.match(certificateId, /^[A-Za-z0-9_-]{43}$/);
    const cells = await row.locator('td').allTextContents();
    assert.ok(cells.some((c) => c.includes('Orders App')));
    assert.ok(cells.some((c) => c.includes('P-256')));
    assert.equal(await page.locator('#mappings tbody tr.soon').count(), 1);
  });

  step(
    'gets a token with it, revokes it, and the next request fails with the reason in the audit trail',
    async () => {
      const client = () =>
        createTokenClient({
          tokenUrl: `${base}/accounts/${admin.accountId}/services/rest/auth/oauth2/v1/token`,
          clientId,
          certificateId,
          privateKey: keyPem,
          scopes: ['restlets'],
          retry: { attempts: 1 },
        });
      const token = await client().getToken();
      assert.equal(token.split('.').length, 3);
      // Some failures for the chart: an unknown kid, a key that does not match, a scope not allowed.
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      const failing = [
        { certificateId: 'x'.repeat(43) },
        { privateKey: String(other) },
        { scopes: ['suite_analytics'] },
      ];
      for (const change of failing) {
        const c = createTokenClient({
          tokenUrl: `${base}/accounts/${admin.accountId}/services/rest/auth/oauth2/v1/token`,
          clientId,
          certificateId,
          privateKey: keyPem,
          scopes: ['restlets'],
          retry: { attempts: 1 },
          ...change,
        });
        await assert.rejects(c.getToken(), TokenRequestError);
      }

      await page.click(`tr[data-certificate-id="${certificateId}"] >> text=Revoke`);
      await page.waitForSelector('text=Revoking is irreversible');
      await page.click('button:has-text("Revoke permanently")');
      await page.waitForSelector(`text=Certificate ${certificateId} is revoked.`);

      await assert.rejects(client().getToken(), (e: unknown) => {
        assert.ok(e instanceof TokenRequestError);
        return true;
      });
      await page.hover('nav.menubar >> text=Setup');
      await page.hover('nav.menubar >> text=Users/Roles');
      await page.click('nav.menubar >> text=View Login Audit Trail');
      await page.waitForSelector('h1:has-text("Login Audit Trail")');
      const failed = page.locator('#audit tbody tr', { hasText: 'Failure' }).first();
      assert.ok((await failed.textContent())?.includes('CertificateRevoked'));
      assert.ok(
        (await page.textContent('#failure-chart .legend'))?.includes('CertificateRevoked (1)'),
      );
    },
  );

  step('shows the policy message of a refused upload in the dialog', async () => {
    const rsa = await makeCert('rsa-2048');
    await page.goto(`${base}/console/m2m`);
    await page.click('text=Create New');
    const dialog = page.locator('dialog#new-mapping');
    await dialog.locator('select[name=entity]').selectOption({ label: 'orders-service' });
    // The entity holds one role: the dialog picks it.
    assert.equal(await dialog.locator('select[name=role]').inputValue(), String(roleId));
    await dialog.locator('select[name=integration]').selectOption({ label: 'Orders App' });
    await dialog.locator('input[type=file]').setInputFiles(rsa.certPath);
    await dialog.locator('button:has-text("Save")').click();
    await page.waitForSelector('dialog#new-mapping .alert.error');
    assert.equal(await dialog.evaluate((d) => (d as unknown as { open: boolean }).open), true);
    assert.match((await dialog.locator('.alert.error').textContent()) ?? '', /2048/);
    assert.equal(await page.locator('#mappings tbody tr').count(), 3, 'nothing was saved');
  });

  step('refuses a user without the permission', async () => {
    await page.locator('dialog#new-mapping').getByText('Cancel').click();
    await page.click('button:has-text("Sign out")');
    await page.waitForSelector('text=You have signed out.');
    await page.fill('input[name=email]', 'vera@example.com');
    await page.fill('input[name=password]', 'vera password 123');
    await page.click('button[type=submit]');
    await page.waitForSelector('h1:has-text("Home")');
    assert.equal(await page.locator('nav.menubar >> text=Setup').count(), 0);
    const res = await page.goto(`${base}/console/m2m`);
    assert.equal(res?.status(), 403);
    assert.match((await page.textContent('.alert.error')) ?? '', /your role lacks the permission/);
    assert.equal((await page.content()).includes(certificateId), false);
  });

  it('an administrator sets up M2M end to end; a user without the permission is refused', async (t) => {
    for (const { name, options, fn } of steps) await t.test(name, options, fn);
  });
});
