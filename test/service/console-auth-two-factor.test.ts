/**
 * Console-auth two-factor on every backend: enrolment (the offered secret sealed at rest with
 * its own context, the enrolled one with the master key), a TOTP code accepted once (RFC 6238
 * §5.2), recovery codes used once, and wrong codes counted by the lockout.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { LOCKOUT, RECOVERY_CODE_COUNT } from '../../src/service/console-auth/index.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  A,
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  type AuthFixture,
  authFixture,
  enrolAdmin,
  idHash,
  master,
  sessionOf,
  totpCode,
} from './console-auth-support.ts';

describeEachStore('console-auth two-factor', (f) => {
  const signIn = async (fx: AuthFixture) =>
    sessionOf(await fx.auth.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }), 'two_factor');

  it('enrols with the secret offered, sealed at rest, and shows recovery codes once', async () => {
    const fx = await authFixture(f);
    try {
      const pending = await signIn(fx);
      const prompt = await fx.auth.twoFactorPrompt(pending);
      assert.equal(prompt?.kind, 'enrol');
      if (prompt?.kind !== 'enrol') return;
      assert.match(prompt.secret, /^[A-Z2-7]{32}$/);
      assert.match(prompt.uri, /^otpauth:\/\/totp\/certmint:/);
      assert.equal(prompt.roleName, 'Administrator');
      // The offered secret is stored encrypted, bound to the entity it was offered to.
      const stored = (await fx.store.console.sessions.get(idHash(pending)))?.pendingTotpSecret;
      assert.ok(stored);
      assert.equal(stored.includes(prompt.secret), false, 'not in clear');
      const context = `console-totp-pending:${A}:${fx.admin.id}`;
      assert.equal(master.decrypt(stored, context), prompt.secret);
      assert.throws(() => master.decrypt(stored, 'console-totp-secret'));
      // The same secret while the sign-in lasts.
      assert.deepEqual(await fx.auth.twoFactorPrompt(pending), prompt);

      const right = totpCode(prompt.secret, fx.clock.now());
      const bad = await fx.auth.submitCode(pending, right === '000000' ? '111111' : '000000');
      assert.deepEqual(bad, { kind: 'invalid', prompt });
      const ok = await fx.auth.submitCode(pending, ` ${right.slice(0, 3)} ${right.slice(3)} `);
      assert.equal(ok.kind, 'enrolled');
      if (ok.kind !== 'enrolled') return;
      assert.equal(ok.recoveryCodes.length, RECOVERY_CODE_COUNT);
      assert.equal(new Set(ok.recoveryCodes).size, RECOVERY_CODE_COUNT);
      for (const c of ok.recoveryCodes) assert.match(c, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$/);
      const user = (await fx.auth.authenticate(ok.sessionId)).user;
      assert.equal(user?.actor.roleId, 3);
      assert.equal(await fx.store.console.sessions.get(idHash(pending)), null, 'a new id');
      // Enrolled: sealed with the master key; the session keeps no offered secret.
      const state = await fx.store.console.twoFactor.get(A, fx.admin.id);
      assert.equal(master.decrypt(state?.totpSecret ?? '', 'console-totp-secret'), prompt.secret);
      assert.equal(state?.recoveryCodesLeft, RECOVERY_CODE_COUNT);
      const after = await fx.store.console.sessions.get(idHash(ok.sessionId));
      assert.equal(after?.pendingTotpSecret, null);
      // The next sign-in asks for a code, and shows no secret.
      fx.clock.advance(30_000);
      assert.deepEqual(await fx.auth.twoFactorPrompt(await signIn(fx)), {
        kind: 'code',
        accountId: A,
        roleName: 'Administrator',
      });
    } finally {
      await fx.close();
    }
  });

  it('treats an offered secret stored in clear (before it was sealed) as none: a new one is offered', async () => {
    const fx = await authFixture(f);
    try {
      const pending = await signIn(fx);
      const legacy = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      await fx.store.console.sessions.update(idHash(pending), { pendingTotpSecret: legacy });
      const r = await fx.auth.submitCode(pending, totpCode(legacy, fx.clock.now()));
      assert.equal(r.kind, 'invalid', 'a code of the clear secret does not enrol');
      if (r.kind !== 'invalid' || r.prompt.kind !== 'enrol') throw new Error('expected enrolment');
      assert.notEqual(r.prompt.secret, legacy);
      const ok = await fx.auth.submitCode(pending, totpCode(r.prompt.secret, fx.clock.now()));
      assert.equal(ok.kind, 'enrolled');
    } finally {
      await fx.close();
    }
  });

  it('accepts a TOTP code once: its time step cannot be used again (RFC 6238 §5.2)', async () => {
    const fx = await authFixture(f);
    try {
      const { secret } = await enrolAdmin(fx);
      const code = totpCode(secret, fx.clock.now());
      const first = await fx.auth.submitCode(await signIn(fx), code);
      assert.equal(first.kind, 'signed_in');
      assert.deepEqual(first.kind === 'signed_in' && first.usedRecoveryCode, false);
      const replayed = await fx.auth.submitCode(await signIn(fx), code);
      assert.equal(replayed.kind, 'invalid');
      // Still inside the ±1 step window 30 s later: the step was claimed, so still refused.
      fx.clock.advance(30_000);
      assert.equal((await fx.auth.submitCode(await signIn(fx), code)).kind, 'invalid');
      const fresh = await fx.auth.submitCode(await signIn(fx), totpCode(secret, fx.clock.now()));
      assert.equal(fresh.kind, 'signed_in');
    } finally {
      await fx.close();
    }
  });

  it('accepts each recovery code once, in any case and spacing', async () => {
    const fx = await authFixture(f);
    try {
      const { recoveryCodes } = await enrolAdmin(fx);
      const code = recoveryCodes[0] ?? '';
      const ok = await fx.auth.submitCode(await signIn(fx), code.toLowerCase().replace(/-/g, ' '));
      assert.equal(ok.kind, 'signed_in');
      if (ok.kind !== 'signed_in') return;
      assert.equal(ok.usedRecoveryCode, true);
      const user = (await fx.auth.authenticate(ok.sessionId)).user;
      assert.ok(user);
      assert.equal(await fx.auth.recoveryCodesLeft(user.actor), RECOVERY_CODE_COUNT - 1);
      assert.equal((await fx.auth.submitCode(await signIn(fx), code)).kind, 'invalid');
      assert.equal(await fx.auth.recoveryCodesLeft(user.actor), RECOVERY_CODE_COUNT - 1);
    } finally {
      await fx.close();
    }
  });

  it('counts wrong codes toward the lockout; the lock ends the half-finished sign-in', async () => {
    const fx = await authFixture(f);
    try {
      await enrolAdmin(fx);
      const pending = await signIn(fx);
      // The right password did not count: five wrong codes lock, not four.
      for (let i = 1; i < LOCKOUT.maxFailures; i++) {
        const r = await fx.auth.submitCode(pending, 'ABCD-EFGH-IJKL-MNOP');
        assert.equal(r.kind, 'invalid', `wrong code ${i}`);
      }
      const until = fx.clock.now() + LOCKOUT.lockMs;
      assert.deepEqual(await fx.auth.submitCode(pending, 'not a code'), { kind: 'locked', until });
      assert.equal(await fx.auth.twoFactorPrompt(pending), null, 'the session ended');
      assert.deepEqual(await fx.auth.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }), {
        kind: 'locked',
        until,
      });
    } finally {
      await fx.close();
    }
  });
});
