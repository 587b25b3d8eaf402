/**
 * Who may change which records. Account-level records (accounts, entities, roles) need the
 * Administrator role (id 3) because NetSuite's setup pages for them are administrator-only and
 * none of the four OAuth permissions covers them. The CLI acts as `system` and may do anything.
 */

import type { Account } from '../../domain/account.ts';
import { forbidden } from '../../domain/errors.ts';
import { ADMINISTRATOR_ROLE_ID, type Permission } from '../../domain/permissions.ts';
import { type Actor, requirePermission, type ServiceDeps } from '../context.ts';
import { accountIdOf, existingAccount } from './validate.ts';

/** Throws `forbidden` unless the actor is `system` or an Administrator signed in to `accountId`. */
export function requireAdministrator(actor: Actor, accountId: string): void {
  if (actor.kind === 'system') return;
  if (actor.accountId !== accountId) {
    throw forbidden('permission.other_account', 'you are signed in to another account');
  }
  if (actor.roleId !== ADMINISTRATOR_ROLE_ID) {
    throw forbidden(
      'permission.administrator_required',
      'only the Administrator role may do this; sign in with the Administrator role',
    );
  }
}

/** Throws unless the actor holds at least one of `permissions` (Administrator holds all). */
export function requireAnyPermission(
  actor: Actor,
  accountId: string,
  permissions: readonly [Permission, ...Permission[]],
): void {
  let first: unknown;
  for (const p of permissions) {
    try {
      requirePermission(actor, accountId, p);
      return;
    } catch (e) {
      first ??= e;
    }
  }
  throw first;
}

/** Canonical id → Administrator check → the stored account (permission before existence). */
export async function adminAccount(
  deps: ServiceDeps,
  actor: Actor,
  accountId: unknown,
): Promise<Account> {
  const id = accountIdOf(accountId);
  requireAdministrator(actor, id);
  return existingAccount(deps, id);
}

/** Canonical id → one of `permissions` → the stored account. */
export async function permittedAccount(
  deps: ServiceDeps,
  actor: Actor,
  accountId: unknown,
  permissions: readonly [Permission, ...Permission[]],
): Promise<Account> {
  const id = accountIdOf(accountId);
  requireAnyPermission(actor, id, permissions);
  return existingAccount(deps, id);
}
