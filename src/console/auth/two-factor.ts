/**
 * The two-factor sign-in page, for roles that require it: on first use the enrolment page (QR
 * code, key and otpauth URI; recovery codes shown once after the first code confirms it, on the
 * page that POST redirects to, from the session's one-time flash), then a TOTP code or a
 * one-time recovery code at every sign-in. The console-auth service checks the codes and counts
 * the wrong ones toward the per-email lockout; a lockout ends the half-finished session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import type { TwoFactorPrompt } from '../../service/console-auth/index.ts';
import { field } from '../body.ts';
import { BASE } from '../config.ts';
import { render } from '../render.ts';
import { type ConsoleEnv, forgetSession, sessionIdOf, useSession } from '../session.ts';
import { lockedMessage, signInRateLimit } from './sign-in.ts';

/** The enrolment or code page; with `error` after a wrong code. */
async function stepPage(
  req: FastifyRequest,
  reply: FastifyReply,
  prompt: TwoFactorPrompt,
  error?: string,
): Promise<FastifyReply> {
  const status = error ? 400 : 200;
  const err = error ? { error } : {};
  if (prompt.kind === 'code') {
    const data = { accountId: prompt.accountId, roleName: prompt.roleName, ...err };
    return render(req, reply, 'two-factor', data, { title: 'Two-factor authentication', status });
  }
  // PNG data URL of the URI as a QR code (the CSP allows `img-src data:`).
  const qrDataUrl = await QRCode.toDataURL(prompt.uri, { margin: 1, width: 220 });
  const data = { uri: prompt.uri, qrDataUrl, secret: prompt.secret, roleName: prompt.roleName };
  return render(
    req,
    reply,
    'enrol',
    { ...data, ...err },
    { title: 'Set up two-factor authentication', status },
  );
}

export async function twoFactorRoutes(app: FastifyInstance, env: ConsoleEnv): Promise<void> {
  // The recovery codes of a new enrolment, shown once: a reload finds them gone.
  app.get('/login/recovery-codes', async (req, reply) => {
    if (!req.consoleUser) return reply.redirect(`${BASE}/login`, 303);
    const flash = await env.auth.takeFlash(sessionIdOf(env, req));
    const codes = flash?.kind === 'recovery_codes' ? flash.codes : null;
    req.consoleUser = null; // the layout shows no menu on this interstitial page
    return render(req, reply, 'recovery-codes', { codes }, { title: 'Recovery codes' });
  });

  app.get('/login/two-factor', async (req, reply) => {
    const prompt = await env.auth.twoFactorPrompt(sessionIdOf(env, req));
    if (!prompt) return reply.redirect(`${BASE}/login`, 303);
    return stepPage(req, reply, prompt);
  });

  app.post('/login/two-factor', { config: signInRateLimit }, async (req, reply) => {
    const result = await env.auth.submitCode(sessionIdOf(env, req), field(req, 'code'));
    switch (result.kind) {
      case 'no_session':
        return reply.redirect(`${BASE}/login`, 303);
      case 'invalid':
        return stepPage(
          req,
          reply,
          result.prompt,
          'That code is not valid. Check your app and try again.',
        );
      case 'locked': {
        forgetSession(env, req, reply); // the service ended the half-finished session
        const data = { error: lockedMessage(result.until) };
        return render(req, reply, 'login', data, { title: 'Sign in', status: 429 });
      }
      case 'enrolled':
        // POST/redirect/GET: the codes wait, sealed, in the new session's one-time flash.
        useSession(env, req, reply, result.sessionId);
        await env.auth.setFlash(result.sessionId, {
          kind: 'recovery_codes',
          codes: result.recoveryCodes,
        });
        return reply.redirect(`${BASE}/login/recovery-codes`, 303);
      case 'signed_in':
        useSession(env, req, reply, result.sessionId);
        return reply.redirect(
          result.usedRecoveryCode ? `${BASE}/?notice=recovery` : `${BASE}/`,
          303,
        );
    }
  });
}
