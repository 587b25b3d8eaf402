/**
 * The list of mapped certificates as every interface shows it: the mapping, its status, and the
 * names of its integration, entity and role. One read of the account's mappings, integrations,
 * entities and roles, joined here — the console's M2M Setup page, the admin API, the CLI and the
 * NetSuite rotation API all show this view (each filters or reshapes it).
 */
import { isMappingActive, type Mapping } from '../../domain/mapping.ts';
import { type MappingWarning, roleLoginWarning } from '../../domain/mapping-rules.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from '../records/access.ts';
import { MANAGE_ALL } from '../records/mappings.ts';

const DAY = 24 * 60 * 60 * 1000;
/** NetSuite warns by email when a certificate has less than two months left. */
export const EXPIRES_SOON_MS = 60 * DAY;
/** "Expiring": active and ending within this long (the console's filter and banner). */
export const EXPIRING_WITHIN_MS = 30 * DAY;

export type MappingStatus = 'active' | 'revoked' | 'expired' | 'not_yet_valid';

export interface MappingView extends Mapping {
  status: MappingStatus;
  /** Active and less than 60 days of validity left. */
  expiresSoon: boolean;
  /** Active and ending within 30 days (EXPIRING_WITHIN_MS): replace it now. */
  expiring: boolean;
  /**
   * Why a mapping that is not revoked or expired still cannot obtain tokens, as its records are
   * now (its role lacks "Log in using OAuth 2.0 Access Tokens"); empty otherwise.
   */
  warnings: MappingWarning[];
  /** The integration's client id and name, for display (null if the record vanished). */
  clientId: string | null;
  integrationName: string | null;
  /** The integration's application id (GUID), null if the record vanished. */
  applicationId: string | null;
  /** Names for display; null when the record vanished. */
  entityName: string | null;
  roleName: string | null;
}

export function mappingStatus(
  m: Pick<Mapping, 'revokedAt' | 'validFrom' | 'validUntil'>,
  now: number,
): MappingStatus {
  if (m.revokedAt !== null) return 'revoked';
  if (!isMappingActive(m, now)) return 'expired';
  if (m.validFrom > now) return 'not_yet_valid';
  return 'active';
}

export interface ViewFilter {
  /** Only this integration's certificates (internal id). */
  integrationId?: number;
  /** Only this entity's certificates (a manage-own caller). */
  entityId?: number;
}

/** The views of `accountId`, newest first. The caller has settled who may see them. */
export async function mappingViews(
  deps: ServiceDeps,
  accountId: string,
  filter: ViewFilter = {},
): Promise<MappingView[]> {
  const [mappings, integrations, entities, roles] = await Promise.all([
    deps.store.mappings.list(accountId),
    deps.store.integrations.list(accountId),
    deps.store.entities.list(accountId),
    deps.store.roles.list(accountId),
  ]);
  const integrationById = new Map(integrations.map((i) => [i.id, i]));
  const entityName = new Map(entities.map((e) => [e.id, e.name]));
  const roleById = new Map(roles.map((r) => [r.id, r]));
  const now = deps.clock.now();
  return mappings
    .filter((m) => filter.integrationId === undefined || m.integrationId === filter.integrationId)
    .filter((m) => filter.entityId === undefined || m.entityId === filter.entityId)
    .map((m) => {
      const status = mappingStatus(m, now);
      const integration = integrationById.get(m.integrationId);
      const role = roleById.get(m.roleId);
      const usable = status === 'active' || status === 'not_yet_valid';
      const roleWarning = usable && role ? roleLoginWarning(role) : null;
      return {
        ...m,
        status,
        expiresSoon: status === 'active' && m.validUntil - now < EXPIRES_SOON_MS,
        expiring: status === 'active' && m.validUntil - now <= EXPIRING_WITHIN_MS,
        warnings: roleWarning ? [roleWarning] : [],
        clientId: integration?.clientId ?? null,
        integrationName: integration?.name ?? null,
        applicationId: integration?.applicationId ?? null,
        entityName: entityName.get(m.entityId) ?? null,
        roleName: role?.name ?? null,
      };
    });
}

/** Every mapping of the account: Administrator or "OAuth 2.0 Authorized Applications Management". */
export async function listMappings(
  deps: ServiceDeps,
  actor: Actor,
  accountId: string,
): Promise<MappingView[]> {
  const account = await permittedAccount(deps, actor, accountId, MANAGE_ALL);
  return mappingViews(deps, account.id);
}
