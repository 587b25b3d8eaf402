/**
 * The audit trail's writer. Every request awaits `record()` before it is answered, so no
 * answered request goes unrecorded; concurrent requests share one multi-row insert.
 */
import type { AuditEvent } from '../domain/audit.ts';
import type { AuditStore } from '../store/ports.ts';
import { GroupCommit } from './group-commit.ts';
import type { ServiceMetrics } from './metrics.ts';

export class AuditWriter {
  private readonly commits: GroupCommit<AuditEvent, void>;

  /** `metrics` counts each batch once written: the outcomes that were really recorded. */
  constructor(store: AuditStore, metrics?: ServiceMetrics) {
    this.commits = new GroupCommit<AuditEvent, void>(
      async (events) => {
        await store.append(events);
        metrics?.auditWritten(events);
        return [];
      },
      undefined,
      metrics && ((s, _n, failed) => metrics.storeFlushed('audit', s, failed)),
    );
  }

  record(event: AuditEvent): Promise<void> {
    return this.commits.submit(event);
  }

  drain(): Promise<void> {
    return this.commits.drain();
  }
}
