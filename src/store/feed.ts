import type { ChangeFeed } from './ports.ts';

/**
 * In-process fan-out of change notifications. Listeners should treat a call as "invalidate",
 * which is idempotent: after a LISTEN reconnect or another SQLite process's record write they get null
 * ("anything may have changed"). A throwing listener never breaks the writer or other listeners.
 */
export class LocalFeed implements ChangeFeed {
  readonly #listeners = new Set<(accountId: string | null) => void>();
  /** Called when the first listener subscribes / the last one leaves (SQLite starts polling). */
  onActiveChange: ((active: boolean) => void) | null = null;

  subscribe(listener: (accountId: string | null) => void): () => void {
    // Wrap so the same function can subscribe twice and unsubscribe each independently.
    const entry = (a: string | null) => listener(a);
    this.#listeners.add(entry);
    if (this.#listeners.size === 1) this.onActiveChange?.(true);
    return () => {
      if (this.#listeners.delete(entry) && this.#listeners.size === 0) {
        this.onActiveChange?.(false);
      }
    };
  }

  get size(): number {
    return this.#listeners.size;
  }

  emit(accountId: string | null): void {
    for (const l of [...this.#listeners]) {
      try {
        l(accountId);
      } catch {
        // A listener's bug must not turn a committed write into a reported failure.
      }
    }
  }
}
