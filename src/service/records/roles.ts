/**
 * Role use cases. Permissions are NetSuite's four OAuth ones (domain/permissions.ts). The
 * built-in Administrator (id 3) is created with every account, holds every permission and can
 * be neither edited nor deactivated (as in NetSuite), so an account can never lock itself out.
 */
import { forbidden, invalidInput, notFound } from '../../domain/errors.ts';
import {
  ADMINISTRATOR_ROLE_ID,
  ALL_PERMISSIONS,
  isPermission,
  type Permission,
  type Role,
} from '../../domain/permissions.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { adminAccount } from './access.ts';
import { auditChange } from './admin-audit.ts';
import { booleanOf, idOf, nameOf } from './validate.ts';

export interface CreateRoleInput {
  accountId: string;
  name: string;
  permissions?: readonly string[];
  /** Default true. */
  active?: boolean;
}

function permissionsOf(input: unknown): Permission[] {
  if (!Array.isArray(input)) {
    throw invalidInput('role.invalid_permission', 'permissions must be a list of permission ids');
  }
  const out: Permission[] = [];
  for (const p of input) {
    if (typeof p !== 'string' || !isPermission(p.trim())) {
      throw invalidInput(
        'role.invalid_permission',
        `unknown permission "${String(p).slice(0, 50)}": use ${ALL_PERMISSIONS.join(', ')}`,
      );
    }
    const id = p.trim() as Permission;
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** The role, or `role.not_found`. Exported for the mapping use case. */
export async function existingRole(
  deps: ServiceDeps,
  accountId: string,
  roleId: unknown,
): Promise<Role> {
  const id = idOf(roleId, 'the role id', 'role.invalid_id');
  const role = await deps.store.roles.get(accountId, id);
  if (!role) {
    throw notFound(
      'role.not_found',
      `role ${id} does not exist in account ${accountId}: check the id against the list of roles`,
      { cli: `(certmint role list --account ${accountId})` },
    );
  }
  return role;
}

export async function createRole(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateRoleInput,
): Promise<Role> {
  const account = await adminAccount(deps, actor, input.accountId);
  const name = nameOf(input.name, 'the role name', 'role.invalid_name');
  const permissions = permissionsOf(input.permissions ?? []);
  const active =
    input.active === undefined ? true : booleanOf(input.active, 'active', 'role.invalid_active');
  const role = await deps.store.roles.create({ accountId: account.id, name, permissions, active });
  await auditChange(deps, actor, 'role.create', account.id, { roleId: role.id });
  return role;
}

export async function listRoles(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<Role[]> {
  const account = await adminAccount(deps, actor, accountId);
  return deps.store.roles.list(account.id);
}

export async function getRole(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  roleId: number | string,
): Promise<Role> {
  const account = await adminAccount(deps, actor, accountId);
  return existingRole(deps, account.id, roleId);
}

export interface UpdateRoleInput {
  name?: string;
  active?: boolean;
  permissions?: readonly string[];
}

export async function updateRole(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  roleId: number | string,
  patch: UpdateRoleInput,
): Promise<Role> {
  const account = await adminAccount(deps, actor, accountId);
  const role = await existingRole(deps, account.id, roleId);
  if (role.id === ADMINISTRATOR_ROLE_ID) {
    throw forbidden(
      'role.builtin',
      'the built-in Administrator role (id 3) cannot be changed: create a custom role instead',
    );
  }
  const clean: Partial<Pick<Role, 'name' | 'active' | 'permissions'>> = {};
  if (patch.name !== undefined)
    clean.name = nameOf(patch.name, 'the role name', 'role.invalid_name');
  if (patch.active !== undefined) {
    clean.active = booleanOf(patch.active, 'active', 'role.invalid_active');
  }
  if (patch.permissions !== undefined) clean.permissions = permissionsOf(patch.permissions);
  if (Object.keys(clean).length === 0) {
    throw invalidInput(
      'role.nothing_to_update',
      'nothing to update: give a new name, active flag or permissions',
    );
  }
  const updated = await deps.store.roles.update(account.id, role.id, clean);
  if (updated) await auditChange(deps, actor, 'role.update', account.id, { roleId: role.id });
  if (!updated) throw notFound('role.not_found', `role ${role.id} no longer exists`);
  return updated;
}
