/**
 * The console's side of sessions: the cookie and the CSRF secret. Sessions themselves (ids,
 * lifetimes, who is signed in) belong to the console-auth service; the browser holds the id
 * the service issued, in an HttpOnly cookie, and every request hands it back to the service.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {
  ConsoleAuth,
  EntityActor,
  SessionState,
  SignedInUser,
} from '../service/console-auth/index.ts';
import type { Services } from '../service/index.ts';
import type { CookieNames } from './config.ts';

export type { EntityActor };

/** A signed-in user: what it acts as (entity, role, permissions). */
export type ConsoleUser = SignedInUser;

declare module 'fastify' {
  interface FastifyRequest {
    /** Where the session named by the cookie is in the sign-in; null when none. */
    consoleSession?: SessionState | null;
    /** Set when the session is fully signed in (and two-factor passed where required). */
    consoleUser?: ConsoleUser | null;
  }
}

/** The console's view of the app: the services, console authentication, cookie settings. */
export interface ConsoleEnv {
  services: Services;
  auth: ConsoleAuth;
  cookies: CookieNames;
  /** Cookies get Secure (and the __Host- prefix) when the public URL is https. */
  secure: boolean;
}

/** The session id the browser sent, if any (the service checks its form). */
export const sessionIdOf = (env: ConsoleEnv, req: FastifyRequest): string | undefined =>
  req.cookies[env.cookies.session];

function clearSessionCookie(env: ConsoleEnv, reply: FastifyReply): void {
  reply.clearCookie(env.cookies.session, { path: '/', secure: env.secure });
}

/**
 * Hands the browser a session id the service just issued (sign-in step passed). The CSRF secret
 * is renewed with every new session id, so a CSRF secret cookie planted before sign-in (the
 * weak spot of double-submit cookies) does not survive it.
 */
export function useSession(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  sessionId: string,
): void {
  reply.setCookie(env.cookies.session, sessionId, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: env.secure,
    // No maxAge: a browser-session cookie; the service enforces the real lifetimes.
  });
  delete req.cookies[env.cookies.csrf];
  reply.generateCsrf();
}

/** Forgets the session in this request and in the browser (the service has ended it). */
export function forgetSession(env: ConsoleEnv, req: FastifyRequest, reply: FastifyReply): void {
  req.consoleSession = null;
  req.consoleUser = null;
  clearSessionCookie(env, reply);
}

/** Sign-out: the service ends the session, the browser forgets it. */
export async function endSession(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  await env.auth.signOut(sessionIdOf(env, req));
  forgetSession(env, req, reply);
}

/** Reads the cookie and sets `req.consoleSession` and `req.consoleUser`. */
export async function authenticate(env: ConsoleEnv, req: FastifyRequest): Promise<void> {
  const { session, user } = await env.auth.authenticate(sessionIdOf(env, req));
  req.consoleSession = session;
  req.consoleUser = user;
}
