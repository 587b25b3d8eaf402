/**
 * The console-auth service's per-email lockout on every backend: wrong passwords lock the email
 * after five, a right password after fewer still signs in, and a concurrent burst gets no more
 * password checks than a sequence (each attempt is counted before its password is checked).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { SignInResult } from '../../src/service/console-auth/index.ts';
import { LOCKOUT } from '../../src/service/console-auth/index.ts';
import type { ConsoleAuthStore } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { authFixture, person, readerRole, sessionOf } from './console-auth-support.ts';

const EMAIL = 'grace@example.com';
const PASSWORD = 'grace password 123';

/** A count that can be awaited: `reach(n)` resolves once it is at least `n`. */
class Counter {
  value = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];
  bump(): void {
    this.value += 1;
    for (const w of this.waiters) if (this.value >= w.n) w.resolve();
  }
  reach(n: number): Promise<void> {
    if (this.value >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

/**
 * The real store with its password-hash reads held until `release()`, as when the password
 * checks (scrypt) are slower than the burst. `progress` counts the attempts that reached their
 * password check; the test adds those answered.
 */
function holdPasswordChecks() {
  const progress = new Counter();
  let checks = 0;
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => {
    release = r;
  });
  const wrap = (s: ConsoleAuthStore): ConsoleAuthStore => ({
    ...s,
    entities: {
      findByEmail: (email) => s.entities.findByEmail(email),
      setPasswordHash: (a, id, hash) => s.entities.setPasswordHash(a, id, hash),
      getPasswordHash: async (a, id) => {
        checks += 1;
        progress.bump();
        await released;
        return s.entities.getPasswordHash(a, id);
      },
    },
  });
  return { wrap, progress, checks: () => checks, release: () => release() };
}

describeEachStore('console-auth lockout', (f) => {
  it('is five failures within 15 minutes, locking the email for 15 minutes', () => {
    assert.deepEqual(LOCKOUT, { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 15 * 60_000 });
  });

  it('locks after five wrong passwords, refuses the right one while locked, then lets it in', async () => {
    const fx = await authFixture(f);
    try {
      await person(fx, EMAIL, PASSWORD, [await readerRole(fx)]);
      for (let i = 1; i < LOCKOUT.maxFailures; i++) {
        const r = await fx.auth.signIn({ email: EMAIL, password: `wrong ${i}` });
        assert.deepEqual(r, { kind: 'refused' }, `failure ${i}`);
      }
      const until = fx.clock.now() + LOCKOUT.lockMs;
      // Emails are compared without case: the fifth failure is the same email's.
      const fifth = await fx.auth.signIn({ email: EMAIL.toUpperCase(), password: 'wrong' });
      assert.deepEqual(fifth, { kind: 'locked', until });
      const right = await fx.auth.signIn({ email: EMAIL, password: PASSWORD });
      assert.deepEqual(right, { kind: 'locked', until });
      fx.clock.advance(LOCKOUT.lockMs);
      sessionOf(await fx.auth.signIn({ email: EMAIL, password: PASSWORD }), 'signed_in');
    } finally {
      await fx.close();
    }
  });

  it('a right password after fewer than five failures signs in, and clears the count', async () => {
    const fx = await authFixture(f);
    try {
      await person(fx, EMAIL, PASSWORD, [await readerRole(fx)]);
      for (let round = 0; round < 2; round++) {
        for (let i = 1; i < LOCKOUT.maxFailures; i++) {
          const r = await fx.auth.signIn({ email: EMAIL, password: `wrong ${i}` });
          assert.deepEqual(r, { kind: 'refused' }, `round ${round}, failure ${i}`);
        }
        const id = sessionOf(
          await fx.auth.signIn({ email: EMAIL, password: PASSWORD }),
          'signed_in',
        );
        assert.equal((await fx.auth.authenticate(id)).user?.entity.email, EMAIL);
      }
      assert.equal(await fx.store.console.lockout.lockedUntil(EMAIL, fx.clock.now()), null);
    } finally {
      await fx.close();
    }
  });

  it('in a burst of 19 wrong passwords and the right one, the right one is refused once the lock is reached', async () => {
    const hold = holdPasswordChecks();
    const fx = await authFixture(f, hold.wrap);
    try {
      await person(fx, EMAIL, PASSWORD, [await readerRole(fx)]);
      // An attempt answered before its password check was refused by the lockout: while the
      // checks are held, only those can be answered.
      const signIn = (password: string) => {
        const p = fx.auth.signIn({ email: EMAIL, password });
        void p.finally(() => hold.progress.bump());
        return p;
      };
      const wrong = Array.from({ length: 19 }, (_, i) => signIn(`wrong ${i}`));
      await hold.progress.reach(19);
      // Every wrong attempt is decided (held at its check, or refused): now the right one.
      const right = signIn(PASSWORD);
      await hold.progress.reach(20);
      hold.release();
      const results: SignInResult[] = await Promise.all([...wrong, right]);
      const until = fx.clock.now() + LOCKOUT.lockMs;
      assert.deepEqual(results[19], { kind: 'locked', until }, 'the right password is refused');
      assert.equal(hold.checks(), LOCKOUT.maxFailures, 'only five passwords were checked');
      assert.deepEqual(
        results.map((r) => r.kind),
        Array.from({ length: 20 }, () => 'locked'),
      );
    } finally {
      hold.release();
      await fx.close();
    }
  });
});
