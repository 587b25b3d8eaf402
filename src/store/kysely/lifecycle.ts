import type { Classify } from '../unavailable.ts';

/**
 * Makes `Store.close()` keep its promise ("resolves once every pending write is done"): every
 * port call is tracked; close first refuses new calls, then waits for the calls in flight, and
 * only then shuts the connections. Without it, a write started just before close could lose
 * its connection half-way (pg's pool refuses work after `end()`). Every port call's failure
 * also passes through the adapter's `classify` (connection faults become StoreUnavailableError).
 */
export class Lifecycle {
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #classify: Classify;
  #closed = false;

  constructor(classify: Classify = (e) => e) {
    this.#classify = classify;
  }

  /** Wraps every function of `port` (and of nested plain objects) so its promise is tracked. */
  wrap<T extends object>(port: T): T {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(port)) {
      if (typeof value === 'function') {
        out[key] = (...args: unknown[]) => this.#call(() => value.apply(port, args));
      } else if (value !== null && typeof value === 'object') {
        out[key] = this.wrap(value);
      } else {
        out[key] = value;
      }
    }
    return out as T;
  }

  #call(fn: () => unknown): unknown {
    if (this.#closed) return Promise.reject(new Error('the store is closed'));
    const called = fn();
    if (!(called instanceof Promise)) return called;
    const result = called.catch((e: unknown) => {
      throw this.#classify(e);
    });
    this.#inflight.add(result);
    const done = () => this.#inflight.delete(result);
    result.then(done, done);
    return result;
  }

  /** Refuses new calls, then resolves when every call in flight has settled. */
  async drain(): Promise<void> {
    this.#closed = true;
    while (this.#inflight.size > 0) {
      await Promise.allSettled([...this.#inflight]);
    }
  }
}
