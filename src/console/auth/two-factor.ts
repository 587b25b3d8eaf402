/**
 * Sign-in, step three, for roles that require two-factor authentication (NetSuite requires it
 * for "OAuth 2.0 Authorized Applications Management"): TOTP enrolment on first use (QR code,
 * key and otpauth URI; recovery codes shown once after the first code confirms it), then a
 * TOTP code or a one-time recovery code at every sign-in. Wrong codes count toward the same
 * per-email lockout as wrong passwords; a lockout ends the half-finished session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSession } from '../../store/ports.ts';
import { field } from '../body.ts';
import { BASE } from '../config.ts';
import { render } from '../render.ts';
import { advanceSession, type ConsoleEnv, endSession } from '../session.ts';
import { lockedMessage, recordFailure, signInRateLimit } from './sign-in.ts';
import {
  enrolment,
  hashRecoveryCode,
  isTotpCode,
  looksLikeRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  verifyTotp,
} from './totp.ts';

/**
 * AAD of an encrypted TOTP secret. Not bound to the account: a sandbox refresh copies the
 * production entities' two-factor enrolment into the sandbox, where it must still open.
 */
const TOTP_CONTEXT = 'console-totp-secret';

type Pending = ConsoleSession & { accountId: string; entityId: number; roleId: number };

function pendingOf(req: FastifyRequest): Pending | null {
  const s = req.consoleSession;
  if (s?.stage !== 'two_factor' || s.accountId === null) return null;
  if (s.entityId === null || s.roleId === null) return null;
  return s as Pending;
}

async function labels(env: ConsoleEnv, s: Pending): Promise<{ roleName: string; label: string }> {
  const [role, entity] = await Promise.all([
    env.ctx.cache.role(s.accountId, s.roleId),
    env.ctx.cache.entity(s.accountId, s.entityId),
  ]);
  return {
    roleName: role?.name ?? `role ${s.roleId}`,
    label: `${entity?.email ?? entity?.name ?? s.emailLc} (${s.accountId})`,
  };
}

async function enrolPage(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  s: Pending,
  error?: string,
): Promise<FastifyReply> {
  let secret = s.pendingTotpSecret;
  if (secret === null) {
    secret = newTotpSecret();
    await env.ctx.store.console.sessions.update(s.idHash, { pendingTotpSecret: secret });
  }
  const { roleName, label } = await labels(env, s);
  const e = await enrolment(secret, label);
  return render(
    req,
    reply,
    'enrol',
    { ...e, secret, roleName, ...(error && { error }) },
    { title: 'Set up two-factor authentication', status: error ? 400 : 200 },
  );
}

async function codePage(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  s: Pending,
  error?: string,
): Promise<FastifyReply> {
  const { roleName } = await labels(env, s);
  return render(
    req,
    reply,
    'two-factor',
    { accountId: s.accountId, roleName, ...(error && { error }) },
    { title: 'Two-factor authentication', status: error ? 400 : 200 },
  );
}

/** Wrong code: count it; when that locks the email, end the session and say until when. */
async function refuse(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  s: Pending,
  again: (error: string) => Promise<FastifyReply>,
): Promise<FastifyReply> {
  const until = await recordFailure(env, s.emailLc);
  if (until === null) return again('That code is not valid. Check your app and try again.');
  await endSession(env, req, reply);
  return render(
    req,
    reply,
    'login',
    { error: lockedMessage(until) },
    { title: 'Sign in', status: 429 },
  );
}

async function signedIn(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  s: Pending,
): Promise<boolean> {
  const patch = { stage: 'active', twoFactorDone: true, pendingTotpSecret: null } as const;
  if (!(await advanceSession(env, req, reply, patch, true))) return false;
  await env.ctx.store.console.lockout.clear(s.emailLc);
  return true;
}

export async function twoFactorRoutes(app: FastifyInstance, env: ConsoleEnv): Promise<void> {
  const twoFactor = env.ctx.store.console.twoFactor;

  app.get('/login/two-factor', async (req, reply) => {
    const s = pendingOf(req);
    if (!s) return reply.redirect(`${BASE}/login`, 303);
    const state = await twoFactor.get(s.accountId, s.entityId);
    if (!state) return reply.redirect(`${BASE}/login`, 303);
    return state.totpSecret === null ? enrolPage(env, req, reply, s) : codePage(env, req, reply, s);
  });

  app.post('/login/two-factor', { config: signInRateLimit }, async (req, reply) => {
    const s = pendingOf(req);
    if (!s) return reply.redirect(`${BASE}/login`, 303);
    const state = await twoFactor.get(s.accountId, s.entityId);
    if (!state) return reply.redirect(`${BASE}/login`, 303);
    const code = field(req, 'code').replace(/\s+/g, '');
    const now = env.ctx.clock.now();
    const replayKey = `${s.accountId}:${s.entityId}`;

    if (state.totpSecret === null) {
      // Enrolment: the first code proves the app holds the secret offered on this page.
      const secret = s.pendingTotpSecret;
      const ok = secret !== null && (await verifyTotp(env.ctx.store, secret, code, now, replayKey));
      if (!ok || secret === null) {
        return refuse(env, req, reply, s, (e) => enrolPage(env, req, reply, s, e));
      }
      const codes = newRecoveryCodes();
      // At rest the secret is encrypted with the master key (AES-256-GCM), like signing keys.
      const sealed = env.ctx.master.encrypt(secret, TOTP_CONTEXT);
      await twoFactor.set(s.accountId, s.entityId, sealed, codes.map(hashRecoveryCode));
      if (!(await signedIn(env, req, reply, s))) return reply.redirect(`${BASE}/login`, 303);
      req.consoleUser = null; // the layout shows no menu on this interstitial page
      return render(req, reply, 'recovery-codes', { codes }, { title: 'Recovery codes' });
    }

    let ok = false;
    let usedRecovery = false;
    if (isTotpCode(code)) {
      const secret = env.ctx.master.decrypt(state.totpSecret, TOTP_CONTEXT);
      ok = await verifyTotp(env.ctx.store, secret, code, now, replayKey);
    } else if (looksLikeRecoveryCode(code)) {
      ok = await twoFactor.consumeRecoveryCode(s.accountId, s.entityId, hashRecoveryCode(code));
      usedRecovery = ok;
    }
    if (!ok) return refuse(env, req, reply, s, (e) => codePage(env, req, reply, s, e));
    if (!(await signedIn(env, req, reply, s))) return reply.redirect(`${BASE}/login`, 303);
    return reply.redirect(usedRecovery ? `${BASE}/?notice=recovery` : `${BASE}/`, 303);
  });
}
