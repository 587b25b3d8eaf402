/**
 * Server-side console sessions. The browser holds a random 256-bit id in an HttpOnly cookie; the
 * store holds only its SHA-256, so a leaked database cannot be replayed as cookies. The id is
 * replaced at every privilege step (password accepted, role chosen, two-factor passed): an id
 * planted or observed before sign-in is worthless after it (OWASP: session fixation).
 *
 * Every request re-reads the entity and role: a deactivated entity, a removed role assignment or
 * a permission change takes effect at the next page, not at the next sign-in.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Entity } from '../domain/entity.ts';
import { type Role, roleHas } from '../domain/permissions.ts';
import type { Actor, Services } from '../service/index.ts';
import type { ConsoleSession, ConsoleSessionPatch } from '../store/ports.ts';
import {
  ABSOLUTE_TIMEOUT_MS,
  type CookieNames,
  IDLE_TIMEOUT_MS,
  PENDING_TIMEOUT_MS,
  TOUCH_EVERY_MS,
} from './config.ts';

export type EntityActor = Extract<Actor, { kind: 'entity' }>;

/** A signed-in user: the session and what it acts as. */
export interface ConsoleUser {
  session: ConsoleSession;
  actor: EntityActor;
  entity: Entity;
  role: Role;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The console session named by the cookie, whatever its stage; null when none. */
    consoleSession?: ConsoleSession | null;
    /** Set when the session is fully signed in (and two-factor passed where required). */
    consoleUser?: ConsoleUser | null;
  }
}

/** The console's view of the app: the services plus its cookie settings. */
export interface ConsoleEnv {
  services: Services;
  /** Interim: what the sign-in code reads directly, until it is a service of its own. */
  ctx: Services['consoleAuthDeps'];
  cookies: CookieNames;
  /** Cookies get Secure (and the __Host- prefix) when the public URL is https. */
  secure: boolean;
}

export const hashSessionId = (id: string): string =>
  createHash('sha256').update(id, 'utf8').digest('hex');

function newSessionId(): { id: string; hash: string } {
  const id = randomBytes(32).toString('base64url');
  return { id, hash: hashSessionId(id) };
}

/**
 * A role that can manage M2M mappings requires two-factor authentication, as NetSuite requires
 * it for "OAuth 2.0 Authorized Applications Management" (Administrator holds it too).
 */
export const requiresTwoFactor = (role: Pick<Role, 'id' | 'permissions'>): boolean =>
  roleHas(role, 'oauth2_authorized_apps_management');

function setSessionCookie(env: ConsoleEnv, reply: FastifyReply, id: string): void {
  reply.setCookie(env.cookies.session, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: env.secure,
    // No maxAge: a browser-session cookie; the server enforces the real lifetimes.
  });
}

export function clearSessionCookie(env: ConsoleEnv, reply: FastifyReply): void {
  reply.clearCookie(env.cookies.session, { path: '/', secure: env.secure });
}

/**
 * New CSRF secret with every new session id, so a CSRF secret cookie planted before sign-in
 * (the weak spot of double-submit cookies) does not survive it.
 */
function renewCsrfSecret(env: ConsoleEnv, req: FastifyRequest, reply: FastifyReply): void {
  delete req.cookies[env.cookies.csrf];
  reply.generateCsrf();
}

/** Starts a fresh session (after the password was accepted); any previous session is ended. */
export async function startSession(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  init: Omit<ConsoleSession, 'idHash' | 'createdAt' | 'lastSeenAt' | 'expiresAt'>,
): Promise<ConsoleSession> {
  const previous = req.consoleSession;
  if (previous) await env.ctx.store.console.sessions.delete(previous.idHash);
  const now = env.ctx.clock.now();
  const { id, hash } = newSessionId();
  const session: ConsoleSession = {
    ...init,
    idHash: hash,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + PENDING_TIMEOUT_MS,
  };
  await env.ctx.store.console.sessions.create(session);
  setSessionCookie(env, reply, id);
  renewCsrfSecret(env, req, reply);
  req.consoleSession = session;
  return session;
}

