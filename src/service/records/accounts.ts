/**
 * Account use cases. Ids follow NetSuite's forms (see domain/account.ts); a sandbox or release
 * preview names its production parent, which must exist first. Sandbox refresh replaces the
 * sandbox's records with production's and clears its M2M setup.
 */
import { type Account, type AccountKind, parseAccountId } from '../../domain/account.ts';
import { auditEvent } from '../../domain/audit.ts';
import { conflict, forbidden, invalidInput, notFound } from '../../domain/errors.ts';
import type { RefreshResult } from '../../store/ports.ts';
import { type Actor, actorEntityId, type ServiceDeps } from '../context.ts';
import { adminAccount, requireAdministrator } from './access.ts';
import { auditChange } from './admin-audit.ts';
import { accountIdOf, existingAccount } from './validate.ts';

const KINDS: readonly AccountKind[] = ['production', 'sandbox', 'release-preview'];

export interface CreateAccountInput {
  id: string;
  /** Optional: when given it must agree with the id's form (a safety check for the CLI flag). */
  kind?: string;
}

/**
 * Creates an account and its built-in Administrator role. Production accounts may only be
 * created by the system (CLI / first start); a sandbox or release preview also by an
 * Administrator of its production account.
 */
export async function createAccount(
  deps: ServiceDeps,
  actor: Actor,
  input: CreateAccountInput,
): Promise<Account> {
  if (typeof input.id !== 'string') {
    throw invalidInput('account.invalid_id', 'an account id is required (e.g. 123456)');
  }
  const parsed = parseAccountId(input.id);
  if (input.kind !== undefined) {
    if (!(KINDS as readonly string[]).includes(input.kind)) {
      throw invalidInput(
        'account.invalid_kind',
        `unknown account kind "${String(input.kind).slice(0, 30)}": use ${KINDS.join(', ')}`,
      );
    }
    if (input.kind !== parsed.kind) {
      throw invalidInput(
        'account.kind_mismatch',
        `${parsed.id} is a ${parsed.kind} account id, not ${input.kind}: ` +
          'production ids are digits or TSTDRV digits, sandboxes <production>_SB<n>, release previews <production>_RP',
      );
    }
  }
  if (parsed.parentId === null) {
    if (actor.kind !== 'system') {
      throw forbidden(
        'permission.system_only',
        'production accounts are created by the operator on the command line, not by a signed-in user',
      );
    }
  } else {
    requireAdministrator(actor, parsed.parentId);
    const parent = await deps.store.accounts.get(parsed.parentId);
    if (!parent) {
      throw notFound(
        'account.parent_missing',
        `${parsed.id} belongs to production account ${parsed.parentId}, which does not exist: ` +
          'create it first',
        { cli: `with "certmint account create ${parsed.parentId}"` },
      );
    }
  }
  const account: Account = {
    id: parsed.id,
    kind: parsed.kind,
    parentId: parsed.parentId,
    createdAt: deps.clock.now(),
    refreshedAt: null,
  };
  if (!(await deps.store.accounts.create(account))) {
    throw conflict('account.exists', `account ${parsed.id} already exists`);
  }
  await auditChange(deps, actor, 'account.create', account.id);
  return account;
}

/** Every account for the system; a signed-in user sees only the account they are signed in to. */
export async function listAccounts(deps: ServiceDeps, actor: Actor): Promise<Account[]> {
  const all = await deps.store.accounts.list();
  return actor.kind === 'system' ? all : all.filter((a) => a.id === actor.accountId);
}

export async function getAccount(deps: ServiceDeps, actor: Actor, id: string): Promise<Account> {
  const accountId = accountIdOf(id);
  if (actor.kind !== 'system' && actor.accountId !== accountId) {
    throw forbidden('permission.other_account', 'you are signed in to another account');
  }
  return existingAccount(deps, accountId);
}

/**
 * Refreshes a sandbox from its production account (atomically, in the store): production's
 * entities, roles, assignments and integrations are copied in; the sandbox's mappings, signing
 * keys and revoked tokens are cleared, so every token it issued stops working. Needs the system
 * or an Administrator of the production account (NetSuite refreshes from production).
 */
export async function refreshSandbox(
  deps: ServiceDeps,
  actor: Actor,
  sandboxId: string,
): Promise<RefreshResult & { account: Account }> {
  const parsed = parseAccountId(typeof sandboxId === 'string' ? sandboxId : '');
  if (parsed.kind !== 'sandbox' || parsed.parentId === null) {
    throw invalidInput(
      'account.not_sandbox',
      `${parsed.id} is a ${parsed.kind} account: only sandboxes (<production>_SB<n>) can be refreshed`,
    );
  }
  requireAdministrator(actor, parsed.parentId);
  const sandbox = await existingAccount(deps, parsed.id);
  if (!(await deps.store.accounts.get(parsed.parentId))) {
    throw notFound(
      'account.parent_missing',
      `production account ${parsed.parentId} does not exist, so there is nothing to refresh from`,
    );
  }
  const now = deps.clock.now();
  const result = await deps.store.accounts.refreshSandbox(sandbox.id, parsed.parentId, now);
  await deps.store.audit.append([
    auditEvent('sandbox.refresh', sandbox.id, now, { actor: actorEntityId(actor) }),
  ]);
  return { ...result, account: { ...sandbox, refreshedAt: now } };
}

export interface AccountFamily {
  production: Account;
  /** Its sandboxes (by number) and release preview. */
  related: Account[];
  /** The smallest sandbox number not yet taken (what "new sandbox" suggests). */
  nextSandboxNumber: number;
}

const sandboxNumber = (id: string): number => Number(/_SB([0-9]+)$/.exec(id)?.[1] ?? 0);

/**
 * A production account with its sandboxes and release preview: what its Administrator may
 * create, refresh and sign in to.
 */
export async function accountFamily(
  deps: ServiceDeps,
  actor: Actor,
  productionId: string,
): Promise<AccountFamily> {
  const production = await adminAccount(deps, actor, productionId);
  if (production.kind !== 'production') {
    throw invalidInput(
      'account.not_production',
      `${production.id} is a ${production.kind} account: only a production account has sandboxes and a release preview`,
    );
  }
  const related = (await deps.store.accounts.list())
    .filter((a) => a.parentId === production.id)
    .sort(
      (a, b) =>
        (a.kind === b.kind ? 0 : a.kind === 'sandbox' ? -1 : 1) ||
        sandboxNumber(a.id) - sandboxNumber(b.id),
    );
  const taken = new Set(related.map((a) => sandboxNumber(a.id)));
  let next = 1;
  while (taken.has(next)) next++;
  return { production, related, nextSandboxNumber: next };
}
