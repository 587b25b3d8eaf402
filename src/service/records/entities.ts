/**
 * Entity use cases (employees, customers, … that act through M2M mappings or sign in to the
 * console). Administrator-level: none of NetSuite's OAuth permissions covers editing people.
 */
import { ENTITY_TYPES, type Entity, type EntityType, isEntityType } from '../../domain/entity.ts';
import { invalidInput, notFound } from '../../domain/errors.ts';
import { setConsolePassword, storeRecords } from '../console-auth/admin.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { adminAccount } from './access.ts';
import { auditChange } from './admin-audit.ts';
import { checkPasswordPolicy, hashPassword } from './passwords.ts';
import { booleanOf, emailOf, entityNotFound, idOf, nameOf } from './validate.ts';

export interface CreateEntityInput {
  accountId: string;
  name: string;
  email?: string | null;
  /** Default `employee`. */
  type?: string;
  /** Default true. */
  active?: boolean;
  /** Optional console password (checked against the password policy, stored as scrypt). */
  password?: string;
}

function typeOf(input: unknown): EntityType {
  if (typeof input !== 'string' || !isEntityType(input)) {
    throw invalidInput(
      'entity.invalid_type',
      `unknown entity type "${String(input).slice(0, 30)}": use ${ENTITY_TYPES.join(', ')}`,
    );
  }
  return input;
}

/** The entity, or `entity.not_found`. Exported for the mapping use case. */
export async function existingEntity(
  deps: ServiceDeps,
  accountId: string,
  entityId: unknown,
): Promise<Entity> {
  const id = idOf(entityId, 'the entity id', 'entity.invalid_id');
  const entity = await deps.store.entities.get(accountId, id);
  if (!entity) throw entityNotFound(accountId, id);
  return entity;
}

export async function createEntity(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateEntityInput,
): Promise<Entity> {
  const account = await adminAccount(deps, actor, input.accountId);
  const name = nameOf(input.name, 'the entity name', 'entity.invalid_name');
  const email = emailOf(input.email);
  const type = input.type === undefined ? 'employee' : typeOf(input.type);
  const active =
    input.active === undefined ? true : booleanOf(input.active, 'active', 'entity.invalid_active');
  // Hash before writing anything, so a refused password leaves no half-created entity.
  const hash =
    input.password === undefined ? null : await hashPassword(checkPasswordPolicy(input.password));
  const entity = await deps.store.entities.create({
    accountId: account.id,
    name,
    email,
    type,
    active,
  });
  if (hash !== null) await deps.store.entities.setPasswordHash(account.id, entity.id, hash);
  await auditChange(deps, actor, 'entity.create', account.id, { entityId: entity.id });
  return hash === null ? entity : { ...entity, hasPassword: true };
}

export async function listEntities(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<Entity[]> {
  const account = await adminAccount(deps, actor, accountId);
  return deps.store.entities.list(account.id);
}

export async function getEntity(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  entityId: number | string,
): Promise<Entity> {
  const account = await adminAccount(deps, actor, accountId);
  return existingEntity(deps, account.id, entityId);
}

export interface UpdateEntityInput {
  name?: string;
  email?: string | null;
  type?: string;
  active?: boolean;
}

export async function updateEntity(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  entityId: number | string,
  patch: UpdateEntityInput,
): Promise<Entity> {
  const account = await adminAccount(deps, actor, accountId);
  const entity = await existingEntity(deps, account.id, entityId);
  const clean: Partial<Pick<Entity, 'name' | 'email' | 'type' | 'active'>> = {};
  if (patch.name !== undefined)
    clean.name = nameOf(patch.name, 'the entity name', 'entity.invalid_name');
  if (patch.email !== undefined) clean.email = emailOf(patch.email);
  if (patch.type !== undefined) clean.type = typeOf(patch.type);
  if (patch.active !== undefined) {
    clean.active = booleanOf(patch.active, 'active', 'entity.invalid_active');
  }
  if (Object.keys(clean).length === 0) {
    throw invalidInput(
      'entity.nothing_to_update',
      'nothing to update: give a new name, email, type or active flag',
    );
  }
  const updated = await deps.store.entities.update(account.id, entity.id, clean);
  if (!updated) throw notFound('entity.not_found', `entity ${entity.id} no longer exists`);
  await auditChange(deps, actor, 'entity.update', account.id, { entityId: entity.id });
  return updated;
}

/** Gives the entity a role of the same account (idempotent). */
export async function assignRole(
  deps: ServiceDeps,
  actor: Actor,
  input: { accountId: string; entityId: number | string; roleId: number | string },
): Promise<Entity> {
  const account = await adminAccount(deps, actor, input.accountId);
  const entity = await existingEntity(deps, account.id, input.entityId);
  const roleId = idOf(input.roleId, 'the role id', 'role.invalid_id');
  // Roles are per account: a role id of another account simply does not exist here.
  const role = await deps.store.roles.get(account.id, roleId);
  if (!role) {
    throw notFound(
      'role.not_found',
      `role ${roleId} does not exist in account ${account.id}: check the id against the list of roles`,
      { cli: `(certmint role list --account ${account.id})` },
    );
  }
  if (!(await deps.store.entities.assignRole(account.id, entity.id, role.id))) {
    throw notFound('entity.not_found', `entity ${entity.id} or role ${role.id} no longer exists`);
  }
  await auditChange(deps, actor, 'entity.role_assign', account.id, {
    entityId: entity.id,
    roleId: role.id,
  });
  return existingEntity(deps, account.id, entity.id);
}

export async function unassignRole(
  deps: ServiceDeps,
  actor: Actor,
  input: { accountId: string; entityId: number | string; roleId: number | string },
): Promise<Entity> {
  const account = await adminAccount(deps, actor, input.accountId);
  const entity = await existingEntity(deps, account.id, input.entityId);
  const roleId = idOf(input.roleId, 'the role id', 'role.invalid_id');
  if (!entity.roleIds.includes(roleId)) {
    throw notFound('role.not_assigned', `entity ${entity.id} does not hold role ${roleId}`);
  }
  await deps.store.entities.unassignRole(account.id, entity.id, roleId);
  await auditChange(deps, actor, 'entity.role_unassign', account.id, {
    entityId: entity.id,
    roleId,
  });
  return existingEntity(deps, account.id, entity.id);
}

/**
 * Sets (or with null clears) the entity's console password: Administrator only, every console
 * session of the entity ends, and the audit trail records it (console-auth/admin.ts).
 */
export async function setPassword(
  deps: ServiceDeps,
  actor: Actor,
  input: { accountId: string; entityId: number | string; password: string | null },
): Promise<void> {
  const { store, clock } = deps;
  await setConsolePassword({ store, clock, records: storeRecords(store) }, actor, input);
}
