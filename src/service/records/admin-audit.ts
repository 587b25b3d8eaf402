/**
 * Administrative requests in the audit trail: who (the actor's entity; null for the CLI) did or
 * tried what to which record of which account.
 *
 * - A change is recorded by its use case after it commits (`auditChange`), as a success.
 * - A refusal (the use case threw a DomainError: bad input, missing permission, limit reached,
 *   unknown record, certificate policy) is recorded once, in one place: the composition root
 *   wraps every administrative use case with `auditRefusals`, which writes a `failure` record
 *   whose detail is the DomainError's code and changes nothing else. No use case has a
 *   try/catch of its own for it.
 */
import { parseAccountId } from '../../domain/account.ts';
import { type AuditEventType, type AuditFields, auditEvent } from '../../domain/audit.ts';
import { DomainError } from '../../domain/errors.ts';
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

/** What a request named, as given (unchecked): the refusal record keeps what it can. */
export interface RefusedTarget {
  accountId?: unknown;
  entityId?: unknown;
  roleId?: unknown;
  clientId?: unknown;
  certificateId?: unknown;
}

/** How one use case's refusals are recorded: its event type, and what its arguments name. */
export interface RefusalSpec {
  type: AuditEventType;
  target: (args: readonly unknown[]) => RefusedTarget;
}

/** Values the caller sent are recorded up to this length. */
const MAX_TEXT = 128;

const text = (v: unknown): string | null =>
  typeof v === 'string' && v !== '' ? v.slice(0, MAX_TEXT) : null;

const id = (v: unknown): number | null => {
  const n = typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isSafeInteger(n) ? n : null;
};

const canonical = (v: unknown): string | null => {
  try {
    return typeof v === 'string' ? parseAccountId(v).id : null;
  } catch {
    return null;
  }
};

/**
 * The account whose trail gets the record: an entity acts in its own account (its entity id
 * means something only there, even when it reached for another account); the CLI's refusals go
 * to the account it named, if that account exists. Null: nowhere to record it.
 */
async function accountFor(deps: ServiceDeps, actor: Actor, target: string | null) {
  if (actor.kind === 'entity') return actor.accountId;
  if (target === null) return null;
  return (await deps.store.accounts.get(target)) ? target : null;
}

export async function auditRefusal(
  deps: ServiceDeps,
  actor: Actor,
  spec: RefusalSpec,
  args: readonly unknown[],
  refusal: DomainError,
): Promise<void> {
  let named: RefusedTarget = {};
  try {
    named = spec.target(args);
  } catch {
    // Arguments of an unexpected shape: the record says who and why, not what.
  }
  const target = canonical(named.accountId);
  const accountId = await accountFor(deps, actor, target);
  if (accountId === null) return;
  // The records named belong to the target account: only worth recording in that account.
  const same = target === accountId;
  await deps.store.audit.append([
    auditEvent(spec.type, accountId, deps.clock.now(), {
      result: 'failure',
      detail: refusal.code.slice(0, MAX_TEXT),
      actor: actorEntityId(actor),
      ...(same && {
        entityId: id(named.entityId),
        roleId: id(named.roleId),
        clientId: text(named.clientId),
        certificateId: text(named.certificateId),
      }),
    }),
  ]);
}

/** A use case as the interfaces call it: the actor first. */
type ActorUseCase = (actor: Actor, ...args: never[]) => Promise<unknown>;

/**
 * `uses` with each use case named in `specs` wrapped: a DomainError it throws is recorded as a
 * failure (auditRefusal), then thrown on unchanged. Other errors (server faults) pass through.
 */
export function auditRefusals<T extends object>(
  deps: ServiceDeps,
  uses: T,
  specs: NoInfer<{ [K in keyof T]?: T[K] extends ActorUseCase ? RefusalSpec : never }>,
): T {
  const out = { ...uses } as Record<string, unknown>;
  for (const [name, spec] of Object.entries(specs) as Array<[string, RefusalSpec | undefined]>) {
    const fn = out[name];
    if (spec === undefined || typeof fn !== 'function') continue;
    out[name] = async (actor: Actor, ...args: unknown[]) => {
      try {
        return await (fn as (actor: Actor, ...rest: unknown[]) => Promise<unknown>)(actor, ...args);
      } catch (e) {
        if (e instanceof DomainError) await auditRefusal(deps, actor, spec, args, e);
        throw e;
      }
    };
  }
  return out as T;
}

/** The property `key` of an argument that is an object (input records). */
export const fieldOf = (arg: unknown, key: string): unknown =>
  typeof arg === 'object' && arg !== null ? (arg as Record<string, unknown>)[key] : undefined;

/** A spec for use cases taking one input object that names the records (`{ accountId, … }`). */
export const inputSpec = (type: AuditEventType, accountKey = 'accountId'): RefusalSpec => ({
  type,
  target: ([input]) => ({
    accountId: fieldOf(input, accountKey),
    entityId: fieldOf(input, 'entityId'),
    roleId: fieldOf(input, 'roleId'),
    clientId: fieldOf(input, 'clientId'),
  }),
});

/** A spec for use cases taking `(accountId, <second>, …)` positionally. */
export const positionalSpec = (
  type: AuditEventType,
  second?: keyof RefusedTarget,
  third?: keyof RefusedTarget,
): RefusalSpec => ({
  type,
  target: ([accountId, b, c]) => ({
    accountId,
    ...(second && { [second]: b }),
    ...(third && { [third]: c }),
  }),
});
