/**
 * Reading the audit trail (NetSuite's Login Audit Trail): token requests with their precise
 * failure reason, plus administrative events. Needs Administrator or
 * `oauth2_authorized_apps_management` (whoever manages mappings must see why tokens fail).
 */
import {
  AUDIT_EVENT_TYPES,
  type AuditEvent,
  type AuditFilter,
  DETAIL_CODES,
  isAuditEventType,
  isDetailCode,
} from '../../domain/audit.ts';
import { invalidInput } from '../../domain/errors.ts';
import { CLIENT_ID_PATTERN } from '../../domain/integration.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from './access.ts';

export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;

/** Filters as they arrive from the CLI, a query string or JSON: validated here. */
export interface AuditQuery {
  accountId: string;
  result?: string;
  detail?: string;
  clientId?: string;
  type?: string;
  /** Inclusive lower bound: ms since the epoch, or an ISO 8601 date/time. */
  from?: number | string;
  /** Exclusive upper bound: ms since the epoch, or an ISO 8601 date/time. */
  to?: number | string;
  /** Paging: only events with id < before (newest first). */
  before?: number | string;
  /** 1…1000, default 100. */
  limit?: number | string;
}

function integerOf(input: number | string, what: string, min: number, max: number): number {
  const n =
    typeof input === 'number'
      ? input
      : /^[0-9]{1,16}$/.test(input.trim())
        ? Number(input)
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw invalidInput(
      'audit.invalid_filter',
      `${what} must be a whole number from ${min} to ${max} (got "${String(input).slice(0, 30)}")`,
    );
  }
  return n;
}

function timeOf(input: number | string, what: string): number {
  if (typeof input === 'number' || /^[0-9]+$/.test(input.trim())) {
    return integerOf(input, `${what} (ms since the epoch)`, 0, Number.MAX_SAFE_INTEGER);
  }
  const ms = Date.parse(input);
  if (Number.isNaN(ms)) {
    throw invalidInput(
      'audit.invalid_filter',
      `${what} must be a date such as 2026-01-31 or 2026-01-31T12:00:00Z, or ms since the epoch`,
    );
  }
  return ms;
}

export async function listAudit(
  deps: ServiceDeps,
  actor: Actor,
  query: AuditQuery,
): Promise<AuditEvent[]> {
  const account = await permittedAccount(deps, actor, query.accountId, [
    'oauth2_authorized_apps_management',
  ]);
  const filter: AuditFilter = {
    accountId: account.id,
    limit:
      query.limit === undefined
        ? DEFAULT_AUDIT_LIMIT
        : integerOf(query.limit, 'the limit', 1, MAX_AUDIT_LIMIT),
  };
  if (query.result !== undefined) {
    if (query.result !== 'success' && query.result !== 'failure') {
      throw invalidInput('audit.invalid_filter', 'the result filter must be success or failure');
    }
    filter.result = query.result;
  }
  if (query.detail !== undefined) {
    if (!isDetailCode(query.detail)) {
      throw invalidInput(
        'audit.invalid_filter',
        `unknown detail code "${query.detail.slice(0, 40)}": use one of ${DETAIL_CODES.join(', ')}`,
      );
    }
    filter.detail = query.detail;
  }
  if (query.clientId !== undefined) {
    const clientId = query.clientId.trim().toLowerCase();
    if (!CLIENT_ID_PATTERN.test(clientId)) {
      throw invalidInput(
        'audit.invalid_filter',
        'the client id filter must be an integration client id (64 hexadecimal characters)',
      );
    }
    filter.clientId = clientId;
  }
  if (query.type !== undefined) {
    if (!isAuditEventType(query.type)) {
      throw invalidInput(
        'audit.invalid_filter',
        `unknown event type "${query.type.slice(0, 40)}": use one of ${AUDIT_EVENT_TYPES.join(', ')}`,
      );
    }
    filter.type = query.type;
  }
  if (query.from !== undefined) filter.from = timeOf(query.from, 'from');
  if (query.to !== undefined) filter.to = timeOf(query.to, 'to');
  if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
    throw invalidInput('audit.invalid_filter', '"from" must be earlier than "to"');
  }
  if (query.before !== undefined) {
    filter.before = integerOf(query.before, 'before (an event id)', 1, Number.MAX_SAFE_INTEGER);
  }
  return deps.store.audit.list(filter);
}
