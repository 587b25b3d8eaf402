/**
 * The administrative resets of console credentials on every backend: setting a user's
 * password and resetting its two-factor are for the Administrator of its account (the CLI
 * acts as `system`), end every session of the user, and are audited with their actor. A
 * refusal changes nothing, sessions and audit trail included.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import type { Actor } from '../../src/service/context.ts';
import { createAccount, SYSTEM, setPassword } from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  A,
  type AuthFixture,
  authFixture,
  enrolAdmin,
  person,
  readerRole,
  sessionOf,
} from './console-auth-support.ts';
import { entityActor } from './fixtures.ts';

const EMAIL = 'grace@example.com';
const PASSWORD = 'grace password 123';

/** Grace holds Reader and Administrator: one session at each stage, plus the admin's own. */
async function sessionsOfGrace(fx: AuthFixture) {
  const reader = await readerRole(fx);
  const grace = await person(fx, EMAIL, PASSWORD, [reader, 3]);
  const signIn = async () =>
    sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'choose');
  const choosing = await signIn();
  const active = sessionOf(
    await fx.auth.choose(await signIn(), `${A}:${grace.id}:${reader}`),
    'signed_in',
  );
  const twoFactor = sessionOf(
    await fx.auth.choose(await signIn(), `${A}:${grace.id}:3`),
    'two_factor',
  );
  const admin = await enrolAdmin(fx);
  return { grace, reader, ids: [choosing, active, twoFactor], adminSession: admin.sessionId };
}

/** Whether each session still exists (at whatever stage). */
const alive = async (fx: AuthFixture, ids: string[]) =>
  Promise.all(ids.map(async (id) => (await fx.auth.authenticate(id)).session !== null));

const trail = (fx: AuthFixture): Promise<AuditEvent[]> =>
  fx.store.audit.list({ accountId: A, limit: 100 });

const refused = (code: string, message: string) => (e: unknown) => {
  assert.ok(isDomainError(e), String(e));
  assert.equal(e.code, code);
  assert.equal(e.message, message);
  return true;
};

const NOT_ADMIN = refused(
  'permission.administrator_required',
  'only the Administrator role may do this; sign in with the Administrator role',
);
const OTHER_ACCOUNT = refused('permission.other_account', 'you are signed in to another account');

