/**
 * Administrative changes in the audit trail: who (the actor's entity; null for the CLI) changed
 * which record of which account. Written after the change commits; a refused change writes
 * nothing (it changed nothing).
 */
import { type AuditEventType, type AuditFields, auditEvent } from '../../domain/audit.ts';
import { type Actor, actorEntityId, type ServiceDeps } from '../context.ts';

export function auditChange(
  deps: ServiceDeps,
  actor: Actor,
  type: AuditEventType,
  accountId: string,
  fields: Omit<AuditFields, 'actor' | 'result' | 'detail' | 'remoteAddress'> = {},
): Promise<void> {
  return deps.store.audit.append([
    auditEvent(type, accountId, deps.clock.now(), { ...fields, actor: actorEntityId(actor) }),
  ]);
}
