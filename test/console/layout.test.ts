/**
 * Every console page on a laptop screen, in a real browser (Debian's chromium via playwright-core,
 * as browser.test.ts): at 1366 × 768 and 1920 × 1080 the document never scrolls sideways and the
 * controls of every table's last column (Revoke, Edit, Open, …) are inside the viewport — with
 * realistic data (realistic.ts: long names and ids, revoked, expired and expiring rows).
 *
 * The list of pages is kept here and compared with the routes the console registers, so a new
 * page cannot be left out. Sign-in pages are checked on the way through the sign-in.
 *
 * With CERTMINT_SCREENSHOTS=1 it writes docs/console/*.png at 1366 × 768 (full page).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it, type TestOptions } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Secret, TOTP } from 'otpauth';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type Bootstrapped, bootstrapEmptyStore } from '../../src/service/bootstrap.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/net.ts';
import { makeCert } from '../support/openssl.ts';
import { type Realistic, SET_UP_DAYS_AGO, seedRealistic } from './realistic.ts';
import { consoleRouteList } from './routes.ts';
import { consoleFixture } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM)
  ? false
  : `chromium is not installed at ${CHROMIUM} (apt-get install chromium); browser tests skipped`;
const SHOTS = process.env.CERTMINT_SCREENSHOTS === '1';
const SHOT_DIR = resolve(import.meta.dirname, '../../docs/console');
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
] as const;

/** Every GET page behind sign-in: route → a URL of it in the realistic account, and its shot. */
function pages(r: Realistic): Record<string, { url: string; shot?: string }> {
  const m2m = '/console/m2m';
  return {
    '/console/': { url: '/console/', shot: 'home' },
    '/console/m2m': { url: m2m, shot: 'm2m-setup' },
    '/console/m2m/new': { url: `${m2m}/new` },
    '/console/m2m/:certificateId/revoke': {
      url: `${m2m}/${encodeURIComponent(r.activeCertificateId)}/revoke`,
      shot: 'm2m-revoke',
    },
    '/console/integrations': { url: '/console/integrations', shot: 'integrations' },
    '/console/integrations/new': { url: '/console/integrations/new' },
    '/console/integrations/:id/edit': { url: `/console/integrations/${r.integrationId}/edit` },
    '/console/integrations/:id/created': {
      url: `/console/integrations/${r.integrationId}/created`,
    },
    '/console/entities': { url: '/console/entities', shot: 'users' },
    '/console/entities/new': { url: '/console/entities/new' },
    '/console/entities/:id': { url: `/console/entities/${r.serviceEntityId}`, shot: 'user' },
    '/console/roles': { url: '/console/roles', shot: 'roles' },
    '/console/roles/new': { url: '/console/roles/new' },
    '/console/roles/:id/edit': { url: `/console/roles/${r.loginRoleId}/edit`, shot: 'role-edit' },
    '/console/audit': { url: '/console/audit', shot: 'audit-trail' },
    '/console/accounts': { url: '/console/accounts', shot: 'accounts' },
    '/console/accounts/refresh': {
      url: `/console/accounts/refresh?sandbox=${r.sandboxId}`,
      shot: 'sandbox-refresh',
    },
  };
}

/** Pages of the sign-in, checked as the test walks through it. */
const SIGN_IN_PAGES = [
  '/console/login',
  '/console/login/choose',
  '/console/login/two-factor',
  '/console/login/recovery-codes',
];
/** GET routes that are not pages. */
const NOT_PAGES = ['/console/assets/:name'];

describe('the layout check covers every console page', () => {
  it('lists every GET route the console registers', async () => {
    const f = await consoleFixture();
    try {
      const routes = (await consoleRouteList(f.store)).filter((r) => r.method === 'GET');
      const listed = [
        ...Object.keys(pages({} as Realistic)),
        ...SIGN_IN_PAGES,
        ...NOT_PAGES,
      ].sort();
      assert.deepEqual(routes.map((r) => r.url).sort(), listed);
    } finally {
      await f.close();
    }
  });
});

interface Layout {
  scrollWidth: number;
  innerWidth: number;
  /** Interactive elements of the tables' last columns that reach past the viewport. */
  outside: string[];
  /** Text of the Revoke controls and their right edges. */
  revoke: number[];
}

/** Runs in the page (a string: the test's TypeScript has no DOM types). */
const MEASURE = `(() => {
  const doc = document.documentElement;
  const controls = Array.from(
    document.querySelectorAll('table tbody tr > td:last-child :is(a, button, input, select)'),
  );
  const outside = controls
    .filter((c) => {
      const box = c.getBoundingClientRect();
      return box.left < 0 || box.right > window.innerWidth;
    })
    .map((c) => (c.textContent || '').trim());
  const revoke = Array.from(document.querySelectorAll('#mappings a.button'))
    .filter((a) => (a.textContent || '').trim() === 'Revoke')
    .map((a) => a.getBoundingClientRect().right);
  return { scrollWidth: doc.scrollWidth, innerWidth: window.innerWidth, outside, revoke };
})()`;

