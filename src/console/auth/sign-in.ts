/**
 * Sign-in, step one and two: email + password, then (when the email belongs to entities in
 * several accounts, or the entity holds several roles) choose the account and role, as
 * NetSuite's "Choose Role" page. A role that requires two-factor authentication continues in
 * two-factor.ts; any other role is signed in.
 *
 * Brute force: a per-address rate limit on every sign-in POST, and a per-email lockout that
 * counts wrong passwords and wrong codes alike (store/ports.ts SignInLockoutStore). Unknown
 * emails cost the same scrypt as known ones and are counted too, so neither the answer nor
 * its timing tells whether an email exists.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { verifyPassword } from '../../service/index.ts';
import type { ConsoleCandidate } from '../../store/ports.ts';
import { field, rawField } from '../body.ts';
import { BASE, LOCKOUT, MAX_SIGN_IN_CANDIDATES, SIGN_IN_RATE_PER_MINUTE } from '../config.ts';
import { fmt, render } from '../render.ts';
import {
  advanceSession,
  type ConsoleEnv,
  endSession,
  requiresTwoFactor,
  startSession,
} from '../session.ts';

const WRONG = 'The email address or password is incorrect.';
const MAX_EMAIL_LENGTH = 320;

export const signInRateLimit = {
  rateLimit: { max: SIGN_IN_RATE_PER_MINUTE, timeWindow: 60_000 },
};

export const lockedMessage = (until: number): string =>
  `Too many failed sign-in attempts for this email address. Try again after ${fmt.time(until)} UTC.`;

export interface Choice {
  value: string;
  accountId: string;
  accountKind: string;
  entityId: number;
  roleId: number;
  roleName: string;
  twoFactor: boolean;
}

/** Every (account, entity, role) the candidates may sign in as: active entity, active role held. */
export async function choicesFor(
  env: ConsoleEnv,
  candidates: readonly ConsoleCandidate[],
): Promise<Choice[]> {
  const out: Choice[] = [];
  for (const c of candidates) {
    const [entity, account] = await Promise.all([
      env.ctx.cache.entity(c.accountId, c.entityId),
      env.ctx.cache.account(c.accountId),
    ]);
    if (!entity?.active || !account) continue;
    for (const roleId of entity.roleIds) {
      const role = await env.ctx.cache.role(c.accountId, roleId);
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

/** Counts a failure for the session's or form's email; returns the lock end if now locked. */
export function recordFailure(env: ConsoleEnv, emailLc: string): Promise<number | null> {
  return env.ctx.store.console.lockout.recordFailure(emailLc, env.ctx.clock.now(), LOCKOUT);
}

/** The entities whose password matches (at most MAX_SIGN_IN_CANDIDATES are tried). */
async function matchingEntities(
  env: ConsoleEnv,
  email: string,
  password: string,
): Promise<ConsoleCandidate[]> {
  const entities = (await env.ctx.store.entities.findByEmail(email)).slice(
    0,
    MAX_SIGN_IN_CANDIDATES,
  );
  if (entities.length === 0) {
    await verifyPassword(password, null); // same cost as a real check
    return [];
  }
  const out: ConsoleCandidate[] = [];
  for (const e of entities) {
    const hash = await env.ctx.store.entities.getPasswordHash(e.accountId, e.id);
    if ((await verifyPassword(password, hash)) && e.active) {
      out.push({ accountId: e.accountId, entityId: e.id });
    }
  }
  return out;
}

/** Continues the sign-in with one choice: to two-factor, or signed in. */
async function proceed(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  choice: Choice,
): Promise<FastifyReply> {
  const target = {
    accountId: choice.accountId,
    entityId: choice.entityId,
    roleId: choice.roleId,
    candidates: [],
    twoFactorDone: false,
    pendingTotpSecret: null,
  };
  if (choice.twoFactor) {
    if (!(await advanceSession(env, req, reply, { ...target, stage: 'two_factor' }, false))) {
      return reply.redirect(`${BASE}/login`, 303);
    }
    return reply.redirect(`${BASE}/login/two-factor`, 303);
  }
  const session = await advanceSession(env, req, reply, { ...target, stage: 'active' }, true);
  if (!session) return reply.redirect(`${BASE}/login`, 303);
  await env.ctx.store.console.lockout.clear(session.emailLc);
  return reply.redirect(`${BASE}/`, 303);
}

const loginPage = (
  req: FastifyRequest,
  reply: FastifyReply,
  data: { error?: string; notice?: string; email?: string },
  status = 200,
) => render(req, reply, 'login', data, { title: 'Sign in', status });

export async function signInRoutes(app: FastifyInstance, env: ConsoleEnv): Promise<void> {
  app.get('/login', async (req, reply) => {
    if (req.consoleUser) return reply.redirect(`${BASE}/`, 303);
    const q = req.query as Record<string, string | undefined>;
    const notice =
      q.signed_out === '1'
        ? 'You have signed out.'
        : q.expired === '1'
          ? 'Your session has ended. Sign in again.'
          : undefined;
    return loginPage(req, reply, notice ? { notice } : {});
  });

  app.post('/login', { config: signInRateLimit }, async (req, reply) => {
    const email = field(req, 'email').slice(0, MAX_EMAIL_LENGTH);
    const password = rawField(req, 'password');
    const emailLc = email.toLowerCase();
    if (email.length === 0 || password.length === 0) {
      return loginPage(req, reply, { error: WRONG, email }, 401);
    }
    const lockout = env.ctx.store.console.lockout;
    const locked = await lockout.lockedUntil(emailLc, env.ctx.clock.now());
    if (locked !== null) return loginPage(req, reply, { error: lockedMessage(locked), email }, 429);

    const candidates = await matchingEntities(env, email, password);
    if (candidates.length === 0) {
      const until = await recordFailure(env, emailLc);
      if (until !== null) {
        return loginPage(req, reply, { error: lockedMessage(until), email }, 429);
      }
      return loginPage(req, reply, { error: WRONG, email }, 401);
    }
    const choices = await choicesFor(env, candidates);
    if (choices.length === 0) {
      await endSession(env, req, reply);
      return loginPage(req, reply, {
        error: 'Your user has no active role. Ask an administrator to assign you one.',
        email,
      });
    }
    // A fresh session id now that the password is proven (any earlier session is ended).
    await startSession(env, req, reply, {
      stage: 'choose',
      emailLc,
      candidates,
      accountId: null,
      entityId: null,
      roleId: null,
      twoFactorDone: false,
      pendingTotpSecret: null,
    });
    const only = choices.length === 1 ? choices[0] : undefined;
    if (only) return proceed(env, req, reply, only);
    return reply.redirect(`${BASE}/login/choose`, 303);
  });

  app.get('/login/choose', async (req, reply) => {
    const session = req.consoleSession;
    if (session?.stage !== 'choose') return reply.redirect(`${BASE}/login`, 303);
    const choices = await choicesFor(env, session.candidates);
    return render(req, reply, 'choose', { choices }, { title: 'Choose account and role' });
  });

  app.post('/login/choose', { config: signInRateLimit }, async (req, reply) => {
    const session = req.consoleSession;
    if (session?.stage !== 'choose') return reply.redirect(`${BASE}/login`, 303);
    const choices = await choicesFor(env, session.candidates);
    // Only what the password unlocked is accepted, whatever the form says.
    const choice = choices.find((c) => c.value === field(req, 'choice'));
    if (!choice) {
      const error = 'Choose one of the listed accounts and roles.';
      return render(req, reply, 'choose', { choices, error }, { title: 'Choose', status: 400 });
    }
    return proceed(env, req, reply, choice);
  });

  app.post('/logout', async (req, reply) => {
    await endSession(env, req, reply);
    return reply.redirect(`${BASE}/login?signed_out=1`, 303);
  });
}
