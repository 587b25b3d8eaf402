/**
 * Group commit for the audit trail. Every request awaits `record()` before it is answered, so no
 * answered request goes unrecorded; concurrent requests share one multi-row insert, which keeps
 * the cost per request far below one transaction each.
 */
import type { AuditEvent } from '../domain/audit.ts';
import type { AuditStore } from '../store/ports.ts';

interface Pending {
  event: AuditEvent;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class AuditWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: AuditStore,
    private readonly maxBatch = 500,
  ) {}

  record(event: AuditEvent): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ event, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate: let every request already parsed in this turn join the batch.
        setImmediate(() => {
          this.inFlight = this.inFlight.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.store.append(batch.map((p) => p.event));
        for (const p of batch) p.resolve();
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
  }

  /** Resolves when everything recorded so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.inFlight;
    }
    await this.inFlight;
  }
}
