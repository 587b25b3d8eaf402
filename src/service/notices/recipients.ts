/**
 * Who gets an expiry email: the account's Administrators (NetSuite: "all administrators receive
 * it") and the mapped entity itself, each when active and with an email address; one address
 * once, whatever its case.
 */
import type { Entity } from '../../domain/entity.ts';
import { ADMINISTRATOR_ROLE_ID } from '../../domain/permissions.ts';

export function recipientsOf(entities: readonly Entity[], mappedEntityId: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (e: Entity | undefined) => {
    if (!e?.active || e.email === null || e.email.trim() === '') return;
    const lc = e.email.trim().toLowerCase();
    if (seen.has(lc)) return;
    seen.add(lc);
    out.push(e.email.trim());
  };
  for (const e of entities) if (e.roleIds.includes(ADMINISTRATOR_ROLE_ID)) add(e);
  add(entities.find((e) => e.id === mappedEntityId));
  return out;
}
