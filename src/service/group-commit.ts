/**
 * Group commit: the writes submitted during one event-loop turn go to the store together, in one
 * call (one transaction), and each caller gets its own result. On SQLite a commit costs far more
 * than an insert, so sharing it between the requests in flight is most of the cost of a durable
 * write (measured: docs/performance.md). Callers await their result: nothing is answered before
 * it is written.
 *
 * `maxInFlight` batches may be written at once. SQLite has one connection (1 is all it can
 * use); on PostgreSQL a batch costs a network round trip, and with one batch at a time the
 * endpoint's throughput would be capped at one batch per round trip while the pool's other
 * connections sit idle. But every batch also costs CPU (a statement, socket writes): while a
 * batch is in flight, another starts only once `busyBatch` items wait; fewer wait for the
 * batch in flight to finish. So a lightly loaded node answers after one round trip, and a
 * busy one writes few, large batches.
 */
interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private scheduled = false;
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
    private readonly maxInFlight = 1,
    private readonly busyBatch = 1,
    /**
     * Told how long each batch took to write (seconds) and how many items it held: the store
     * latency metric. performance.now(), not the Clock: a duration, not a decision, and test
     * clocks stand still.
     */
    private readonly onFlush?: (seconds: number, items: number, failed: boolean) => void,
  ) {}

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.maxInFlight) return;
    if (this.running > 0 && this.queue.length < this.busyBatch) return;
    this.scheduled = true;
    // setImmediate: every request already parsed in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      while (
        this.running < this.maxInFlight &&
        this.queue.length > 0 &&
        (this.running === 0 || this.queue.length >= this.busyBatch)
      ) {
        this.running += 1;
        void this.run(this.queue.splice(0, this.maxBatch));
      }
    });
  }

  /** Writes one batch; settles every caller of it. Never rejects. */
  private async run(batch: Pending<I, O>[]): Promise<void> {
    const start = performance.now();
    try {
      const out = await this.write(batch.map((p) => p.item));
      this.onFlush?.((performance.now() - start) / 1000, batch.length, false);
      for (const [i, p] of batch.entries()) p.resolve(out[i] as O);
    } catch (e) {
      this.onFlush?.((performance.now() - start) / 1000, batch.length, true);
      for (const p of batch) p.reject(e);
    } finally {
      this.running -= 1;
      if (this.queue.length > 0) this.schedule();
      else if (this.running === 0 && !this.scheduled) {
        for (const done of this.idle.splice(0)) done();
      }
    }
  }

  /** Resolves when everything submitted so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled || this.running > 0) {
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
  }
}
