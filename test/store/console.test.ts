/**
 * Conformance of the console port (sessions, two-factor state, sign-in lockout) on every
 * backend: SQLite always, PostgreSQL with CERTMINT_TEST_PG_URL.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { ConsoleSession, Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { DAY, randomId, sandbox, setup, T0 } from './fixtures.ts';

const MIN = 60_000;
const POLICY = { maxFailures: 3, windowMs: 15 * MIN, lockMs: 15 * MIN };

function session(over: Partial<ConsoleSession> = {}): ConsoleSession {
  return {
    idHash: randomId(),
    stage: 'choose',
    emailLc: 'ada@example.com',
    candidates: [],
    accountId: null,
    entityId: null,
    roleId: null,
    twoFactorDone: false,
    pendingTotpSecret: null,
    createdAt: T0,
    lastSeenAt: T0,
    expiresAt: T0 + DAY,
    ...over,
  };
}

describeEachStore('store: console', (f) => {
  let store: Store;
  before(async () => {
    store = await f.open();
  });
  after(() => store.close());

  it('creates and reads back a session exactly as written', async () => {
    const s = await setup(store, '500');
    const rec = session({
      stage: 'active',
      candidates: [{ accountId: '500', entityId: s.entityId }],
      accountId: '500',
      entityId: s.entityId,
      roleId: 3,
      twoFactorDone: true,
      pendingTotpSecret: 'JBSWY3DPEHPK3PXP',
    });
    await store.console.sessions.create(rec);
    assert.deepEqual(await store.console.sessions.get(rec.idHash), rec);
    assert.equal(await store.console.sessions.get(randomId()), null);
  });

  it('rotates a session to a new id: the old id stops working, the patch applies', async () => {
    const rec = session();
    await store.console.sessions.create(rec);
    const next = randomId();
    assert.equal(
      await store.console.sessions.rotate(rec.idHash, next, { stage: 'two_factor', roleId: 3 }),
      true,
    );
    assert.equal(await store.console.sessions.get(rec.idHash), null);
    assert.deepEqual(await store.console.sessions.get(next), {
      ...rec,
      idHash: next,
      stage: 'two_factor',
      roleId: 3,
    });
    // The old id cannot be rotated (or revived) again.
    assert.equal(await store.console.sessions.rotate(rec.idHash, randomId(), {}), false);
  });

  it('updates a session in place: only the patched fields change', async () => {
    const rec = session({ stage: 'active', twoFactorDone: true });
    await store.console.sessions.create(rec);
    assert.equal(
      await store.console.sessions.update(rec.idHash, {
        stage: 'two_factor',
        pendingTotpSecret: 'ABC',
      }),
      true,
    );
    assert.deepEqual(await store.console.sessions.get(rec.idHash), {
      ...rec,
      stage: 'two_factor',
      pendingTotpSecret: 'ABC',
    });
    assert.equal(
      await store.console.sessions.update(rec.idHash, { pendingTotpSecret: null }),
      true,
    );
    assert.equal((await store.console.sessions.get(rec.idHash))?.pendingTotpSecret, null);
    assert.equal(await store.console.sessions.update(rec.idHash, {}), true);
    assert.equal(await store.console.sessions.update(randomId(), { stage: 'active' }), false);
  });

  it('of two concurrent rotations of one id exactly one succeeds', async () => {
    const rec = session();
    await store.console.sessions.create(rec);
    const results = await Promise.all([
      store.console.sessions.rotate(rec.idHash, randomId(), {}),
      store.console.sessions.rotate(rec.idHash, randomId(), {}),
    ]);
    assert.deepEqual(results.sort(), [false, true]);
  });

  it('touches, deletes, and expires sessions by absolute and idle time', async () => {
    const live = session({ lastSeenAt: T0 + 50 * MIN });
    const idle = session({ lastSeenAt: T0 });
    const over = session({ lastSeenAt: T0 + 50 * MIN, expiresAt: T0 + 40 * MIN });
    for (const s of [live, idle, over]) await store.console.sessions.create(s);
    await store.console.sessions.touch(idle.idHash, T0 + 5 * MIN);
    assert.equal((await store.console.sessions.get(idle.idHash))?.lastSeenAt, T0 + 5 * MIN);
    const n = await store.console.sessions.expire(T0 + 60 * MIN, T0 + 30 * MIN);
    assert.ok(n >= 2, `expected at least 2 expired sessions, got ${n}`);
    assert.equal(await store.console.sessions.get(idle.idHash), null);
    assert.equal(await store.console.sessions.get(over.idHash), null);
    assert.notEqual(await store.console.sessions.get(live.idHash), null);
    await store.console.sessions.delete(live.idHash);
    assert.equal(await store.console.sessions.get(live.idHash), null);
  });

  it('a sandbox refresh deletes the sessions of the sandbox entities it replaces', async () => {
    const s = await setup(store, '510');
    await store.accounts.create(sandbox('510', 1));
    await store.accounts.refreshSandbox('510_SB1', '510', T0);
    const inSandbox = session({ stage: 'active', accountId: '510_SB1', entityId: s.entityId });
    const inProd = session({ stage: 'active', accountId: '510', entityId: s.entityId });
    await store.console.sessions.create(inSandbox);
    await store.console.sessions.create(inProd);
    await store.accounts.refreshSandbox('510_SB1', '510', T0 + 1);
    assert.equal(await store.console.sessions.get(inSandbox.idHash), null);
    assert.notEqual(await store.console.sessions.get(inProd.idHash), null);
  });

  it('stores the TOTP secret and recovery codes on the entity; a refresh copies them', async () => {
    const s = await setup(store, '520');
    assert.deepEqual(await store.console.twoFactor.get('520', s.entityId), {
      totpSecret: null,
      recoveryCodesLeft: 0,
    });
    assert.equal(await store.console.twoFactor.get('520', 999), null);
    assert.equal(await store.console.twoFactor.set('520', 999, 'X', []), false);
    assert.equal(
      await store.console.twoFactor.set('520', s.entityId, 'SECRET', ['h1', 'h2']),
      true,
    );
    assert.deepEqual(await store.console.twoFactor.get('520', s.entityId), {
      totpSecret: 'SECRET',
      recoveryCodesLeft: 2,
    });
    await store.accounts.create(sandbox('520', 1));
    await store.accounts.refreshSandbox('520_SB1', '520', T0);
    assert.deepEqual(await store.console.twoFactor.get('520_SB1', s.entityId), {
      totpSecret: 'SECRET',
      recoveryCodesLeft: 2,
    });
  });

  it('consumes a recovery code exactly once, even when two sign-ins race for it', async () => {
    const s = await setup(store, '530');
    await store.console.twoFactor.set('530', s.entityId, 'SECRET', ['h1', 'h2', 'h3']);
    assert.equal(await store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'h2'), true);
    assert.equal(await store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'h2'), false);
    assert.equal(await store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'zz'), false);
    const raced = await Promise.all([
      store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'h1'),
      store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'h1'),
    ]);
    assert.deepEqual(raced.sort(), [false, true]);
    assert.equal((await store.console.twoFactor.get('530', s.entityId))?.recoveryCodesLeft, 1);
    // Re-enrolment replaces the codes.
    await store.console.twoFactor.set('530', s.entityId, 'NEW', ['n1']);
    assert.equal(await store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'h3'), false);
    assert.equal(await store.console.twoFactor.consumeRecoveryCode('530', s.entityId, 'n1'), true);
    // Reset (lost device): nothing left, the next sign-in enrols again.
    assert.equal(await store.console.twoFactor.reset('530', s.entityId), true);
    assert.deepEqual(await store.console.twoFactor.get('530', s.entityId), {
      totpSecret: null,
      recoveryCodesLeft: 0,
    });
    assert.equal(await store.console.twoFactor.reset('530', 999), false);
  });

  it('keeps a flash until it is taken once; a newer one replaces it; a rotation drops it', async () => {
    const sessions = store.console.sessions;
    const rec = session({ stage: 'active' });
    await sessions.create(rec);
    assert.equal(await sessions.takeFlash(rec.idHash), null, 'none yet');
    assert.equal(await sessions.setFlash(rec.idHash, 'sealed-1'), true);
    assert.equal(await sessions.setFlash(rec.idHash, 'sealed-2'), true);
    assert.deepEqual(await sessions.get(rec.idHash), rec, 'the session itself is unchanged');
    assert.equal(await sessions.takeFlash(rec.idHash), 'sealed-2');
    assert.equal(await sessions.takeFlash(rec.idHash), null, 'taken once');
    // Concurrent takes (two reloads racing): exactly one gets the value.
    await sessions.setFlash(rec.idHash, 'sealed-3');
    const taken = await Promise.all(
      Array.from({ length: 6 }, () => sessions.takeFlash(rec.idHash)),
    );
    assert.deepEqual(
      taken.filter((t) => t !== null),
      ['sealed-3'],
    );
    await sessions.setFlash(rec.idHash, 'sealed-4');
    const next = randomId();
    assert.equal(await sessions.rotate(rec.idHash, next, {}), true);
    assert.equal(await sessions.takeFlash(next), null, 'a new id starts without a flash');
    assert.equal(await sessions.setFlash(randomId(), 'sealed-5'), false, 'no such session');
    assert.equal(await sessions.takeFlash(randomId()), null);
  });

  it('locks an email after maxFailures failures in the window, until lockMs has passed', async () => {
    const email = `lock-${randomId()}@example.com`;
    assert.equal(await store.console.lockout.lockedUntil(email, T0), null);
    assert.equal(await store.console.lockout.recordFailure(email, T0, POLICY), null);
    assert.equal(await store.console.lockout.recordFailure(email, T0 + MIN, POLICY), null);
    const until = T0 + 2 * MIN + POLICY.lockMs;
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 2 * MIN, POLICY), until);
    assert.equal(await store.console.lockout.lockedUntil(email, T0 + 3 * MIN), until);
    // Failures while locked do not extend the lock.
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 4 * MIN, POLICY), until);
    assert.equal(await store.console.lockout.lockedUntil(email, until), null);
    // After the lock a new window starts.
    assert.equal(await store.console.lockout.recordFailure(email, until + 1, POLICY), null);
  });

  it('starts a new window when the old one ran out, and clears on success', async () => {
    const email = `window-${randomId()}@example.com`;
    await store.console.lockout.recordFailure(email, T0, POLICY);
    await store.console.lockout.recordFailure(email, T0 + MIN, POLICY);
    // Outside the window: counts as the first failure again.
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 20 * MIN, POLICY), null);
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 21 * MIN, POLICY), null);
    await store.console.lockout.clear(email);
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 22 * MIN, POLICY), null);
    assert.equal(await store.console.lockout.recordFailure(email, T0 + 22 * MIN, POLICY), null);
    assert.notEqual(await store.console.lockout.recordFailure(email, T0 + 22 * MIN, POLICY), null);
  });

  it('counts concurrent failures without losing any', async () => {
    const email = `race-${randomId()}@example.com`;
    const policy = { ...POLICY, maxFailures: 8 };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => store.console.lockout.recordFailure(email, T0, policy)),
    );
    assert.equal(results.filter((r) => r !== null).length, 1);
    assert.equal(await store.console.lockout.lockedUntil(email, T0), T0 + policy.lockMs);
  });

  it('purges lockout records whose window and lock have ended', async () => {
    const old = `old-${randomId()}@example.com`;
    const recent = `recent-${randomId()}@example.com`;
    await store.console.lockout.recordFailure(old, T0, POLICY);
    await store.console.lockout.recordFailure(recent, T0 + 30 * MIN, POLICY);
    assert.ok((await store.console.lockout.purge(T0 + 20 * MIN)) >= 1);
    // The recent record survives: its next failure still counts as the second.
    await store.console.lockout.recordFailure(recent, T0 + 31 * MIN, POLICY);
    assert.notEqual(await store.console.lockout.recordFailure(recent, T0 + 32 * MIN, POLICY), null);
  });
});
