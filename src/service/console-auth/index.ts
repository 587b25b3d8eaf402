/**
 * Console authentication as a service: password sign-in with the per-email lockout, the
 * choice of account and role, TOTP two-factor (enrolment, codes accepted once, recovery
 * codes), sessions (start, rotate, idle and absolute expiry, end), and the administrative
 * resets of a user's password and two-factor. The console passes what the browser sent (email,
 * password, code, the cookie's session id) and gets back results and new session ids; cookies,
 * CSRF and pages stay in the console. Nothing here starts a timer: `purgeExpired` is for a
 * background job to call every PURGE_INTERVAL_MS.
 */
import type { Actor } from '../context.ts';
import {
  resetTwoFactor,
  type SetPasswordInput,
  setConsolePassword,
  twoFactorStatus,
} from './admin.ts';
import { authenticate } from './authenticate.ts';
import { setFlash, takeFlash } from './flash.ts';
import { IDLE_TIMEOUT_MS, LOCKOUT } from './policy.ts';
import { sessions as sessionsOf } from './sessions.ts';
import { choicesOf, choose, signIn } from './sign-in.ts';
import { submitCode, twoFactorPrompt } from './two-factor.ts';
import type {
  Authenticated,
  Choice,
  ChooseResult,
  CodeResult,
  ConsoleAuthDeps,
  ConsoleFlash,
  EntityActor,
  PurgeResult,
  SignInResult,
  TwoFactorPrompt,
  TwoFactorStatus,
} from './types.ts';

export { type SetPasswordInput, storeRecords } from './admin.ts';
export { requiresTwoFactor } from './authenticate.ts';
export { FLASH_TTL_MS } from './flash.ts';
export * from './policy.ts';
export type * from './types.ts';

export interface ConsoleAuth {
  /** The session the cookie names, and its user once fully signed in. */
  authenticate(sessionId: string | undefined): Promise<Authenticated>;
  /** Step one. `previousSessionId` (the cookie, if any) is ended when a new session starts. */
  signIn(input: {
    email: string;
    password: string;
    previousSessionId?: string | undefined;
  }): Promise<SignInResult>;
  /** The accounts and roles to choose from; null when the session is not at that step. */
  choices(sessionId: string | undefined): Promise<Choice[] | null>;
  choose(sessionId: string | undefined, value: string): Promise<ChooseResult>;
  /** What the two-factor step shows; null when the session is not at that step. */
  twoFactorPrompt(sessionId: string | undefined): Promise<TwoFactorPrompt | null>;
  submitCode(sessionId: string | undefined, code: string): Promise<CodeResult>;
  signOut(sessionId: string | undefined): Promise<void>;
  /** The signed-in user's own unused recovery codes. */
  recoveryCodesLeft(actor: EntityActor): Promise<number>;
  /** Administrator: an entity's enrolment state. */
  twoFactorStatus(
    actor: Actor,
    accountId: string,
    entityId: number | string,
  ): Promise<TwoFactorStatus>;
  /** Administrator: forget the entity's two-factor enrolment; its sessions end; audited. */
  resetTwoFactor(actor: Actor, accountId: string, entityId: number | string): Promise<void>;
  /** Administrator: set or clear the entity's console password; its sessions end; audited. */
  setPassword(actor: Actor, input: SetPasswordInput): Promise<void>;
  /**
   * Keeps a value for the signed-in session's next page, sealed, replacing any earlier one
   * (POST/redirect/GET); false when the session is not signed in.
   */
  setFlash(sessionId: string | undefined, flash: ConsoleFlash): Promise<boolean>;
  /** The session's flash, at most once: taking it clears it, whatever it holds. */
  takeFlash(sessionId: string | undefined): Promise<ConsoleFlash | null>;
  /** Deletes expired sessions and lockout records that no longer count. */
  purgeExpired(now: number): Promise<PurgeResult>;
}

export function createConsoleAuth(deps: ConsoleAuthDeps): ConsoleAuth {
  const sessions = sessionsOf(deps);
  const store = deps.store.console;
  return {
    authenticate: (id) => authenticate(deps, sessions, id),
    signIn: (input) => signIn(deps, sessions, input),
    choices: async (id) => (await choicesOf(deps, sessions, id))?.choices ?? null,
    choose: (id, value) => choose(deps, sessions, id, value),
    twoFactorPrompt: (id) => twoFactorPrompt(deps, sessions, id),
    submitCode: (id, code) => submitCode(deps, sessions, id, code),
    signOut: (id) => sessions.end(id),
    recoveryCodesLeft: async (actor) =>
      (await store.twoFactor.get(actor.accountId, actor.entityId))?.recoveryCodesLeft ?? 0,
    twoFactorStatus: (actor, accountId, entityId) =>
      twoFactorStatus(deps, actor, accountId, entityId),
    resetTwoFactor: (actor, accountId, entityId) =>
      resetTwoFactor(deps, actor, accountId, entityId),
    setPassword: (actor, input) => setConsolePassword(deps, actor, input),
    setFlash: (id, flash) => setFlash(deps, sessions, id, flash),
    takeFlash: (id) => takeFlash(deps, sessions, id),
    async purgeExpired(now) {
      const [sessionCount, lockouts] = await Promise.all([
        store.sessions.expire(now, now - IDLE_TIMEOUT_MS),
        store.lockout.purge(now - LOCKOUT.windowMs - LOCKOUT.lockMs),
      ]);
      return { sessions: sessionCount, lockouts };
    },
  };
}
