/**
 * The token endpoints' writer: audit records and replay claims. Every request awaits its record
 * before it is answered, so no answered request goes unrecorded: `record()`, or `claim()` with
 * the success record riding on the claim (stored with it, if it is won). It awaits `claim()`
 * before it signs. What is submitted during one event-loop turn — the claims of requests
 * being authenticated and the records of requests about to be answered — goes to the store in
 * one commit (LedgerStore: one SQLite transaction, one PostgreSQL statement): one commit per
 * turn instead of one per kind (measured: docs/performance.md).
 */
import type { AuditEvent } from '../domain/audit.ts';
import type { LedgerClaim, LedgerStore, ReplayClaim } from '../store/ports.ts';
import { GroupCommit } from './group-commit.ts';
import type { ServiceMetrics } from './metrics.ts';

type Entry = { claim: LedgerClaim; event?: undefined } | { claim?: undefined; event: AuditEvent };

export class AuditWriter {
  private readonly commits: GroupCommit<Entry, boolean>;

  /**
   * `inFlight`: batches written at once, `busyBatch`: items that start another batch while one
   * is in flight (group-commit.ts): 1 on SQLite, a few on PostgreSQL. `metrics` counts each
   * batch's outcomes once written (the outcomes really recorded) and times its commit.
   */
  constructor(store: LedgerStore, inFlight = 1, busyBatch = 1, metrics?: ServiceMetrics) {
    this.commits = new GroupCommit<Entry, boolean>(
      async (entries) => {
        const claims: LedgerClaim[] = [];
        const events: AuditEvent[] = [];
        for (const e of entries) {
          if (e.claim) claims.push(e.claim);
          else events.push(e.event);
        }
        const won = await store.commit(claims, events);
        let next = 0;
        // Records answer true; claims their own verdict, in submission order.
        const out = entries.map((e) => (e.claim ? (won[next++] ?? false) : true));
        if (metrics) {
          // The records written: the events, and the record of each claim won.
          metrics.auditWritten(events);
          metrics.auditWritten(
            entries.flatMap((e, i) => (e.claim?.onWin && out[i] ? [e.claim.onWin] : [])),
          );
        }
        return out;
      },
      500,
      inFlight,
      busyBatch,
      metrics && ((seconds, _n, failed) => metrics.storeFlushed('ledger', seconds, failed)),
    );
  }

  /** Resolves once the event is stored. */
  async record(event: AuditEvent): Promise<void> {
    await this.commits.submit({ event });
  }

  /**
   * Atomic unique claim (ReplayStore.claim): true the first time the key is claimed. `onWin`:
   * the request's success record, stored in the claim's commit if and only if it is won.
   */
  claim(claim: ReplayClaim, onWin?: AuditEvent): Promise<boolean> {
    return this.commits.submit({ claim: onWin ? { ...claim, onWin } : claim });
  }

  drain(): Promise<void> {
    return this.commits.drain();
  }
}
