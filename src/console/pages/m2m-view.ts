/**
 * What the M2M Setup page shows, from the service's mapping views: one row per mapping with its
 * state as text (revoked, expired, expiring in N days, not valid yet) so rows differ by more
 * than colour, the warnings of the service (a role that cannot log in), the "show" filter and
 * the count behind the expiring banner.
 */
import type { MappingChoices, MappingView } from '../../service/index.ts';

const DAY = 86_400_000;

/** The filter of the list (`?show=`); anything else shows everything. */
export const SHOW = ['all', 'active', 'expiring', 'expired', 'revoked'] as const;
export type Show = (typeof SHOW)[number];
export const showOf = (v: unknown): Show =>
  typeof v === 'string' && (SHOW as readonly string[]).includes(v) ? (v as Show) : 'all';

export interface Row extends MappingView {
  application: string;
  entity: string;
  role: string;
  keyInfo: string;
  /** The row's class (the existing hooks of tests and styles): revoked, expired, soon or none. */
  rowClass: string;
  /** The state as words, for the badge: null for a plain active mapping. */
  badge: { text: string; cls: string; title: string } | null;
}

function daysLeft(m: MappingView, now: number): number {
  return Math.max(0, Math.ceil((m.validUntil - now) / DAY));
}

function badgeOf(m: MappingView, now: number): Row['badge'] {
  if (m.status === 'revoked') return null; // the last column says Revoked, with its date
  if (m.status === 'expired') {
    return { text: 'Expired', cls: 'bad', title: 'Token requests with it are refused' };
  }
  if (m.status === 'not_yet_valid') {
    return { text: 'Not valid yet', cls: 'info', title: 'Token requests are refused until then' };
  }
  if (m.expiresSoon) {
    const n = daysLeft(m, now);
    const text = n <= 1 ? 'Expires within a day' : `Expires in ${n} days`;
    const title = 'Map a new certificate and revoke this one before it expires';
    return { text, cls: m.expiring ? 'warn' : 'soon', title };
  }
  return null;
}

export function rowsOf(mappings: readonly MappingView[], now: number): Row[] {
  return [...mappings]
    .sort((a, b) => b.createdAt - a.createdAt)
    .map((m) => ({
      ...m,
      application: m.integrationName ?? `integration ${m.integrationId}`,
      entity: m.entityName ?? `entity ${m.entityId}`,
      role: m.roleName ?? `role ${m.roleId}`,
      keyInfo: m.curve ?? `${m.keySize} bits`,
      rowClass:
        m.status === 'revoked'
          ? 'revoked'
          : m.status === 'expired'
            ? 'expired'
            : m.expiresSoon
              ? 'soon'
              : '',
      badge: badgeOf(m, now),
    }));
}

export function filterRows(rows: readonly Row[], show: Show): Row[] {
  switch (show) {
    case 'all':
      return [...rows];
    case 'active':
      return rows.filter((r) => r.status === 'active' || r.status === 'not_yet_valid');
    case 'expiring':
      return rows.filter((r) => r.expiring);
    case 'expired':
      return rows.filter((r) => r.status === 'expired');
    case 'revoked':
      return rows.filter((r) => r.status === 'revoked');
  }
}

/** How many rows each filter would show (the filter links say it). */
export function counts(rows: readonly Row[]): Record<Show, number> {
  const out = {} as Record<Show, number>;
  for (const s of SHOW) out[s] = filterRows(rows, s).length;
  return out;
}

/**
 * What the Create New form offers: M2M integrations, and the entities and roles the service
 * lets the signed-in manager map (active entities holding active roles). A role that cannot log
 * in with access tokens says so in its label.
 */
export function formOptions(
  integrations: readonly { clientId: string; name: string; state: string; m2mGrant: boolean }[],
  choices: MappingChoices,
) {
  return {
    integrations: integrations.filter((i) => i.m2mGrant),
    entities: choices.entities.map((e) => ({ ...e, roles: e.roleIds.join(' ') })),
    roles: choices.roles.map((r) => ({
      ...r,
      label: r.canLogIn ? r.name : `${r.name} (cannot log in with access tokens)`,
    })),
  };
}