/**
 * Moves the current session to a new id and applies `patch`. When `signedIn`, the absolute
 * lifetime starts now (the half-finished sign-in had only a short one). False when the session
 * vanished meanwhile (signed out in another tab, expired).
 */
export async function advanceSession(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
  patch: ConsoleSessionPatch,
  signedIn: boolean,
): Promise<ConsoleSession | null> {
  const current = req.consoleSession;
  if (!current) return null;
  const now = env.ctx.clock.now();
  const { id, hash } = newSessionId();
  const full: ConsoleSessionPatch = {
    ...patch,
    lastSeenAt: now,
    expiresAt: signedIn ? now + ABSOLUTE_TIMEOUT_MS : current.expiresAt,
  };
  if (!(await env.ctx.store.console.sessions.rotate(current.idHash, hash, full))) return null;
  setSessionCookie(env, reply, id);
  renewCsrfSecret(env, req, reply);
  const next = { ...current, ...full, idHash: hash };
  req.consoleSession = next;
  return next;
}

export async function endSession(
  env: ConsoleEnv,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  const current = req.consoleSession;
  if (current) await env.ctx.store.console.sessions.delete(current.idHash);
  req.consoleSession = null;
  req.consoleUser = null;
  clearSessionCookie(env, reply);
}

/** The session named by the request's cookie, if it exists and has not expired. */
async function loadSession(env: ConsoleEnv, req: FastifyRequest): Promise<ConsoleSession | null> {
  const id = req.cookies[env.cookies.session];
  // 256 bits in base64url are 43 characters; anything else was never issued by us.
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
  const session = await env.ctx.store.console.sessions.get(hashSessionId(id));
  if (!session) return null;
  const now = env.ctx.clock.now();
  if (session.expiresAt <= now || session.lastSeenAt + IDLE_TIMEOUT_MS <= now) {
    await env.ctx.store.console.sessions.delete(session.idHash);
    return null;
  }
  return session;
}

/**
 * The entity and role of a signed-in session, if they still allow sign-in: both active, the
 * entity still holding the role. Otherwise the session ends.
 */
async function activeUser(env: ConsoleEnv, session: ConsoleSession): Promise<ConsoleUser | null> {
  const { accountId, entityId, roleId } = session;
  if (accountId === null || entityId === null || roleId === null) return null;
  const [entity, role] = await Promise.all([
    env.ctx.cache.entity(accountId, entityId),
    env.ctx.cache.role(accountId, roleId),
  ]);
  if (!entity?.active || !role?.active || !entity.roleIds.includes(role.id)) return null;
  return {
    session,
    entity,
    role,
    actor: {
      kind: 'entity',
      accountId,
      entityId,
      roleId,
      permissions: [...role.permissions],
    },
  };
}

/**
 * Reads the cookie and sets `req.consoleSession` and `req.consoleUser`. A signed-in session
 * whose role gained the two-factor requirement since sign-in drops back to the two-factor step.
 */
export async function authenticate(env: ConsoleEnv, req: FastifyRequest): Promise<void> {
  req.consoleSession = null;
  req.consoleUser = null;
  const session = await loadSession(env, req);
  if (!session) return;
  req.consoleSession = session;
  if (session.stage !== 'active') return;
  const user = await activeUser(env, session);
  const sessions = env.ctx.store.console.sessions;
  if (!user) {
    await sessions.delete(session.idHash);
    req.consoleSession = null;
    return;
  }
  if (requiresTwoFactor(user.role) && !session.twoFactorDone) {
    await sessions.update(session.idHash, { stage: 'two_factor' });
    req.consoleSession = { ...session, stage: 'two_factor' };
    return;
  }
  const now = env.ctx.clock.now();
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
    await sessions.touch(session.idHash, now);
    user.session = { ...session, lastSeenAt: now };
  }
  req.consoleUser = user;
}
