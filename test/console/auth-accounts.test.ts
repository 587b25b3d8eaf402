/**
 * Console sign-in, continued: choosing among the accounts and roles a password opens, and the
 * whole sign-in (two-factor, recovery code, lockout) on PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assignRole,
  createAccount,
  createEntity,
  createRole,
  refreshSandbox,
  SYSTEM,
} from '../../src/service/index.ts';
import { PG_SKIP_REASON } from '../support/stores.ts';
import { Browser, type ConsoleFixture, consoleFixture, signIn } from './support.ts';

describe('console choose account and role', () => {
  let f: ConsoleFixture;
  const email = 'multi@example.com';
  const password = 'multi password 123';
  before(async () => {
    f = await consoleFixture();
    const deps = { store: f.store, clock: f.clock };
    const A = f.admin.accountId;
    // Two roles in production, and (after a refresh) the same entity in a sandbox.
    const reader = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'Reader',
      permissions: ['integration_application'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: A, name: 'Multi', email, password });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: e.id, roleId: reader.id });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: e.id, roleId: 3 });
    await createAccount(deps, SYSTEM, { id: `${A}_SB1` });
    await refreshSandbox(deps, SYSTEM, `${A}_SB1`);
  });
  after(() => f.close());

  it('lists every account and role the password opens, and accepts only those', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    const res = await b.post('/console/login', { email, password });
    assert.equal(res.headers.location, '/console/login/choose');
    // Nothing is open before a choice.
    assert.equal((await b.get('/console/')).headers.location, '/console/login/choose');
    const page = await b.get('/console/login/choose');
    const choices = [...page.body.matchAll(/name="choice" value="([^"]+)"/g)].map((m) => m[1]);
    const A = f.admin.accountId;
    assert.deepEqual(choices.sort(), [
      `${A}:2:1000`,
      `${A}:2:3`,
      `${A}_SB1:2:1000`,
      `${A}_SB1:2:3`,
    ]);
    // A role the entity does not hold, or the administrator's entity: refused.
    for (const forged of [`${A}:1:3`, `${A}:2:999`, 'TSTDRV9:2:3']) {
      const bad = await b.post('/console/login/choose', { choice: forged });
      assert.equal(bad.statusCode, 400, forged);
      assert.match(bad.body, /Choose one of the listed accounts and roles/);
    }
    const ok = await b.post('/console/login/choose', { choice: `${A}_SB1:2:1000` });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/console/');
    const home = await b.get('/console/');
    assert.match(home.body, new RegExp(`${A}_SB1 · Reader`));
    // The Reader role does not manage mappings: no two-factor, and no M2M page.
    assert.equal((await b.get('/console/m2m')).statusCode, 403);
  });

  it('choosing the Administrator role continues to two-factor', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    await b.post('/console/login', { email, password });
    await b.get('/console/login/choose');
    const res = await b.post('/console/login/choose', { choice: `${f.admin.accountId}:2:3` });
    assert.equal(res.headers.location, '/console/login/two-factor');
    const enrol = await b.get('/console/login/two-factor');
    assert.match(enrol.body, /Set up two-factor authentication/);
  });
});

describe('console sign-in on PostgreSQL', {
  skip: !process.env.CERTMINT_TEST_PG_URL && PG_SKIP_REASON,
}, () => {
  it('enrols, signs in with a code and a recovery code once, and locks out', async () => {
    const f = await consoleFixture({ backend: 'postgres' });
    try {
      const first = await signIn(new Browser(f.app), f.clock, f.admin.email, f.admin.password);
      assert.equal(first.recoveryCodes.length, 10);
      const b = new Browser(f.app);
      await signIn(b, f.clock, f.admin.email, f.admin.password, first.secret ?? '');
      assert.equal((await b.get('/console/m2m')).statusCode, 200);
      for (const expected of [303, 400]) {
        const r = new Browser(f.app);
        await r.get('/console/login');
        await r.post('/console/login', { email: f.admin.email, password: f.admin.password });
        await r.get('/console/login/two-factor');
        const res = await r.post('/console/login/two-factor', {
          code: first.recoveryCodes[0] ?? '',
        });
        assert.equal(res.statusCode, expected);
      }
      const l = new Browser(f.app);
      await l.get('/console/login');
      let last = 0;
      for (let i = 0; i < 5; i++) {
        last = (await l.post('/console/login', { email: f.admin.email, password: 'wrong' }))
          .statusCode;
      }
      // One failure was already counted (the reused recovery code).
      assert.equal(last, 429);
    } finally {
      await f.close();
    }
  });
});
