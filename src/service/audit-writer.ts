/**
 * The token endpoints' writer: audit records and replay claims. Every request awaits its record
 * before it is answered, so no answered request goes unrecorded: `record()`, or `claim()` with
 * the success record riding on the claim (stored with it, if it is won) — `claimBoth()` for a
 * DPoP request's two claims (stored if both are won). It awaits the claim before it signs. What is submitted during one event-loop turn — the claims of requests
 * being authenticated and the records of requests about to be answered — goes to the store in
 * one commit (LedgerStore: one SQLite transaction, one PostgreSQL statement): one commit per
 * turn instead of one per kind (measured: docs/performance.md).
 */
import type { AuditEvent } from '../domain/audit.ts';
import type { LedgerClaim, LedgerStore, ReplayClaim } from '../store/ports.ts';
import { GroupCommit } from './group-commit.ts';
import type { ServiceMetrics } from './metrics.ts';

/**
 * One submission: a request's claims (one, or a DPoP request's two) with the success record that
 * rides on them, or a record alone. Answers one verdict per claim, in order.
 */
type Entry =
  | { claims: readonly ReplayClaim[]; onWin: AuditEvent | undefined; event?: undefined }
  | { claims?: undefined; onWin?: undefined; event: AuditEvent };

const NO_CLAIMS: readonly boolean[] = [];

export class AuditWriter {
  private readonly commits: GroupCommit<Entry, readonly boolean[]>;

  /**
   * `inFlight`: batches written at once, `busyBatch`: items that start another batch while one
   * is in flight (group-commit.ts): 1 on SQLite, a few on PostgreSQL. `metrics` counts each
   * batch's outcomes once written (the outcomes really recorded) and times its commit.
   */
  constructor(store: LedgerStore, inFlight = 1, busyBatch = 1, metrics?: ServiceMetrics) {
    this.commits = new GroupCommit<Entry, readonly boolean[]>(
      async (entries) => {
        const claims: LedgerClaim[] = [];
        const events: AuditEvent[] = [];
        for (const e of entries) {
          if (e.claims) pushClaims(claims, e.claims, e.onWin);
          else events.push(e.event);
        }
        const won = await store.commit(claims, events);
        let next = 0;
        // Each entry its claims' verdicts, in submission order; a record alone none.
        const out = entries.map((e) =>
          e.claims ? e.claims.map(() => won[next++] ?? false) : NO_CLAIMS,
        );
        if (metrics) {
          // The records written: the events, and the record of each entry whose claims all won.
          metrics.auditWritten(events);
          metrics.auditWritten(
            entries.flatMap((e, i) =>
              e.onWin && out[i]?.every((w) => w) === true ? [e.onWin] : [],
            ),
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
    return this.commits.submit({ claims: [claim], onWin }).then(([won]) => won === true);
  }

  /**
   * Two atomic unique claims in one commit, each answered on its own (a replayed proof does not
   * give the assertion back). `onWin` is stored in that commit if and only if both are won: a
   * DPoP request waits for one commit, as any other.
   */
  claimBoth(
    first: ReplayClaim,
    second: ReplayClaim,
    onWin?: AuditEvent,
  ): Promise<[boolean, boolean]> {
    return this.commits
      .submit({ claims: [first, second], onWin })
      .then(([a, b]) => [a === true, b === true]);
  }

  drain(): Promise<void> {
    return this.commits.drain();
  }
}

/** An entry's claims as ledger claims; its record rides on the first, needing the second too. */
function pushClaims(
  out: LedgerClaim[],
  claims: readonly ReplayClaim[],
  onWin: AuditEvent | undefined,
): void {
  const at = out.length;
  claims.forEach((c, i) => {
    if (i > 0 || onWin === undefined) out.push(c);
    else if (claims.length === 1) out.push({ ...c, onWin });
    else out.push({ ...c, onWin, onWinAlso: at + 1 });
  });
}
