/**
 * The audit trail's writer. Every request awaits `record()` before it is answered, so no
 * answered request goes unrecorded; concurrent requests share one multi-row insert.
 */
import type { AuditEvent } from '../domain/audit.ts';
import type { AuditStore } from '../store/ports.ts';
import { GroupCommit } from './group-commit.ts';

export class AuditWriter {
  private readonly commits: GroupCommit<AuditEvent, void>;

  constructor(store: AuditStore) {
    this.commits = new GroupCommit<AuditEvent, void>(async (events) => {
      await store.append(events);
      return [];
    });
  }

  record(event: AuditEvent): Promise<void> {
    return this.commits.submit(event);
  }

  drain(): Promise<void> {
    return this.commits.drain();
  }
}
