/**
 * Console sign-in security over app.inject() on a real SQLite store: redirects, wrong
 * passwords, lockout, two-factor enrolment and codes, recovery codes once, session cookie
 * flags and rotation (no fixation), sign-out, expiry, CSRF and the CSP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createEntity, SYSTEM } from '../../src/service/index.ts';
import {
  Browser,
  type ConsoleFixture,
  consoleFixture,
  csrfOf,
  setCookies,
  signIn,
  totpCode,
} from './support.ts';

const WRONG = 'The email address or password is incorrect.';
const LOCKED = 'Too many failed sign-in attempts for this email address.';

describe('console sign-in', () => {
  let f: ConsoleFixture;
  before(async () => {
    f = await consoleFixture();
  });
  after(() => f.close());

  it('sends a visitor without a session to the sign-in page, for every page', async () => {
    const b = new Browser(f.app);
    for (const page of [
      '/console/',
      '/console/m2m',
      '/console/m2m/new',
      '/console/integrations',
      '/console/entities',
      '/console/roles',
      '/console/audit',
      '/console/accounts',
      '/console/entities/1',
      '/console/m2m/abc/revoke',
    ]) {
      const res = await b.get(page);
      assert.equal(res.statusCode, 303, page);
      assert.equal(res.headers.location, '/console/login', page);
    }
    const login = await b.get('/console/login');
    assert.equal(login.statusCode, 200);
    assert.match(login.body, /<form method="post" action="\/console\/login"/);
  });

  it('refuses a wrong password and an unknown email with the same answer, setting no session', async () => {
    for (const email of [f.admin.email, 'nobody@example.com']) {
      const b = new Browser(f.app);
      await b.get('/console/login');
      const res = await b.post('/console/login', { email, password: 'not-the-password' });
      assert.equal(res.statusCode, 401);
      assert.ok(res.body.includes(WRONG));
      assert.equal(
        setCookies(res).some((c) => c.name === 'certmint_session'),
        false,
      );
    }
  });

  it('refuses a sign-in POST without a CSRF token (403) and with a forged one', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    const none = await b.post(
      '/console/login',
      { email: f.admin.email, password: f.admin.password },
      null,
    );
    assert.equal(none.statusCode, 403);
    assert.match(none.body, /This form has expired or did not come from this console/);
    const forged = await b.post(
      '/console/login',
      { email: f.admin.email, password: f.admin.password },
      'forged-token',
    );
    assert.equal(forged.statusCode, 403);
  });

  it('locks the email after 5 failures, even for the right password, until the lock ends', async () => {
    const deps = { store: f.store, clock: f.clock };
    const email = 'lock@example.com';
    const password = 'correct horse battery';
    await createEntity(deps, SYSTEM, {
      accountId: f.admin.accountId,
      name: 'Lock',
      email,
      password,
    });
    const b = new Browser(f.app);
    await b.get('/console/login');
    for (let i = 1; i < 5; i++) {
      const res = await b.post('/console/login', { email, password: `wrong-${i}` });
      assert.equal(res.statusCode, 401, `failure ${i}`);
    }
    const fifth = await b.post('/console/login', { email: email.toUpperCase(), password: 'wrong' });
    assert.equal(fifth.statusCode, 429);
    assert.ok(fifth.body.includes(LOCKED));
    const right = await b.post('/console/login', { email, password });
    assert.equal(right.statusCode, 429, 'the right password is refused while locked');
    assert.ok(right.body.includes(LOCKED));
    f.clock.advance(15 * 60_000);
    const later = await b.post('/console/login', { email, password });
    assert.equal(later.statusCode, 200, 'entity without roles: signed in password, no role');
    assert.match(later.body, /Your user has no active role/);
  });

  it('limits sign-in POSTs per address (20 a minute), whatever the email', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    const token = csrfOf(b.last?.body ?? '');
    for (let i = 0; i < 20; i++) {
      const res = await b.post(
        '/console/login',
        { email: `rl${i}@example.com`, password: 'x' },
        token,
      );
      assert.equal(res.statusCode, 401, `attempt ${i + 1}`);
    }
    const over = await b.post('/console/login', { email: 'rl@example.com', password: 'x' }, token);
    assert.equal(over.statusCode, 429);
    assert.match(over.body, /Too many attempts from your address/);
    // Another address is not affected.
    const other = new Browser(f.app);
    await other.get('/console/login');
    const res = await other.post('/console/login', { email: 'rl@example.com', password: 'x' });
    assert.equal(res.statusCode, 401);
  });

  it('requires two-factor for the Administrator: enrolment, then a code at every sign-in', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    const res = await b.post('/console/login', {
      email: f.admin.email,
      password: f.admin.password,
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/console/login/two-factor');
    // Password alone opens nothing.
    const home = await b.get('/console/');
    assert.equal(home.statusCode, 303);
    assert.equal(home.headers.location, '/console/login/two-factor');
    const api = await b.get(`/api/v1/accounts/${f.admin.accountId}/mappings`);
    assert.equal(api.statusCode, 401);

    const enrol = await b.get('/console/login/two-factor');
    assert.match(enrol.body, /Set up two-factor authentication/);
    assert.match(enrol.body, /<img class="qr" src="data:image\/png;base64,/);
    assert.match(enrol.body, /otpauth:\/\/totp\/certmint:/);
    const secret = /id="totp-secret" class="secret">([A-Z2-7]+)</.exec(enrol.body)?.[1] ?? '';
    const bad = await b.post('/console/login/two-factor', {
      code: '000000' === totpCode(secret, f.clock.now()) ? '111111' : '000000',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /That code is not valid/);
    const ok = await b.post('/console/login/two-factor', { code: totpCode(secret, f.clock.now()) });
    // POST/redirect/GET: the codes are on the page the confirmation redirects to, once.
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/console/login/recovery-codes');
    const codes = await b.get('/console/login/recovery-codes');
    assert.match(codes.body, /These codes are shown only once/);
    const reload = await b.get('/console/login/recovery-codes');
    assert.match(reload.body, /Your recovery codes were shown once and cannot be shown again/);
    assert.equal(reload.body.includes('id="recovery-codes"'), false);
    assert.equal((await b.get('/console/')).statusCode, 200);
    f.clock.advance(30_000);

    // Next sign-in: a code, no enrolment.
    const again = new Browser(f.app);
    await again.get('/console/login');
    await again.post('/console/login', { email: f.admin.email, password: f.admin.password });
    const codePage = await again.get('/console/login/two-factor');
    assert.match(codePage.body, /Enter the 6-digit code/);
    assert.equal(codePage.body.includes('totp-secret'), false, 'the secret is not shown again');
    const signedIn = await again.post('/console/login/two-factor', {
      code: totpCode(secret, f.clock.now()),
    });
    assert.equal(signedIn.statusCode, 303);
    assert.equal(signedIn.headers.location, '/console/');
    // The same code (same time step) is accepted once only (RFC 6238 §5.2).
    const third = new Browser(f.app);
    await third.get('/console/login');
    await third.post('/console/login', { email: f.admin.email, password: f.admin.password });
    await third.get('/console/login/two-factor');
    const replay = await third.post('/console/login/two-factor', {
      code: totpCode(secret, f.clock.now()),
    });
    assert.equal(replay.statusCode, 400);
    f.clock.advance(30_000);
  });
});

describe('console recovery codes, cookies and sessions', () => {
  let f: ConsoleFixture;
  let secret = '';
  let codes: string[] = [];
  before(async () => {
    f = await consoleFixture();
    const first = await signIn(new Browser(f.app), f.clock, f.admin.email, f.admin.password);
    secret = first.secret ?? '';
    codes = first.recoveryCodes;
  });
  after(() => f.close());

  it('shows ten recovery codes at enrolment; each works once', async () => {
    assert.equal(codes.length, 10);
    const code = codes[0] ?? '';
    const b = new Browser(f.app);
    await b.get('/console/login');
    await b.post('/console/login', { email: f.admin.email, password: f.admin.password });
    await b.get('/console/login/two-factor');
    const ok = await b.post('/console/login/two-factor', { code: code.toLowerCase() });
    assert.equal(ok.statusCode, 303);
    assert.equal(ok.headers.location, '/console/?notice=recovery');
    const home = await b.get('/console/?notice=recovery');
    assert.match(home.body, /9 recovery codes are left/);

    const again = new Browser(f.app);
    await again.get('/console/login');
    await again.post('/console/login', { email: f.admin.email, password: f.admin.password });
    await again.get('/console/login/two-factor');
    const reused = await again.post('/console/login/two-factor', { code });
    assert.equal(reused.statusCode, 400);
    assert.match(reused.body, /That code is not valid/);
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and replaces its id at every step', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    const pw = await b.post('/console/login', { email: f.admin.email, password: f.admin.password });
    const c1 = setCookies(pw).find((c) => c.name === 'certmint_session');
    assert.ok(c1);
    assert.match(c1.attributes, /HttpOnly/);
    assert.match(c1.attributes, /SameSite=Lax/);
    assert.match(c1.attributes, /Path=\//);
    assert.doesNotMatch(c1.attributes, /Secure/);
    await b.get('/console/login/two-factor');
    const done = await b.post('/console/login/two-factor', {
      code: totpCode(secret, f.clock.now()),
    });
    f.clock.advance(30_000);
    const c2 = setCookies(done).find((c) => c.name === 'certmint_session');
    assert.ok(c2);
    assert.notEqual(c2.value, c1.value, 'a new id after two-factor');
    // The pre-two-factor id is dead: it neither signs in nor continues the sign-in.
    const old = new Browser(f.app);
    old.jar.set('certmint_session', c1.value);
    const res = await old.get('/console/');
    assert.equal(res.headers.location, '/console/login');
    // An id planted before sign-in is not adopted (session fixation).
    const victim = new Browser(f.app);
    victim.jar.set('certmint_session', 'A'.repeat(43));
    await signIn(victim, f.clock, f.admin.email, f.admin.password, secret);
    assert.notEqual(victim.jar.get('certmint_session'), 'A'.repeat(43));
    const attacker = new Browser(f.app);
    attacker.jar.set('certmint_session', 'A'.repeat(43));
    assert.equal((await attacker.get('/console/')).headers.location, '/console/login');
  });

  it('over https the cookies are Secure with the __Host- prefix', async () => {
    const g = await consoleFixture({ publicUrl: 'https://certmint.example' });
    try {
      const b = new Browser(g.app);
      await b.get('/console/login');
      const pw = await b.post('/console/login', {
        email: g.admin.email,
        password: g.admin.password,
      });
      const session = setCookies(pw).find((c) => c.name === '__Host-certmint_session');
      assert.ok(session);
      assert.match(session.attributes, /Secure/);
      assert.match(session.attributes, /HttpOnly/);
      const csrf = setCookies(pw).find((c) => c.name === '__Host-certmint_csrf');
      assert.ok(csrf);
      assert.match(csrf.attributes, /Secure/);
      assert.match(csrf.attributes, /SameSite=Strict/);
      assert.ok(String(pw.headers['strict-transport-security']).includes('max-age='));
    } finally {
      await g.close();
    }
  });

  it('ends the session at sign-out and after 30 idle minutes', async () => {
    const b = new Browser(f.app);
    await signIn(b, f.clock, f.admin.email, f.admin.password, secret);
    const cookie = b.jar.get('certmint_session') ?? '';
    await b.get('/console/');
    const out = await b.post('/console/logout', {});
    assert.equal(out.statusCode, 303);
    assert.equal(out.headers.location, '/console/login?signed_out=1');
    const reuse = new Browser(f.app);
    reuse.jar.set('certmint_session', cookie);
    assert.equal((await reuse.get('/console/')).headers.location, '/console/login');

    const idle = new Browser(f.app);
    await signIn(idle, f.clock, f.admin.email, f.admin.password, secret);
    assert.equal((await idle.get('/console/')).statusCode, 200);
    f.clock.advance(31 * 60_000);
    assert.equal((await idle.get('/console/')).headers.location, '/console/login');
  });

  it('gives a half-finished sign-in 10 minutes', async () => {
    const b = new Browser(f.app);
    await b.get('/console/login');
    await b.post('/console/login', { email: f.admin.email, password: f.admin.password });
    assert.equal((await b.get('/console/login/two-factor')).statusCode, 200);
    f.clock.advance(10 * 60_000);
    const late = await b.get('/console/login/two-factor');
    assert.equal(late.statusCode, 303);
    assert.equal(late.headers.location, '/console/login');
  });

  it('sends a strict CSP without unsafe-inline, and pages carry no inline script or style', async () => {
    const b = new Browser(f.app);
    const anonymous = await new Browser(f.app).get('/console/login');
    await signIn(b, f.clock, f.admin.email, f.admin.password, secret);
    for (const [page, res] of [['/console/login', anonymous] as const]) {
      assert.doesNotMatch(String(res.headers['content-security-policy']), /unsafe-inline/, page);
      assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style/i, page);
    }
    for (const page of [
      '/console/',
      '/console/m2m',
      '/console/integrations',
      '/console/audit',
      '/console/entities',
      '/console/roles',
      '/console/accounts',
    ]) {
      const res = await b.get(page);
      assert.equal(res.statusCode, 200, page);
      const csp = String(res.headers['content-security-policy']);
      assert.match(csp, /script-src 'self'/, page);
      assert.match(csp, /style-src 'self'/, page);
      assert.match(csp, /img-src 'self' data:/, page);
      assert.match(csp, /frame-ancestors 'none'/, page);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, page);
      assert.equal(res.headers['cache-control'], 'no-store', page);
      assert.doesNotMatch(res.body, /<script(?![^>]*\bsrc=)[^>]*>/, `${page}: inline script`);
      assert.doesNotMatch(
        res.body,
        /\sstyle=|<style|\son[a-z]+=/i,
        `${page}: inline style/handler`,
      );
    }
  });
});
