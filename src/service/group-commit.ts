/**
 * Group commit: the writes submitted during one event-loop turn go to the store together, in one
 * call (one transaction), and each caller gets its own result. On SQLite a commit costs far more
 * than an insert, so sharing it between the requests in flight is most of the cost of a durable
 * write (measured: docs/performance.md). Callers await their result: nothing is answered before
 * it is written.
 */
interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private scheduled = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    /** Writes a batch; returns one result per item, in order. */
    private readonly write: (items: I[]) => Promise<O[]>,
    private readonly maxBatch = 500,
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
      if (!this.scheduled) {
        this.scheduled = true;
        // setImmediate: every request already parsed in this turn joins the batch.
        setImmediate(() => {
          this.chain = this.chain.then(() => this.flush());
        });
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const start = performance.now();
      try {
        const out = await this.write(batch.map((p) => p.item));
        this.onFlush?.((performance.now() - start) / 1000, batch.length, false);
        for (const [i, p] of batch.entries()) p.resolve(out[i] as O);
      } catch (e) {
        this.onFlush?.((performance.now() - start) / 1000, batch.length, true);
        for (const p of batch) p.reject(e);
      }
    }
  }

  /** Resolves when everything submitted so far is written (graceful shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.chain;
    }
    await this.chain;
  }
}
