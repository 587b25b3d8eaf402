/**
 * Sign-in, steps one and two: email + password, then (when the email belongs to entities in
 * several accounts, or the entity holds several roles) choose the account and role, as
 * NetSuite's "Choose Role" page. A role that requires two-factor authentication continues in
 * two-factor.ts; any other role is signed in.
 *
 * Brute force: a per-email lockout that counts wrong passwords and wrong codes alike. Each
 * attempt is counted before its password is checked (SignInLockoutStore.beginAttempt), so a
 * burst of concurrent guesses gets no more checks than a sequence would. Unknown emails cost
 * the same scrypt as known ones and are counted too, so neither the answer nor its timing
 * tells whether an email exists.
 */
import type { ConsoleCandidate, ConsoleSession } from '../../store/ports.ts';
import { verifyPassword } from '../records/passwords.ts';
import { requiresTwoFactor } from './authenticate.ts';
import { LOCKOUT, MAX_EMAIL_LENGTH, MAX_SIGN_IN_CANDIDATES } from './policy.ts';
import type { Sessions } from './sessions.ts';
import type { Choice, ChooseResult, ConsoleAuthDeps, Continued, SignInResult } from './types.ts';

/** Every (account, entity, role) the candidates may sign in as: active entity, active role held. */
export async function choicesFor(
  deps: ConsoleAuthDeps,
  candidates: readonly ConsoleCandidate[],
): Promise<Choice[]> {
  const out: Choice[] = [];
  for (const c of candidates) {
    const [entity, account] = await Promise.all([
      deps.records.entity(c.accountId, c.entityId),
      deps.records.account(c.accountId),
    ]);
    if (!entity?.active || !account) continue;
    for (const roleId of entity.roleIds) {
      const role = await deps.records.role(c.accountId, roleId);
      if (!role?.active) continue;
      out.push({
        value: `${c.accountId}:${c.entityId}:${role.id}`,
        accountId: c.accountId,
        accountKind: account.kind,
        entityId: c.entityId,
        roleId: role.id,
        roleName: role.name,
        twoFactor: requiresTwoFactor(role),
      });
    }
  }
  return out;
}

/** The active entities whose password matches (at most MAX_SIGN_IN_CANDIDATES are tried). */
async function matchingEntities(
  deps: ConsoleAuthDeps,
  email: string,
  password: string,
): Promise<ConsoleCandidate[]> {
  const entities = (await deps.store.entities.findByEmail(email)).slice(0, MAX_SIGN_IN_CANDIDATES);
  if (entities.length === 0) {
    await verifyPassword(password, null); // same cost as a real check
    return [];
  }
  const out: ConsoleCandidate[] = [];
  for (const e of entities) {
    const hash = await deps.store.entities.getPasswordHash(e.accountId, e.id);
    if ((await verifyPassword(password, hash)) && e.active) {
      out.push({ accountId: e.accountId, entityId: e.id });
    }
  }
  return out;
}

/** The session fields once a choice is made (candidates are no longer needed). */
const chosen = (choice: Choice) => ({
  stage: choice.twoFactor ? ('two_factor' as const) : ('active' as const),
  accountId: choice.accountId,
  entityId: choice.entityId,
  roleId: choice.roleId,
  candidates: [],
  twoFactorDone: false,
  pendingTotpSecret: null,
});

const continued = (choice: Choice, sessionId: string): Continued =>
  choice.twoFactor ? { kind: 'two_factor', sessionId } : { kind: 'signed_in', sessionId };

export async function signIn(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  input: { email: string; password: string; previousSessionId?: string | undefined },
): Promise<SignInResult> {
  const email = input.email.slice(0, MAX_EMAIL_LENGTH);
  const { password } = input;
  if (email.length === 0 || password.length === 0) return { kind: 'refused' };
  const emailLc = email.toLowerCase();
  const lockout = deps.store.console.lockout;
  const attempt = await lockout.beginAttempt(emailLc, deps.clock.now(), LOCKOUT);
  if (!attempt.allowed) return { kind: 'locked', until: attempt.lockedUntil };

  const candidates = await matchingEntities(deps, email, password);
  if (candidates.length === 0) {
    const until = await lockout.attemptFailed(emailLc, deps.clock.now(), LOCKOUT);
    return until === null ? { kind: 'refused' } : { kind: 'locked', until };
  }
  const choices = await choicesFor(deps, candidates);
  const only = choices.length === 1 ? choices[0] : undefined;
  if (only && !only.twoFactor) {
    await lockout.clear(emailLc);
  } else {
    // The password was right: not a failure. A role or a code is still to come.
    await lockout.attemptPassed(emailLc);
  }
  if (choices.length === 0) {
    await sessions.end(input.previousSessionId);
    return { kind: 'no_role' };
  }
  // A fresh session id now that the password is proven (any earlier session is ended).
  const prev = input.previousSessionId;
  const base = { emailLc, candidates, twoFactorDone: false, pendingTotpSecret: null };
  if (only) {
    const id = await sessions.start(prev, { ...base, ...chosen(only) }, !only.twoFactor);
    return continued(only, id);
  }
  const init = { ...base, stage: 'choose' as const, accountId: null, entityId: null, roleId: null };
  return { kind: 'choose', sessionId: await sessions.start(prev, init, false) };
}

/** The choices of a session at the choose step; null when it is not there. */
export async function choicesOf(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
): Promise<{ session: ConsoleSession; choices: Choice[] } | null> {
  const session = await sessions.current(sessionId);
  if (session?.stage !== 'choose') return null;
  return { session, choices: await choicesFor(deps, session.candidates) };
}

/** Continues with one choice; only what the password unlocked is accepted, whatever is sent. */
export async function choose(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
  value: string,
): Promise<ChooseResult> {
  const at = await choicesOf(deps, sessions, sessionId);
  if (!at) return { kind: 'no_session' };
  const choice = at.choices.find((c) => c.value === value);
  if (!choice) return { kind: 'invalid', choices: at.choices };
  const id = await sessions.advance(at.session, chosen(choice), !choice.twoFactor);
  if (id === null) return { kind: 'no_session' };
  if (!choice.twoFactor) await deps.store.console.lockout.clear(at.session.emailLc);
  return continued(choice, id);
}