const layoutOf = (page: Page): Promise<Layout> => page.evaluate<Layout>(MEASURE);

describe('console layout in a real browser', { skip: SKIP, timeout: 240_000 }, () => {
  let dir = '';
  let store: Store;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base = '';
  let admin: Bootstrapped;
  let data: Realistic;
  let totpSecret = '';

  const totp = (secret: string): string =>
    TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: Date.now() });

  /** The whole page; `viewport` for a modal dialog, whose backdrop covers the viewport only. */
  const shot = async (name: string | undefined, viewport = false): Promise<void> => {
    if (!SHOTS || !name) return;
    await page.screenshot({ path: join(SHOT_DIR, `${name}.png`), fullPage: !viewport });
  };

  /** On the choose page: the administrator's row of `accountId`. */
  const chooseAccount = (accountId: string) =>
    page.locator(`form:has(input[name=choice][value^="${accountId}:"]) button`).click();

  /** The page fits: no sideways scrolling, last-column controls visible. */
  async function fits(what: string): Promise<Layout> {
    const l = await layoutOf(page);
    const size = `${l.innerWidth} px`;
    assert.ok(l.scrollWidth <= l.innerWidth, `${what} at ${size}: ${l.scrollWidth} px wide`);
    assert.deepEqual(l.outside, [], `${what} at ${size}: last-column controls off-screen`);
    return l;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-layout-'));
    store = await openStore(join(dir, 'certmint.db'));
    // The first start, before the realistic account's records were set up.
    const firstStart = Date.now() - (SET_UP_DAYS_AGO + 1) * 86_400_000;
    const boot = await bootstrapEmptyStore({ store, clock: { now: () => firstStart } });
    if (!boot) throw new Error('store not empty');
    admin = boot;
    data = await seedRealistic(store, admin.accountId);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ({ app } = await testApp({ store, secret: 'layout-secret-0123456789abcdef', publicUrl: base }));
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
    const context = await browser.newContext({ viewport: VIEWPORTS[0] });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // One walk through the console: each step continues from where the previous one left it.
  const steps: Array<{ name: string; options: TestOptions; fn: () => Promise<void> }> = [];
  const step = (name: string, fn: () => Promise<void>, options: TestOptions = {}) =>
    steps.push({ name, options, fn });

  step('signs in through two-factor enrolment; the sign-in pages fit', async () => {
    await page.goto(`${base}/`);
    assert.equal(
      new URL(page.url()).pathname,
      '/console/login',
      '/ leads a browser to the console',
    );
    await page.fill('input[name=email]', admin.email);
    await page.fill('input[name=password]', admin.password);
    await fits('sign-in');
    await shot('sign-in');
    await page.click('button[type=submit]');
    // The seeded sandbox refresh copied the administrator: the password opens two accounts.
    await page.waitForURL('**/console/login/choose');
    await fits('choose account and role');
    await shot('choose');
    await chooseAccount(admin.accountId);
    await page.waitForURL('**/console/login/two-factor');
    totpSecret = (await page.textContent('#totp-secret'))?.trim() ?? '';
    await fits('two-factor enrolment');
    await shot('totp-enrolment');
    await page.fill('input[name=code]', totp(totpSecret));
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/login/recovery-codes');
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await fits('recovery codes');
    await shot('recovery-codes');
    await page.reload();
    assert.equal(await page.locator('#recovery-codes li').count(), 0, 'shown once');
    await page.waitForSelector('#codes-gone');
    await page.click('text=Continue');
    await page.waitForSelector('h1:has-text("Home")');
  });

  step('every page fits 1366 and 1920 px wide, with its last-column controls in view', async () => {
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      for (const [route, p] of Object.entries(pages(data))) {
        const res = await page.goto(`${base}${p.url}`);
        assert.equal(res?.status(), 200, `${route} answers`);
        const l = await fits(route);
        if (route === '/console/m2m') {
          assert.ok(l.revoke.length >= 5, 'the Revoke controls are there');
          for (const right of l.revoke) assert.ok(right <= l.innerWidth, 'Revoke is in view');
        }
        if (viewport.width === 1366) await shot(p.shot);
      }
    }
    await page.setViewportSize(VIEWPORTS[0]);
  });

  step('tells expired, expiring, revoked and warned rows apart in words', async () => {
    await page.goto(`${base}/console/m2m`);
    const text = (await page.locator('#mappings tbody').textContent()) ?? '';
    for (const words of [
      'Expired',
      'Expires in 25 days',
      'Expires in 3 days',
      'Revoked',
      'Cannot log in',
    ]) {
      assert.ok(text.includes(words), `a row says ${words}`);
    }
    assert.match(
      (await page.textContent('#expiring-banner')) ?? '',
      /2 certificates expire within 30 days/,
    );
    await page.click('#expiring-banner >> text=Show them');
    assert.equal(await page.locator('#mappings tbody tr').count(), 2);
    // A truncated id shows in full on hover and copies in full.
    const cell = page.locator('#mappings tbody tr').first().locator('td').first();
    const id = (await cell.locator('.truncate').getAttribute('title')) ?? '';
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    await cell.locator('button.copy').click();
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), id);
  });

  step('creates an integration: the secret once, a reload shows it no more', async () => {
    await page.goto(`${base}/console/integrations/new`);
    await page.fill('input[name=name]', 'Northwind Traders — Returns & Refunds Reconciliation');
    await page.click('button:has-text("Save")');
    await page.waitForURL('**/console/integrations/*/created');
    const secret = (await page.textContent('#client-secret'))?.trim() ?? '';
    assert.match(secret, /^[0-9a-f]{64}$/);
    await fits('integration created');
    await shot('integration-created');
    await page.reload();
    await page.waitForSelector('#secret-gone');
    assert.equal((await page.content()).includes(secret), false);
  });

  step('Create New: a refused upload keeps the entity, role and application chosen', async () => {
    await page.goto(`${base}/console/m2m`);
    await page.hover('nav.menubar >> text=Setup');
    await page.hover('nav.menubar >> text=Integration');
    await page.hover('nav.menubar >> text=Manage Authentication');
    if (SHOTS) await page.screenshot({ path: join(SHOT_DIR, 'menu.png') });
    await page.click('text=Create New');
    const dialog = page.locator('dialog#new-mapping');
    await dialog.locator('select[name=entity]').selectOption(String(data.serviceEntityId));
    await dialog.locator('select[name=role]').selectOption(String(data.loginRoleId));
    const app = 'Warehouse Robotics Telemetry';
    await dialog.locator('select[name=integration]').selectOption({ label: app });
    await dialog.locator('input[type=file]').setInputFiles((await makeCert('ec-p256')).certPath);
    await fits('Create New dialog');
    await shot('m2m-create-dialog', true);
    await dialog.locator('input[type=file]').setInputFiles((await makeCert('rsa-2048')).certPath);
    await dialog.locator('button:has-text("Save")').click();
    await page.waitForSelector('dialog#new-mapping .alert.error');
    assert.match((await dialog.locator('.alert.error').textContent()) ?? '', /2048 bits/);
    assert.equal(
      await dialog.locator('select[name=entity]').inputValue(),
      String(data.serviceEntityId),
    );
    assert.equal(await dialog.locator('select[name=role]').inputValue(), String(data.loginRoleId));
    assert.equal(
      await dialog.locator('select[name=integration] option:checked').textContent(),
      app,
    );
    await fits('refused upload');
    await shot('m2m-refused-upload', true);
  });

  step('a sandbox says so on every page', async () => {
    await page.goto(`${base}/console/accounts`);
    await page.click(`tr[data-account-id="${data.sandboxId}"] >> button:has-text("Sign in to")`);
    await page.waitForSelector(`text=choose ${data.sandboxId}`);
    await page.fill('input[name=email]', admin.email);
    await page.fill('input[name=password]', admin.password);
    await page.click('button[type=submit]');
    await page.waitForURL('**/console/login/choose');
    await chooseAccount(data.sandboxId);
    await page.waitForURL('**/console/login/two-factor');
    // The refresh copied the administrator before it enrolled: the sandbox enrols it anew.
    await page.fill(
      'input[name=code]',
      totp((await page.textContent('#totp-secret'))?.trim() ?? ''),
    );
    await page.click('button[type=submit]');
    await page.click('text=I have saved them');
    for (const path of ['/console/', '/console/m2m', '/console/accounts']) {
      await page.goto(`${base}${path}`);
      const banner = (await page.textContent('#account-banner')) ?? '';
      assert.match(
        banner,
        new RegExp(`${data.sandboxId}, a sandbox of production account ${admin.accountId}`),
      );
      await fits(`sandbox ${path}`);
    }
    await page.goto(`${base}/console/`);
    await shot('sandbox-home');
  });

  it('every console page fits a laptop screen, with realistic data', async (t) => {
    for (const { name, options, fn } of steps) await t.test(name, options, fn);
  });
});
