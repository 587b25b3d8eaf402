import type { Clock } from '../domain/clock.ts';
import { forbidden } from '../domain/errors.ts';
import { type Permission, roleHas } from '../domain/permissions.ts';
import type { Store } from '../store/ports.ts';

/**
 * Who asks. The CLI operates with direct access to the store and acts as `system`; the admin API
 * and the console act for a signed-in entity in one role of one account.
 */
export type Actor =
  | { kind: 'system' }
  | {
      kind: 'entity';
      accountId: string;
      entityId: number;
      roleId: number;
      permissions: readonly Permission[];
    };

export const SYSTEM: Actor = { kind: 'system' };

/** Throws `forbidden` unless the actor may do `permission` in `accountId`. */
export function requirePermission(actor: Actor, accountId: string, permission: Permission): void {
  if (actor.kind === 'system') return;
  if (actor.accountId !== accountId) {
    throw forbidden('permission.other_account', 'you are signed in to another account');
  }
  if (!roleHas({ id: actor.roleId, permissions: [...actor.permissions] }, permission)) {
    throw forbidden(
      'permission.missing',
      `your role lacks the permission "${permission}"; ask an administrator to add it`,
    );
  }
}

export const actorEntityId = (actor: Actor): number | null =>
  actor.kind === 'entity' ? actor.entityId : null;

export interface ServiceDeps {
  store: Store;
  clock: Clock;
}
