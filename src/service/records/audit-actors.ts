/**
 * Who acted, for the audit trail's readers: the names of the entities that made administrative
 * changes. Whoever may read the trail (Administrator or "OAuth 2.0 Authorized Applications
 * Management") may see these names; nothing else of the entities.
 */
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from './access.ts';

/** Entity id → name, for the ids asked (a deleted entity is simply absent). */
export async function auditActorNames(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
  entityIds: readonly number[],
): Promise<Map<number, string>> {
  const account = await permittedAccount(deps, actor, accountId, [
    'oauth2_authorized_apps_management',
  ]);
  if (entityIds.length === 0) return new Map();
  const wanted = new Set(entityIds);
  const entities = await deps.store.entities.list(account.id);
  return new Map(entities.filter((e) => wanted.has(e.id)).map((e) => [e.id, e.name]));
}
