/**
 * Active certificates that expire within a window (`certmint cert expiring --within 30d`, for
 * cron and monitoring): one account, or every account for `system` (the CLI).
 */
import { invalidInput } from '../../domain/errors.ts';
import { daysLeft } from '../../domain/notices.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from '../records/access.ts';
import { MANAGE_ALL } from '../records/mappings.ts';
import { type MappingView, mappingViews } from './views.ts';

/** Ten years: beyond any certificate's life, so a typo does not become a full-table scan. */
const MAX_WINDOW_MS = 3650 * 86_400_000;

export interface ExpiringQuery {
  /** Window from now (ms): certificates whose end of validity falls inside it. */
  withinMs: number;
  /** One account; without it, the actor's own account (every account for the CLI's `system`). */
  accountId?: string;
}

export interface ExpiringCertificate extends MappingView {
  /** Whole days left, rounded up. */
  daysLeft: number;
}

/** Soonest first. */
export async function listExpiring(
  deps: ServiceDeps,
  actor: Actor,
  q: ExpiringQuery,
): Promise<ExpiringCertificate[]> {
  if (!Number.isFinite(q.withinMs) || q.withinMs < 1 || q.withinMs > MAX_WINDOW_MS) {
    throw invalidInput(
      'expiring.window',
      'the window must be from one hour to ten years, e.g. 30d',
    );
  }
  // A signed-in entity sees its own account; only the system (the CLI) sees every account.
  const accountId = q.accountId ?? (actor.kind === 'entity' ? actor.accountId : undefined);
  let accounts: string[];
  if (accountId !== undefined) {
    accounts = [(await permittedAccount(deps, actor, accountId, MANAGE_ALL)).id];
  } else {
    const now = deps.clock.now();
    const soon = await deps.store.notices.expiring(now, now + q.withinMs);
    accounts = [...new Set(soon.map((m) => m.accountId))];
  }
  const now = deps.clock.now();
  const out: ExpiringCertificate[] = [];
  for (const accountId of accounts) {
    for (const v of await mappingViews(deps, accountId)) {
      if (v.status !== 'active' || v.validUntil - now > q.withinMs) continue;
      out.push({ ...v, daysLeft: daysLeft(v.validUntil, now) });
    }
  }
  return out.sort(
    (a, b) => a.validUntil - b.validUntil || a.certificateId.localeCompare(b.certificateId),
  );
}
