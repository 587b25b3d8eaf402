/**
 * Sign-in, step three, for roles that require two-factor authentication (NetSuite requires it
 * for "OAuth 2.0 Authorized Applications Management"): TOTP enrolment on first use (the secret
 * offered, recovery codes given once after the first code confirms it), then a TOTP code or a
 * one-time recovery code at every sign-in. Codes are counted by the same per-email lockout as
 * passwords, before they are checked; a lockout ends the half-finished session.
 */
import type { ConsoleSession, TwoFactorRecord } from '../../store/ports.ts';
import { LOCKOUT } from './policy.ts';
import type { Sessions } from './sessions.ts';
import {
  hashRecoveryCode,
  isTotpCode,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  openEnrolled,
  openPending,
  otpauthUri,
  sealEnrolled,
  sealPending,
  verifyTotp,
} from './totp.ts';
import type { CodeResult, ConsoleAuthDeps, TwoFactorPrompt } from './types.ts';

type Pending = ConsoleSession & { accountId: string; entityId: number; roleId: number };

interface AtTwoFactor {
  session: Pending;
  state: TwoFactorRecord;
}

/** The session, if it is at the two-factor step, and its entity's two-factor state. */
async function atTwoFactor(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
): Promise<AtTwoFactor | null> {
  const s = await sessions.current(sessionId);
  if (s?.stage !== 'two_factor' || s.accountId === null) return null;
  if (s.entityId === null || s.roleId === null) return null;
  const state = await deps.store.console.twoFactor.get(s.accountId, s.entityId);
  return state ? { session: s as Pending, state } : null;
}

/** What the step shows: a secret to enrol (offered once per session), or a request for a code. */
async function promptFor(deps: ConsoleAuthDeps, at: AtTwoFactor): Promise<TwoFactorPrompt> {
  const s = at.session;
  const [role, entity] = await Promise.all([
    deps.records.role(s.accountId, s.roleId),
    deps.records.entity(s.accountId, s.entityId),
  ]);
  const roleName = role?.name ?? `role ${s.roleId}`;
  if (at.state.totpSecret !== null) return { kind: 'code', accountId: s.accountId, roleName };
  let secret = openPending(deps.master, s.accountId, s.entityId, s.pendingTotpSecret);
  if (secret === null) {
    secret = newTotpSecret();
    const sealed = sealPending(deps.master, s.accountId, s.entityId, secret);
    await deps.store.console.sessions.update(s.idHash, { pendingTotpSecret: sealed });
    s.pendingTotpSecret = sealed;
  }
  const label = `${entity?.email ?? entity?.name ?? s.emailLc} (${s.accountId})`;
  return { kind: 'enrol', secret, uri: otpauthUri(secret, label), roleName };
}

export async function twoFactorPrompt(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
): Promise<TwoFactorPrompt | null> {
  const at = await atTwoFactor(deps, sessions, sessionId);
  return at ? promptFor(deps, at) : null;
}

/** What a code proved: nothing, the offered secret (enrolment), a TOTP code or a recovery code. */
type Checked =
  | { kind: 'wrong' }
  | { kind: 'enrol'; secret: string }
  | { kind: 'totp' | 'recovery' };

/** Checks the code without counting it; a recovery code that matches is used up. */
async function check(deps: ConsoleAuthDeps, at: AtTwoFactor, code: string): Promise<Checked> {
  const s = at.session;
  const now = deps.clock.now();
  const replayKey = `${s.accountId}:${s.entityId}`;
  const totp = (secret: string) => verifyTotp(deps.store.replay, secret, code, now, replayKey);
  if (at.state.totpSecret === null) {
    // Enrolment: the first code proves the app holds the secret offered to this session.
    const secret = openPending(deps.master, s.accountId, s.entityId, s.pendingTotpSecret);
    return secret !== null && (await totp(secret)) ? { kind: 'enrol', secret } : { kind: 'wrong' };
  }
  if (isTotpCode(code)) {
    const ok = await totp(openEnrolled(deps.master, at.state.totpSecret));
    return { kind: ok ? 'totp' : 'wrong' };
  }
  if (!looksLikeRecoveryCode(code)) return { kind: 'wrong' };
  const used = await deps.store.console.twoFactor.consumeRecoveryCode(
    s.accountId,
    s.entityId,
    hashRecoveryCode(code),
  );
  return { kind: used ? 'recovery' : 'wrong' };
}

export async function submitCode(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
  rawCode: string,
): Promise<CodeResult> {
  const at = await atTwoFactor(deps, sessions, sessionId);
  if (!at) return { kind: 'no_session' };
  const s = at.session;
  const lockout = deps.store.console.lockout;
  const attempt = await lockout.beginAttempt(s.emailLc, deps.clock.now(), LOCKOUT);
  if (!attempt.allowed) {
    await deps.store.console.sessions.delete(s.idHash);
    return { kind: 'locked', until: attempt.lockedUntil };
  }
  const checked = await check(deps, at, rawCode.replace(/\s+/g, ''));
  if (checked.kind === 'wrong') {
    const until = await lockout.attemptFailed(s.emailLc, deps.clock.now(), LOCKOUT);
    if (until === null) return { kind: 'invalid', prompt: await promptFor(deps, at) };
    await deps.store.console.sessions.delete(s.idHash);
    return { kind: 'locked', until };
  }
  let recoveryCodes: string[] | null = null;
  if (checked.kind === 'enrol') {
    recoveryCodes = newRecoveryCodes();
    await deps.store.console.twoFactor.set(
      s.accountId,
      s.entityId,
      sealEnrolled(deps.master, checked.secret),
      recoveryCodes.map(hashRecoveryCode),
    );
  }
  const patch = { stage: 'active', twoFactorDone: true, pendingTotpSecret: null } as const;
  const id = await sessions.advance(s, patch, true);
  if (id === null) return { kind: 'no_session' };
  await lockout.clear(s.emailLc);
  return recoveryCodes
    ? { kind: 'enrolled', sessionId: id, recoveryCodes }
    : { kind: 'signed_in', sessionId: id, usedRecoveryCode: checked.kind === 'recovery' };
}