describeEachStore('console-auth administrative resets', (f) => {
  it("an Administrator sets a user's password: every session of the user ends, and it is audited", async () => {
    const fx = await authFixture(f);
    try {
      const { grace, ids, adminSession } = await sessionsOfGrace(fx);
      assert.deepEqual(await alive(fx, ids), [true, true, true]);
      const user = (await fx.auth.authenticate(adminSession)).user;
      assert.ok(user, 'the Administrator is signed in');
      const admin = user.actor;
      const at = fx.clock.now();
      await fx.auth.setPassword(admin, {
        accountId: A,
        entityId: String(grace.id),
        password: 'a new password 1',
      });
      assert.deepEqual(await alive(fx, ids), [false, false, false]);
      assert.equal(
        await alive(fx, [adminSession]).then((a) => a[0]),
        true,
        "others' sessions stay",
      );
      const [event] = await trail(fx);
      assert.deepEqual(
        { ...event, id: undefined },
        {
          id: undefined,
          at,
          accountId: A,
          type: 'password.reset',
          result: 'success',
          detail: null,
          clientId: null,
          certificateId: null,
          entityId: grace.id,
          roleId: null,
          remoteAddress: null,
          actor: fx.admin.id,
        },
      );
      assert.deepEqual(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), {
        kind: 'refused',
      });
      sessionOf(await fx.auth.signIn({ email: EMAIL, password: 'a new password 1' }), 'choose');
    } finally {
      await fx.close();
    }
  });

  it("an Administrator resets a user's two-factor: enrolment gone, sessions ended, audited", async () => {
    const fx = await authFixture(f);
    try {
      const { grace, ids, adminSession } = await sessionsOfGrace(fx);
      await fx.store.console.twoFactor.set(A, grace.id, 'sealed-secret', ['h1', 'h2']);
      const admin: Actor = {
        kind: 'entity',
        accountId: A,
        entityId: fx.admin.id,
        roleId: 3,
        permissions: [],
      };
      await fx.auth.resetTwoFactor(admin, A, grace.id);
      assert.deepEqual(await fx.auth.twoFactorStatus(SYSTEM, A, grace.id), {
        enrolled: false,
        recoveryCodesLeft: 0,
      });
      assert.deepEqual(await alive(fx, [...ids, adminSession]), [false, false, false, true]);
      const [event] = await trail(fx);
      assert.equal(event?.type, 'two_factor.reset');
      assert.equal(event?.entityId, grace.id);
      assert.equal(event?.actor, fx.admin.id);
      // Resetting one's own: one's own sessions end too.
      await fx.auth.resetTwoFactor(admin, A, fx.admin.id);
      assert.deepEqual(await alive(fx, [adminSession]), [false]);
    } finally {
      await fx.close();
    }
  });

  it('the CLI (system) path of setPassword is the same: sessions end, audited without an actor', async () => {
    const fx = await authFixture(f);
    try {
      const { grace, ids } = await sessionsOfGrace(fx);
      await setPassword(fx.svc, SYSTEM, { accountId: A, entityId: grace.id, password: null });
      assert.deepEqual(await alive(fx, ids), [false, false, false]);
      const [event] = await trail(fx);
      assert.equal(event?.type, 'password.reset');
      assert.equal(event?.entityId, grace.id);
      assert.equal(event?.actor, null);
      assert.deepEqual(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), {
        kind: 'refused',
      });
    } finally {
      await fx.close();
    }
  });

  it('refuses anyone but the Administrator of the account, and a refusal changes nothing', async () => {
    const fx = await authFixture(f);
    try {
      const { grace, ids, adminSession } = await sessionsOfGrace(fx);
      await fx.store.console.twoFactor.set(A, grace.id, 'sealed-secret', ['h1']);
      await createAccount(fx.svc, SYSTEM, { id: '654321' });
      const before = await trail(fx);
      const everything = entityActor(A, [
        'oauth2_authorized_apps_management',
        'integration_application',
        'oauth2_access_token_login',
        'oauth2_manage_own_certificates',
      ]);
      const elsewhere = entityActor('654321', [], 3);
      const input = { accountId: A, entityId: grace.id, password: 'a new password 1' };
      for (const [actor, check] of [
        [everything, NOT_ADMIN],
        [elsewhere, OTHER_ACCOUNT],
      ] as const) {
        await assert.rejects(fx.auth.setPassword(actor, input), check);
        await assert.rejects(fx.auth.resetTwoFactor(actor, A, grace.id), check);
        await assert.rejects(fx.auth.twoFactorStatus(actor, A, grace.id), check);
        await assert.rejects(setPassword(fx.svc, actor, input), check);
      }
      const admin = entityActor(A, [], 3);
      const missing = refused(
        'entity.not_found',
        `entity 999 does not exist in account ${A}: check the id against the list of entities`,
      );
      await assert.rejects(fx.auth.resetTwoFactor(admin, A, 999), missing);
      await assert.rejects(fx.auth.setPassword(admin, { ...input, entityId: 999 }), missing);
      await assert.rejects(
        fx.auth.setPassword(admin, { ...input, password: 'short' }),
        refused('password.too_short', 'the password is too short: use at least 10 characters'),
      );
      await assert.rejects(
        fx.auth.resetTwoFactor(admin, A, 'x'),
        (e: unknown) => isDomainError(e) && e.code === 'entity.invalid_id',
      );
      assert.deepEqual(await trail(fx), before);
      assert.deepEqual(await alive(fx, [...ids, adminSession]), [true, true, true, true]);
      assert.deepEqual(await fx.auth.twoFactorStatus(admin, A, grace.id), {
        enrolled: true,
        recoveryCodesLeft: 1,
      });
      sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'choose');
    } finally {
      await fx.close();
    }
  });
});
