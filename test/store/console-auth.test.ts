/**
 * Conformance of the console-auth store methods on every backend: the sign-in lockout counted
 * before the credential is checked (one atomic step, so a concurrent burst gets no more checks
 * than a sequence), and the end of every session of one entity.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import type { ConsoleSession, SignInLockoutStore, Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const POLICY = { maxFailures: 3, windowMs: 15 * MIN, lockMs: 15 * MIN };

const randomId = (): string => randomBytes(32).toString('base64url');
const newEmail = (tag: string): string => `${tag}-${randomId().slice(0, 10)}@example.com`;

function session(over: Partial<ConsoleSession> = {}): ConsoleSession {
  return {
    idHash: randomId(),
    stage: 'active',
    emailLc: 'ada@example.com',
    candidates: [],
    accountId: null,
    entityId: null,
    roleId: null,
    twoFactorDone: false,
    pendingTotpSecret: null,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + 60 * MIN,
    ...over,
  };
}

/** One attempt: counted, then failed; returns what the failure answered (a lock end or null). */
async function fail(lockout: SignInLockoutStore, email: string, at: number) {
  assert.deepEqual(await lockout.beginAttempt(email, at, POLICY), { allowed: true });
  return lockout.attemptFailed(email, at, POLICY);
}

describeEachStore('store: console-auth', (f) => {
  let store: Store;
  let lockout: SignInLockoutStore;
  before(async () => {
    store = await f.open();
    lockout = store.console.lockout;
  });
  after(() => store.close());

  it('allows maxFailures attempts; the last failure locks, and a locked email is refused unchecked', async () => {
    const email = newEmail('lock');
    assert.equal(await fail(lockout, email, T0), null);
    assert.equal(await fail(lockout, email, T0 + MIN), null);
    const until = T0 + 2 * MIN + POLICY.lockMs;
    assert.equal(await fail(lockout, email, T0 + 2 * MIN), until);
    assert.deepEqual(await lockout.beginAttempt(email, T0 + 3 * MIN, POLICY), {
      allowed: false,
      lockedUntil: until,
    });
    assert.equal(await lockout.lockedUntil(email, T0 + 3 * MIN), until);
    // Attempts refused while locked do not extend the lock; after it a new window starts.
    assert.deepEqual(await lockout.beginAttempt(email, until - 1, POLICY), {
      allowed: false,
      lockedUntil: until,
    });
    assert.equal(await fail(lockout, email, until), null);
    assert.equal(await fail(lockout, email, until + 1), null);
  });

  it('allows the attempt after fewer than maxFailures failures, and clears on success', async () => {
    const email = newEmail('fewer');
    await fail(lockout, email, T0);
    await fail(lockout, email, T0);
    // The third attempt is allowed: it is the one that would lock only if it failed too.
    assert.deepEqual(await lockout.beginAttempt(email, T0, POLICY), { allowed: true });
    await lockout.clear(email);
    assert.equal(await fail(lockout, email, T0), null);
    assert.equal(await fail(lockout, email, T0), null);
  });

  it('counts the attempt that goes over the limit as the lock, before any failure is reported', async () => {
    const email = newEmail('over');
    for (let i = 0; i < POLICY.maxFailures; i++) {
      assert.deepEqual(await lockout.beginAttempt(email, T0, POLICY), { allowed: true });
    }
    // The checks are still running (no failure reported yet): the next attempt is refused.
    assert.deepEqual(await lockout.beginAttempt(email, T0 + 1, POLICY), {
      allowed: false,
      lockedUntil: T0 + 1 + POLICY.lockMs,
    });
    assert.equal(await lockout.attemptFailed(email, T0 + 2, POLICY), T0 + 1 + POLICY.lockMs);
  });

  it('of 20 concurrent attempts exactly maxFailures are allowed', async () => {
    const email = newEmail('burst');
    const policy = { ...POLICY, maxFailures: 5 };
    const results = await Promise.all(
      Array.from({ length: 20 }, () => lockout.beginAttempt(email, T0, policy)),
    );
    assert.equal(results.filter((r) => r.allowed).length, 5);
    for (const r of results.filter((x) => !x.allowed)) {
      assert.deepEqual(r, { allowed: false, lockedUntil: T0 + policy.lockMs });
    }
    assert.equal(await lockout.lockedUntil(email, T0), T0 + policy.lockMs);
  });

  it('gives back an attempt whose credential was right (the sign-in goes on)', async () => {
    const email = newEmail('passed');
    await fail(lockout, email, T0);
    assert.deepEqual(await lockout.beginAttempt(email, T0, POLICY), { allowed: true });
    await lockout.attemptPassed(email);
    // Still one failure counted: two more lock, not one.
    assert.equal(await fail(lockout, email, T0), null);
    assert.equal(await fail(lockout, email, T0), T0 + POLICY.lockMs);
    // Giving back does not lift a lock, and an unknown email is a no-op.
    await lockout.attemptPassed(email);
    assert.equal(await lockout.lockedUntil(email, T0), T0 + POLICY.lockMs);
    await lockout.attemptPassed(newEmail('unknown'));
  });

  it('starts a new window when the old one ran out', async () => {
    const email = newEmail('window');
    await fail(lockout, email, T0);
    await fail(lockout, email, T0 + MIN);
    assert.equal(await fail(lockout, email, T0 + POLICY.windowMs), null);
    assert.equal(await fail(lockout, email, T0 + POLICY.windowMs), null);
    assert.notEqual(await fail(lockout, email, T0 + POLICY.windowMs), null);
  });

  it('a failure reported after a success cleared the email counts as the first', async () => {
    const email = newEmail('cleared');
    await fail(lockout, email, T0);
    await fail(lockout, email, T0);
    assert.deepEqual(await lockout.beginAttempt(email, T0, POLICY), { allowed: true });
    await lockout.clear(email);
    assert.equal(await lockout.attemptFailed(email, T0, POLICY), null);
    assert.equal(await fail(lockout, email, T0), null);
    assert.equal(await fail(lockout, email, T0), T0 + POLICY.lockMs);
  });

  it('ends every session of one entity, at every stage, and no other', async () => {
    await store.accounts.create({
      id: '700',
      kind: 'production',
      parentId: null,
      createdAt: T0,
      refreshedAt: null,
    });
    const make = (name: string) =>
      store.entities.create({
        accountId: '700',
        name,
        email: null,
        type: 'employee',
        active: true,
      });
    const [ada, bob] = [await make('Ada'), await make('Bob')];
    const of = (e: { id: number }, over: Partial<ConsoleSession>) =>
      session({ accountId: '700', entityId: e.id, roleId: 3, ...over });
    const adaActive = of(ada, {});
    const adaTwoFactor = of(ada, { stage: 'two_factor' });
    // Still choosing: only its candidates name the entity (its password opened them).
    const adaChoosing = session({
      stage: 'choose',
      candidates: [
        { accountId: '700_SB1', entityId: ada.id },
        { accountId: '700', entityId: ada.id },
      ],
    });
    const bobActive = of(bob, {});
    const bobChoosing = session({
      stage: 'choose',
      candidates: [
        { accountId: '700', entityId: bob.id },
        { accountId: '7000', entityId: ada.id },
      ],
    });
    const all = [adaActive, adaTwoFactor, adaChoosing, bobActive, bobChoosing];
    for (const s of all) await store.console.sessions.create(s);

    assert.equal(await store.console.sessions.deleteForEntity('700', ada.id), 3);
    for (const s of [adaActive, adaTwoFactor, adaChoosing]) {
      assert.equal(await store.console.sessions.get(s.idHash), null);
    }
    assert.deepEqual(await store.console.sessions.get(bobActive.idHash), bobActive);
    assert.deepEqual(await store.console.sessions.get(bobChoosing.idHash), bobChoosing);
    assert.equal(await store.console.sessions.deleteForEntity('700', ada.id), 0);
    assert.equal(await store.console.sessions.deleteForEntity('700', 999), 0);
  });
});
