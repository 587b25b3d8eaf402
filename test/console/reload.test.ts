/**
 * POST/redirect/GET for every console form: each successful POST answers 303, so a browser's
 * reload repeats the GET it was sent to, never the POST; that GET, loaded twice, changes
 * nothing (no record and no audit event is made twice), and a one-time secret it shows (client
 * secret, recovery codes, a new mapping's warnings) is not there the second time. The list of
 * forms is compared with the POST routes the console registers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { makeCert } from '../support/openssl.ts';
import { consoleRouteList } from './routes.ts';
import { Browser, type ConsoleFixture, consoleFixture, signIn, totpCode } from './support.ts';

const A = 'TSTDRV0000001';
const EMAIL = 'pat@example.com';
const PASSWORD = 'pat password 12345';

describe('reloading after every console form', () => {
  let f: ConsoleFixture;
  let b: Browser;
  let totpSecret = '';
  let roleId = 0;
  let entityId = 0;
  let clientId = '';
  const covered = new Set<string>();

  /** Everything a form could make twice: records of both accounts and the audit trail. */
  async function state(): Promise<string> {
    const out: unknown[] = [await f.store.accounts.list()];
    for (const id of [A, `${A}_SB1`]) {
      out.push(
        await f.store.entities.list(id),
        await f.store.roles.list(id),
        await f.store.integrations.list(id),
        await f.store.mappings.list(id),
        (await f.store.audit.list({ accountId: id, limit: 1000 })).length,
      );
    }
    return JSON.stringify(out);
  }

  /**
   * POSTs (the form is on the last page loaded), expects 303, loads the target twice and
   * checks that the second load changed nothing. Returns both loads.
   */
  async function submit(route: string, url: string, form: Record<string, string | string[]>) {
    covered.add(route);
    const res = await b.post(url, form);
    assert.equal(res.statusCode, 303, `${route} redirects: ${res.body.slice(0, 300)}`);
    const to = String(res.headers.location);
    const first = await b.get(to);
    const before = await state();
    const again = await b.get(to);
    assert.equal(await state(), before, `reloading ${to} after ${route} changes nothing`);
    return { first, again, to };
  }

  before(async () => {
    f = await consoleFixture();
    b = new Browser(f.app);
    const deps = { store: f.store, clock: f.clock };
    totpSecret = (await signIn(b, f.clock, f.admin.email, f.admin.password)).secret ?? '';
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
    // Pat: a password that opens two accounts (the choose step).
    await createAccount(deps, SYSTEM, { id: 'TSTDRV0000002' });
    for (const accountId of [A, 'TSTDRV0000002']) {
      const reader = await createRole(deps, SYSTEM, {
        accountId,
        name: 'Reader',
        permissions: ['integration_application'],
      });
      const pat = await createEntity(deps, SYSTEM, {
        accountId,
        name: 'Pat',
        email: EMAIL,
        password: PASSWORD,
      });
      await assignRole(deps, SYSTEM, { accountId, entityId: pat.id, roleId: reader.id });
    }
  });
  after(() => f.close());

  // One walk through every form, in order (later forms use what earlier ones made): the steps
  // are subtests of one test, which ends by checking that no form was left out.
  const steps: Array<[string, () => Promise<void>]> = [];
  const step = (name: string, fn: () => Promise<void>) => steps.push([name, fn]);

  step('integrations: the client secret once', async () => {
    await b.get('/console/integrations/new');
    const made = await submit('POST /console/integrations', '/console/integrations', {
      name: 'Once',
      state: 'enabled',
      m2m: '1',
      scope: 'restlets',
    });
    const secret = /id="client-secret" class="secret">([0-9a-f]{64})</.exec(made.first.body)?.[1];
    assert.ok(secret, 'the first load shows the secret');
    assert.equal(made.again.body.includes(secret), false, 'the reload does not');
    assert.match(made.again.body, /The client secret was shown once/);
    const id = /\/integrations\/(\d+)\/created$/.exec(made.to)?.[1] ?? '';
    await b.get(`/console/integrations/${id}/edit`);
    await submit('POST /console/integrations/:id', `/console/integrations/${id}`, {
      name: 'Once, renamed',
      state: 'enabled',
      m2m: '1',
      scope: 'restlets',
    });
  });

  step('mappings: created once with its warnings shown once, revoked once', async () => {
    const cannot = await createRole({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: A,
      name: 'No login',
      permissions: [],
    });
    await assignRole({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: A,
      entityId,
      roleId: cannot.id,
    });
    await b.get('/console/m2m');
    covered.add('POST /console/m2m');
    const res = await b.upload(
      '/console/m2m',
      { entity: String(entityId), role: String(cannot.id), integration: clientId },
      { field: 'certificate', name: 'public.pem', content: (await makeCert('ec-p256')).certBytes },
    );
    assert.equal(res.statusCode, 303);
    const to = String(res.headers.location);
    const first = await b.get(to);
    const before = await state();
    const again = await b.get(to);
    assert.equal(await state(), before);
    assert.match(
      first.body,
      /data-warning="mapping.role_cannot_log_in"[^>]*>.*lacks &quot;Log in using OAuth 2.0 Access Tokens&quot;/,
    );
    assert.match(first.body, /<code id="new-certificate-id" class="secret">/);
    assert.match(first.body, /data-copy="new-certificate-id"/, 'the new id has a copy button');
    assert.doesNotMatch(again.body, /<p class="alert warning"[^>]*data-warning/, 'warned once');
    // The row keeps its badge as long as the role lacks the permission.
    assert.match(again.body, /<span class="badge warn" title="The role No login \(id \d+\) lacks/);
    const id = decodeURIComponent(to.split('created=')[1] ?? '');
    const revokePage = `/console/m2m/${encodeURIComponent(id)}/revoke`;
    await b.get(revokePage);
    await submit('POST /console/m2m/:certificateId/revoke', revokePage, {});
  });

  step('users and roles: each change made once', async () => {
    await b.get('/console/entities/new');
    const made = await submit('POST /console/entities', '/console/entities', {
      name: 'Grace',
      email: 'grace@example.com',
      type: 'employee',
      password: 'grace password 123',
    });
    const id = /\/entities\/(\d+)/.exec(made.to)?.[1] ?? '';
    const page = `/console/entities/${id}`;
    await b.get(page);
    await submit('POST /console/entities/:id', page, {
      name: 'Grace H',
      email: 'grace@example.com',
      type: 'employee',
      active: '1',
    });
    await submit('POST /console/entities/:id/roles', `${page}/roles`, { role: String(roleId) });
    await submit(
      'POST /console/entities/:id/roles/:roleId/remove',
      `${page}/roles/${roleId}/remove`,
      {},
    );
    await submit('POST /console/entities/:id/password', `${page}/password`, {
      password: 'another password 1',
    });
    await submit('POST /console/entities/:id/two-factor/reset', `${page}/two-factor/reset`, {});
    await b.get('/console/roles/new');
    await submit('POST /console/roles', '/console/roles', { name: 'Auditors', active: '1' });
    const role = (await f.store.roles.list(A)).find((r) => r.name === 'Auditors');
    await b.get(`/console/roles/${role?.id}/edit`);
    await submit('POST /console/roles/:id', `/console/roles/${role?.id}`, {
      name: 'Auditors',
      active: '1',
      permission: 'integration_application',
    });
  });

  step('accounts: a sandbox created once and refreshed once', async () => {
    await b.get('/console/accounts');
    await submit('POST /console/accounts', '/console/accounts', { kind: 'sandbox', n: '1' });
    await b.get(`/console/accounts/refresh?sandbox=${A}_SB1`);
    await submit('POST /console/accounts/:id/refresh', `/console/accounts/${A}_SB1/refresh`, {});
  });

  step('sign-in, choose, two-factor and sign-out: each answers with a redirect', async () => {
    const pat = new Browser(f.app);
    const swap = b;
    b = pat;
    try {
      await pat.get('/console/login');
      const chose = await submit('POST /console/login', '/console/login', {
        email: EMAIL,
        password: PASSWORD,
      });
      assert.equal(chose.to, '/console/login/choose');
      const choice = /name="choice" value="([^"]+)"/.exec(chose.first.body)?.[1] ?? '';
      const home = await submit('POST /console/login/choose', '/console/login/choose', { choice });
      assert.equal(home.to, '/console/');
      const out = await submit('POST /console/logout', '/console/logout', { account: `${A}_SB1` });
      assert.equal(out.to, `/console/login?signed_out=1&account=${A}_SB1`);
      assert.match(out.again.body, /Sign in again and choose TSTDRV0000001_SB1 to work in it/);
    } finally {
      b = swap;
    }
    // Two-factor: a code for the Administrator (its enrolment's codes: auth.test.ts).
    const admin = new Browser(f.app);
    b = admin;
    try {
      await admin.get('/console/login');
      await admin.post('/console/login', { email: f.admin.email, password: f.admin.password });
      if (admin.last?.headers.location === '/console/login/choose') {
        const page = await admin.get('/console/login/choose');
        const choice = new RegExp(`name="choice" value="(${A}:[^"]+)"`).exec(page.body)?.[1] ?? '';
        await admin.post('/console/login/choose', { choice });
      }
      await admin.get('/console/login/two-factor');
      const done = await submit('POST /console/login/two-factor', '/console/login/two-factor', {
        code: totpCode(totpSecret, f.clock.now()),
      });
      f.clock.advance(30_000);
      assert.equal(done.to, '/console/');
    } finally {
      b = swap;
    }
  });

  it('every form redirects, and reloading its target makes nothing twice', async (t) => {
    for (const [name, fn] of steps) await t.test(name, fn);
    const posts = (await consoleRouteList(f.store))
      .filter((r) => r.method === 'POST')
      .map((r) => `POST ${r.url}`)
      .sort();
    assert.deepEqual([...covered].sort(), posts, 'every form of the console was submitted');
  });
});
