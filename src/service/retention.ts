/**
 * Audit retention: events older than the retention period are deleted by the services'
 * background job, in batches of AUDIT_PURGE_BATCH rows (each its own short transaction, so a
 * large backlog never holds the write lock for long), at most AUDIT_PURGE_MAX_BATCHES per run;
 * a bigger backlog is worked off over the next runs.
 */
import type { AuditStore } from '../store/ports.ts';

/** Default retention of the audit trail. */
export const AUDIT_RETENTION_DAYS = 90;
export const AUDIT_PURGE_BATCH = 1000;
export const AUDIT_PURGE_MAX_BATCHES = 100;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes events older than `retentionDays` before `now`; 0 keeps everything. Returns how many. */
export async function purgeAudit(
  audit: Pick<AuditStore, 'purgeBefore'>,
  now: number,
  retentionDays: number,
  opts: { batch?: number; stopped?: () => boolean } = {},
): Promise<number> {
  if (retentionDays <= 0) return 0;
  const batch = opts.batch ?? AUDIT_PURGE_BATCH;
  const before = now - retentionDays * DAY_MS;
  let total = 0;
  for (let i = 0; i < AUDIT_PURGE_MAX_BATCHES && opts.stopped?.() !== true; i++) {
    const n = await audit.purgeBefore(before, batch);
    total += n;
    if (n < batch) break;
    // Let the requests queued meanwhile have the database before the next batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return total;
}
