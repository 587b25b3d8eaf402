/**
 * The console's one-time flash on every backend: kept sealed in the session row (never in
 * clear), shown once, only to the signed-in session that set it, and not after FLASH_TTL_MS.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { type ConsoleFlash, FLASH_TTL_MS } from '../../src/service/console-auth/index.ts';
import { describeEachStore } from '../support/stores.ts';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  authFixture,
  enrolAdmin,
  idHash,
  person,
  readerRole,
  sessionOf,
} from './console-auth-support.ts';

const SECRET = 'a'.repeat(64);
const flash = { kind: 'integration_created', integrationId: 7, clientSecret: SECRET } as const;

describeEachStore('console-auth flash', (f) => {
  it('is sealed at rest and handed out once', async () => {
    const fx = await authFixture(f);
    try {
      const { sessionId } = await enrolAdmin(fx);
      assert.equal(await fx.auth.setFlash(sessionId, flash), true);
      // What the store holds is sealed: neither the secret nor the JSON is readable.
      const sessions = fx.store.console.sessions;
      const sealed = await sessions.takeFlash(idHash(sessionId));
      assert.ok(sealed);
      assert.equal(sealed.includes(SECRET), false);
      assert.equal(sealed.includes('integration_created'), false);
      await sessions.setFlash(idHash(sessionId), sealed);

      assert.deepEqual(await fx.auth.takeFlash(sessionId), flash);
      assert.equal(await fx.auth.takeFlash(sessionId), null, 'a reload shows nothing');
      // Another kind replaces the earlier one; the last one set is what the next page gets.
      await fx.auth.setFlash(sessionId, flash);
      const codes: ConsoleFlash = { kind: 'recovery_codes', codes: ['ABCD-EFGH-IJKL-MNOP'] };
      await fx.auth.setFlash(sessionId, codes);
      assert.deepEqual(await fx.auth.takeFlash(sessionId), codes);
    } finally {
      await fx.close();
    }
  });

  it('belongs to one signed-in session: not to another, not before sign-in, not after sign-out', async () => {
    const fx = await authFixture(f);
    try {
      const { sessionId } = await enrolAdmin(fx);
      const reader = await readerRole(fx);
      await person(fx, 'ann@example.com', 'ann password 1234', [reader]);
      const other = sessionOf(
        await fx.auth.signIn({ email: 'ann@example.com', password: 'ann password 1234' }),
        'signed_in',
      );
      await fx.auth.setFlash(sessionId, flash);
      assert.equal(await fx.auth.takeFlash(other), null);
      assert.equal(await fx.auth.takeFlash(undefined), null);
      assert.equal(await fx.auth.takeFlash('x'.repeat(43)), null);
      // A value sealed for one entity does not open in another's session.
      const sealed = await fx.store.console.sessions.takeFlash(idHash(sessionId));
      assert.ok(sealed);
      await fx.store.console.sessions.setFlash(idHash(other), sealed);
      assert.equal(await fx.auth.takeFlash(other), null);
      // Half-way through a sign-in (two-factor still to come) nothing is kept.
      const pending = sessionOf(
        await fx.auth.signIn({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
        'two_factor',
      );
      assert.equal(await fx.auth.setFlash(pending, flash), false);
      await fx.auth.setFlash(other, flash);
      await fx.auth.signOut(other);
      assert.equal(await fx.auth.takeFlash(other), null);
    } finally {
      await fx.close();
    }
  });

  it('is not shown once FLASH_TTL_MS has passed', async () => {
    const fx = await authFixture(f);
    try {
      const { sessionId } = await enrolAdmin(fx);
      await fx.auth.setFlash(sessionId, flash);
      fx.clock.advance(FLASH_TTL_MS + 1);
      assert.equal(await fx.auth.takeFlash(sessionId), null);
      await fx.auth.setFlash(sessionId, flash);
      fx.clock.advance(FLASH_TTL_MS);
      assert.deepEqual(await fx.auth.takeFlash(sessionId), flash);
    } finally {
      await fx.close();
    }
  });
});
