export const ENTITY_TYPES = ['employee', 'customer', 'partner', 'vendor', 'contact'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
export const isEntityType = (t: string): t is EntityType =>
  (ENTITY_TYPES as readonly string[]).includes(t);

export interface Entity {
  accountId: string;
  id: number;
  name: string;
  email: string | null;
  type: EntityType;
  active: boolean;
  /** Role ids assigned to this entity. */
  roleIds: number[];
  /** True when a console password is set (the hash itself never leaves the store). */
  hasPassword: boolean;
}
