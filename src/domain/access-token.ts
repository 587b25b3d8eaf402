/**
 * Access-token rules: one hour of validity (NetSuite's), and NetSuite's subject form
 * `"<roleId>;<entityId>"` — the role first, as NetSuite's tokens carry it.
 */

export const ACCESS_TOKEN_TTL_SECONDS = 3600;

export const subjectOf = (roleId: number, entityId: number): string => `${roleId};${entityId}`;

/** The role and entity a `sub` names, or null when it is not in the `<role>;<entity>` form. */
export function parseSubject(sub: string): { roleId: number; entityId: number } | null {
  const m = /^(-?\d{1,15});(-?\d{1,15})$/.exec(sub);
  if (!m) return null;
  return { roleId: Number(m[1]), entityId: Number(m[2]) };
}

/** The audience NetSuite puts in its tokens: `<applicationId>;<accountId>` and the client id. */
export const audienceOf = (applicationId: string, accountId: string, clientId: string) => [
  `${applicationId};${accountId}`,
  clientId,
];
