/**
 * Sign-in pages, steps one and two: email + password, then (when the password opens several
 * accounts or roles) choose the account and role, as NetSuite's "Choose Role" page. The
 * console-auth service decides; these routes render its answers, set the cookie it issues and
 * redirect to the next step.
 *
 * Brute force: a per-address rate limit on every sign-in POST here, and in the service a
 * per-email lockout that counts wrong passwords and wrong codes alike.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseAccountId } from '../../domain/account.ts';
import type { Continued } from '../../service/console-auth/index.ts';
import { field, rawField } from '../body.ts';
import { BASE, SIGN_IN_RATE_PER_MINUTE } from '../config.ts';
import { fmt, render } from '../render.ts';
import { type ConsoleEnv, endSession, forgetSession, sessionIdOf, useSession } from '../session.ts';

const WRONG = 'The email address or password is incorrect.';

export const signInRateLimit = {
  rateLimit: { max: SIGN_IN_RATE_PER_MINUTE, timeWindow: 60_000 },
};

export const lockedMessage = (until: number): string =>
  `Too many failed sign-in attempts for this email address. Try again after ${fmt.time(until)} UTC.`;

/** A well-formed account id (canonical form), or null: it is only ever echoed in a notice. */
function accountIdOrNull(input: unknown): string | null {
  if (typeof input !== 'string' || input === '') return null;
  try {
    return parseAccountId(input).id;
  } catch {
    return null;
  }
}

const NEXT: Record<Continued['kind'], string> = {
  choose: `${BASE}/login/choose`,
  two_factor: `${BASE}/login/two-factor`,
  signed_in: `${BASE}/`,
};

/** A step passed: the new session id to the browser, then on to the next step. */
function onward(env: ConsoleEnv, req: FastifyRequest, reply: FastifyReply, next: Continued) {
  useSession(env, req, reply, next.sessionId);
  return reply.redirect(NEXT[next.kind], 303);
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
    const next = accountIdOrNull(q.account);
    const notice =
      q.signed_out === '1'
        ? next
          ? `You have signed out. Sign in again and choose ${next} to work in it.`
          : 'You have signed out.'
        : q.expired === '1'
          ? 'Your session has ended. Sign in again.'
          : undefined;
    return loginPage(req, reply, notice ? { notice } : {});
  });

  app.post('/login', { config: signInRateLimit }, async (req, reply) => {
    const email = field(req, 'email');
    const result = await env.auth.signIn({
      email,
      password: rawField(req, 'password'),
      previousSessionId: sessionIdOf(env, req),
    });
    switch (result.kind) {
      case 'refused':
        return loginPage(req, reply, { error: WRONG, email }, 401);
      case 'locked':
        return loginPage(req, reply, { error: lockedMessage(result.until), email }, 429);
      case 'no_role':
        forgetSession(env, req, reply); // the service ended any earlier session
        return loginPage(req, reply, {
          error: 'Your user has no active role. Ask an administrator to assign you one.',
          email,
        });
      default:
        return onward(env, req, reply, result);
    }
  });

  app.get('/login/choose', async (req, reply) => {
    const choices = await env.auth.choices(sessionIdOf(env, req));
    if (!choices) return reply.redirect(`${BASE}/login`, 303);
    return render(req, reply, 'choose', { choices }, { title: 'Choose account and role' });
  });

  app.post('/login/choose', { config: signInRateLimit }, async (req, reply) => {
    const result = await env.auth.choose(sessionIdOf(env, req), field(req, 'choice'));
    if (result.kind === 'no_session') return reply.redirect(`${BASE}/login`, 303);
    if (result.kind === 'invalid') {
      const error = 'Choose one of the listed accounts and roles.';
      const data = { choices: result.choices, error };
      return render(req, reply, 'choose', data, { title: 'Choose', status: 400 });
    }
    return onward(env, req, reply, result);
  });

  // "Sign in to <sandbox>" on the Accounts page signs out and names the account to choose.
  app.post('/logout', async (req, reply) => {
    await endSession(env, req, reply);
    const next = accountIdOrNull(field(req, 'account'));
    const then = next ? `&account=${encodeURIComponent(next)}` : '';
    return reply.redirect(`${BASE}/login?signed_out=1${then}`, 303);
  });
}
