/**
 * What a certificate manager may pick when mapping a certificate: the active entities that hold
 * an active role, and those roles. Entities and roles are otherwise Administrator records; a
 * role with "OAuth 2.0 Authorized Applications Management" gets this narrow read so it can
 * choose from lists instead of typing ids. Nothing else of the records is shown (no types,
 * passwords, two-factor state or permissions beyond the one the mapping needs).
 */
import { roleHas } from '../../domain/permissions.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from '../records/access.ts';
import { MANAGE_ALL } from '../records/mappings.ts';

export interface MappableEntity {
  id: number;
  name: string;
  email: string | null;
  /** The active roles it holds (ids of `MappingChoices.roles`). */
  roleIds: number[];
}

export interface MappableRole {
  id: number;
  name: string;
  /** False when the role lacks "Log in using OAuth 2.0 Access Tokens" (tokens would fail). */
  canLogIn: boolean;
}

export interface MappingChoices {
  entities: MappableEntity[];
  roles: MappableRole[];
}

/** Administrator or "OAuth 2.0 Authorized Applications Management" (who may map at all). */
export async function mappingChoices(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<MappingChoices> {
  const account = await permittedAccount(deps, actor, accountId, MANAGE_ALL);
  const [entities, roles] = await Promise.all([
    deps.store.entities.list(account.id),
    deps.store.roles.list(account.id),
  ]);
  const active = new Map(roles.filter((r) => r.active).map((r) => [r.id, r]));
  const mappable = entities
    .filter((e) => e.active)
    .map((e) => ({
      id: e.id,
      name: e.name,
      email: e.email,
      roleIds: e.roleIds.filter((id) => active.has(id)),
    }))
    .filter((e) => e.roleIds.length > 0);
  const held = new Set(mappable.flatMap((e) => e.roleIds));
  return {
    entities: mappable,
    roles: [...active.values()]
      .filter((r) => held.has(r.id))
      .map((r) => ({
        id: r.id,
        name: r.name,
        canLogIn: roleHas(r, 'oauth2_access_token_login'),
      })),
  };
}
