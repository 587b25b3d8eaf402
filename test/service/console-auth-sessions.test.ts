/**
 * Console-auth sessions on every backend: sign-in steps and the choice of account and role, new
 * ids at every step, idle, absolute and half-finished expiry, sign-out, the drop back to
 * two-factor when a role gains the requirement, and the purge of expired records.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LOCKOUT } from '../../src/service/console-auth/index.ts';
import { SYSTEM, updateEntity, updateRole } from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  A,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  authFixture,
  idHash,
  person,
  readerRole,
  sessionOf,
} from './console-auth-support.ts';

// The policy, stated here rather than read from the code under test (OWASP session guidance).
const MIN = 60_000;
const IDLE_TIMEOUT_MS = 30 * MIN;
const ABSOLUTE_TIMEOUT_MS = 12 * 60 * MIN;
const PENDING_TIMEOUT_MS = 10 * MIN;

const EMAIL = 'grace@example.com';
const PASSWORD = 'grace password 123';

describeEachStore('console-auth sessions', (f) => {
  it('signs in with one role at once; an unknown email, an empty field or no role is refused', async () => {
    const fx = await authFixture(f);
    try {
      const reader = await readerRole(fx);
      const grace = await person(fx, EMAIL, PASSWORD, [reader]);
      const id = sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'signed_in');
      const { session, user } = await fx.auth.authenticate(id);
      assert.deepEqual(session, { stage: 'active' });
      assert.deepEqual(user?.actor, {
        kind: 'entity',
        accountId: A,
        entityId: grace.id,
        roleId: reader,
        permissions: ['integration_application'],
      });
      const refused = { kind: 'refused' };
      assert.deepEqual(
        await fx.auth.signIn({ email: 'no@example.com', password: PASSWORD }),
        refused,
      );
      assert.deepEqual(await fx.auth.signIn({ email: EMAIL, password: '' }), refused);
      assert.deepEqual(await fx.auth.signIn({ email: '', password: PASSWORD }), refused);
      // The password is right but opens no role: no session, and the earlier one ends.
      await person(fx, 'norole@example.com', PASSWORD, []);
      const none = await fx.auth.signIn({
        email: 'norole@example.com',
        password: PASSWORD,
        previousSessionId: id,
      });
      assert.deepEqual(none, { kind: 'no_role' });
      assert.deepEqual(await fx.auth.authenticate(id), { session: null, user: null });
    } finally {
      await fx.close();
    }
  });

  it('offers every account and role the password opens, accepts only those, with a new id at each step', async () => {
    const fx = await authFixture(f);
    try {
      const reader = await readerRole(fx);
      const grace = await person(fx, EMAIL, PASSWORD, [reader, 3]);
      const choosing = sessionOf(
        await fx.auth.signIn({ email: EMAIL, password: PASSWORD }),
        'choose',
      );
      assert.deepEqual(await fx.auth.authenticate(choosing), {
        session: { stage: 'choose' },
        user: null,
      });
      const choices = await fx.auth.choices(choosing);
      assert.deepEqual(choices?.map((c) => [c.value, c.twoFactor]).sort(), [
        [`${A}:${grace.id}:${reader}`, false],
        [`${A}:${grace.id}:3`, true],
      ]);
      for (const forged of [`${A}:1:3`, `${A}:${grace.id}:999`, 'TSTDRV9:2:3']) {
        const r = await fx.auth.choose(choosing, forged);
        assert.equal(r.kind, 'invalid', forged);
      }
      const twoFactor = sessionOf(
        await fx.auth.choose(choosing, `${A}:${grace.id}:3`),
        'two_factor',
      );
      assert.notEqual(twoFactor, choosing);
      // The old id is worthless: no session, no choices, no second choice.
      assert.deepEqual(await fx.auth.authenticate(choosing), { session: null, user: null });
      assert.equal(await fx.auth.choices(choosing), null);
      assert.deepEqual(await fx.auth.choose(choosing, `${A}:${grace.id}:${reader}`), {
        kind: 'no_session',
      });
      assert.deepEqual(await fx.auth.authenticate(twoFactor), {
        session: { stage: 'two_factor' },
        user: null,
      });
      // Ids the service never issued name nothing.
      for (const bogus of [undefined, '', 'A'.repeat(43), 'short']) {
        assert.deepEqual(await fx.auth.authenticate(bogus), { session: null, user: null });
      }
    } finally {
      await fx.close();
    }
  });

  it('ends a session after 30 idle minutes, 12 hours after sign-in, and at sign-out', async () => {
    const fx = await authFixture(f);
    try {
      await person(fx, EMAIL, PASSWORD, [await readerRole(fx)]);
      const signIn = async () =>
        sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'signed_in');
      const idle = await signIn();
      fx.clock.advance(IDLE_TIMEOUT_MS - 1);
      assert.notEqual((await fx.auth.authenticate(idle)).user, null, 'activity keeps it');
      fx.clock.advance(IDLE_TIMEOUT_MS - 1);
      assert.notEqual((await fx.auth.authenticate(idle)).user, null);
      fx.clock.advance(IDLE_TIMEOUT_MS);
      assert.equal((await fx.auth.authenticate(idle)).user, null);

      const busy = await signIn();
      const start = fx.clock.now();
      while (fx.clock.now() + IDLE_TIMEOUT_MS / 2 < start + ABSOLUTE_TIMEOUT_MS) {
        fx.clock.advance(IDLE_TIMEOUT_MS / 2);
        assert.notEqual((await fx.auth.authenticate(busy)).user, null);
      }
      fx.clock.set(start + ABSOLUTE_TIMEOUT_MS);
      assert.equal((await fx.auth.authenticate(busy)).user, null, 'absolute lifetime');

      const out = await signIn();
      await fx.auth.signOut(out);
      assert.deepEqual(await fx.auth.authenticate(out), { session: null, user: null });
    } finally {
      await fx.close();
    }
  });

  it('gives a half-finished sign-in 10 minutes', async () => {
    const fx = await authFixture(f);
    try {
      const signIn = () => fx.auth.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      const pending = sessionOf(await signIn(), 'two_factor');
      fx.clock.advance(PENDING_TIMEOUT_MS - 1);
      assert.equal((await fx.auth.twoFactorPrompt(pending))?.kind, 'enrol');
      fx.clock.advance(1);
      assert.equal(await fx.auth.twoFactorPrompt(pending), null);
      assert.deepEqual(await fx.auth.submitCode(pending, '123456'), { kind: 'no_session' });
    } finally {
      await fx.close();
    }
  });

  it('drops a session back to two-factor when its role gains the requirement; ends it when the entity is deactivated', async () => {
    const fx = await authFixture(f);
    try {
      const reader = await readerRole(fx);
      const grace = await person(fx, EMAIL, PASSWORD, [reader]);
      const id = sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'signed_in');
      await updateRole(fx.svc, SYSTEM, A, reader, {
        permissions: ['integration_application', 'oauth2_authorized_apps_management'],
      });
      assert.deepEqual(await fx.auth.authenticate(id), {
        session: { stage: 'two_factor' },
        user: null,
      });
      assert.equal((await fx.auth.twoFactorPrompt(id))?.kind, 'enrol');

      await updateRole(fx.svc, SYSTEM, A, reader, { permissions: ['integration_application'] });
      const again = sessionOf(
        await fx.auth.signIn({ email: EMAIL, password: PASSWORD }),
        'signed_in',
      );
      await updateEntity(fx.svc, SYSTEM, A, grace.id, { active: false });
      assert.deepEqual(await fx.auth.authenticate(again), { session: null, user: null });
      assert.equal(await fx.store.console.sessions.get(idHash(again)), null, 'deleted');
    } finally {
      await fx.close();
    }
  });

  it('purges expired sessions and lockout records that no longer count', async () => {
    const fx = await authFixture(f);
    try {
      await person(fx, EMAIL, PASSWORD, [await readerRole(fx)]);
      const old = sessionOf(
        await fx.auth.signIn({ email: EMAIL, password: PASSWORD }),
        'signed_in',
      );
      await fx.auth.signIn({ email: 'stranger@example.com', password: 'wrong password' });
      fx.clock.advance(LOCKOUT.windowMs + LOCKOUT.lockMs + 1);
      const live = sessionOf(
        await fx.auth.signIn({ email: EMAIL, password: PASSWORD }),
        'signed_in',
      );
      assert.deepEqual(await fx.auth.purgeExpired(fx.clock.now()), { sessions: 1, lockouts: 1 });
      assert.equal(await fx.store.console.sessions.get(idHash(old)), null);
      assert.notEqual(await fx.store.console.sessions.get(idHash(live)), null);
      assert.deepEqual(await fx.auth.purgeExpired(fx.clock.now()), { sessions: 0, lockouts: 0 });
    } finally {
      await fx.close();
    }
  });
});
