/**
 * Which user a session is, on every request. The entity and role are read again each time: a
 * deactivated entity, a removed role assignment or a permission change takes effect at the next
 * page, not at the next sign-in.
 */
import { type Role, roleHas } from '../../domain/permissions.ts';
import type { ConsoleSession } from '../../store/ports.ts';
import { TOUCH_EVERY_MS } from './policy.ts';
import type { Sessions } from './sessions.ts';
import type { Authenticated, ConsoleAuthDeps, SignedInUser } from './types.ts';

/**
 * A role that can manage M2M mappings requires two-factor authentication, as NetSuite requires
 * it for "OAuth 2.0 Authorized Applications Management" (Administrator holds it too).
 */
export const requiresTwoFactor = (role: Pick<Role, 'id' | 'permissions'>): boolean =>
  roleHas(role, 'oauth2_authorized_apps_management');

/** The session's entity and role, if they still allow sign-in: both active, the role held. */
async function activeUser(
  deps: ConsoleAuthDeps,
  session: ConsoleSession,
): Promise<SignedInUser | null> {
  const { accountId, entityId, roleId } = session;
  if (accountId === null || entityId === null || roleId === null) return null;
  const [entity, role] = await Promise.all([
    deps.records.entity(accountId, entityId),
    deps.records.role(accountId, roleId),
  ]);
  if (!entity?.active || !role?.active || !entity.roleIds.includes(role.id)) return null;
  return {
    entity,
    role,
    actor: { kind: 'entity', accountId, entityId, roleId, permissions: [...role.permissions] },
  };
}

const NONE: Authenticated = { session: null, user: null };

/**
 * The session a cookie names and, when signed in, its user. A signed-in session whose entity
 * or role no longer allows sign-in ends; one whose role gained the two-factor requirement
 * since sign-in drops back to the two-factor step.
 */
export async function authenticate(
  deps: ConsoleAuthDeps,
  sessions: Sessions,
  sessionId: string | undefined,
): Promise<Authenticated> {
  const session = await sessions.current(sessionId);
  if (!session) return NONE;
  if (session.stage !== 'active') return { session: { stage: session.stage }, user: null };
  const store = deps.store.console.sessions;
  const user = await activeUser(deps, session);
  if (!user) {
    await store.delete(session.idHash);
    return NONE;
  }
  if (requiresTwoFactor(user.role) && !session.twoFactorDone) {
    await store.update(session.idHash, { stage: 'two_factor' });
    return { session: { stage: 'two_factor' }, user: null };
  }
  const now = deps.clock.now();
  if (now - session.lastSeenAt >= TOUCH_EVERY_MS) await store.touch(session.idHash, now);
  return { session: { stage: 'active' }, user };
}
