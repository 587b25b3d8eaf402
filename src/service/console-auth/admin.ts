/**
 * Administrative actions on an entity's console credentials: set (or clear) its password,
 * reset its two-factor enrolment (lost device). Each is authorised here (the Administrator of
 * the entity's account; the CLI acts as `system`), ends every console session of the entity
 * (whoever held the old password or device is out at once) and is audited with its actor.
 * A refusal changes nothing, the audit trail included.
 */
import { type AuditEventType, auditEvent } from '../../domain/audit.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Entity } from '../../domain/entity.ts';
import type { ConsoleAuthStore, Store } from '../../store/ports.ts';
import { type Actor, actorEntityId } from '../context.ts';
import { requireAdministrator } from '../records/access.ts';
import { checkPasswordPolicy, hashPassword } from '../records/passwords.ts';
import { accountIdOf, accountNotFound, entityNotFound, idOf } from '../records/validate.ts';
import type { AuthRecords, TwoFactorStatus } from './types.ts';

export interface AdminDeps {
  store: Pick<ConsoleAuthStore, 'console' | 'entities' | 'audit'>;
  clock: Clock;
  records: Pick<AuthRecords, 'account' | 'entity'>;
}

/** Canonical ids → Administrator check → the stored entity (permission before existence). */
async function target(
  deps: AdminDeps,
  actor: Actor,
  accountId: unknown,
  entityId: unknown,
): Promise<Entity> {
  const id = accountIdOf(accountId);
  requireAdministrator(actor, id);
  if (!(await deps.records.account(id))) throw accountNotFound(id);
  const eid = idOf(entityId, 'the entity id', 'entity.invalid_id');
  const entity = await deps.records.entity(id, eid);
  if (!entity) throw entityNotFound(id, eid);
  return entity;
}

/** After a reset: the entity's sessions end, and the trail says who did it to whom. */
async function ended(
  deps: AdminDeps,
  actor: Actor,
  type: AuditEventType,
  entity: Entity,
): Promise<void> {
  await deps.store.console.sessions.deleteForEntity(entity.accountId, entity.id);
  const at = deps.clock.now();
  await deps.store.audit.append([
    auditEvent(type, entity.accountId, at, { entityId: entity.id, actor: actorEntityId(actor) }),
  ]);
}

export interface SetPasswordInput {
  accountId: string;
  entityId: number | string;
  /** The new console password (checked against the policy, stored as scrypt); null clears it. */
  password: string | null;
}

export async function setConsolePassword(
  deps: AdminDeps,
  actor: Actor,
  input: SetPasswordInput,
): Promise<void> {
  const entity = await target(deps, actor, input.accountId, input.entityId);
  const hash =
    input.password === null ? null : await hashPassword(checkPasswordPolicy(input.password));
  await deps.store.entities.setPasswordHash(entity.accountId, entity.id, hash);
  await ended(deps, actor, 'password.reset', entity);
}

/** Lost device: the enrolment and recovery codes are forgotten; the next sign-in enrols again. */
export async function resetTwoFactor(
  deps: AdminDeps,
  actor: Actor,
  accountId: string,
  entityId: number | string,
): Promise<void> {
  const entity = await target(deps, actor, accountId, entityId);
  await deps.store.console.twoFactor.reset(entity.accountId, entity.id);
  await ended(deps, actor, 'two_factor.reset', entity);
}

/** Whether the entity is enrolled and how many recovery codes it has left; never the secret. */
export async function twoFactorStatus(
  deps: AdminDeps,
  actor: Actor,
  accountId: string,
  entityId: number | string,
): Promise<TwoFactorStatus> {
  const entity = await target(deps, actor, accountId, entityId);
  const state = await deps.store.console.twoFactor.get(entity.accountId, entity.id);
  return {
    enrolled: state?.totpSecret != null,
    recoveryCodesLeft: state?.recoveryCodesLeft ?? 0,
  };
}

/** Records read straight from the store, for callers without a record cache (the CLI). */
export const storeRecords = (
  store: Pick<Store, 'accounts' | 'entities' | 'roles'>,
): AuthRecords => ({
  account: (id) => store.accounts.get(id),
  entity: (accountId, id) => store.entities.get(accountId, id),
  role: (accountId, id) => store.roles.get(accountId, id),
});
