/**
 * The database cannot be reached or cannot take a write right now (connection refused or
 * lost, server shutting down, locked beyond the wait budget, disk full). The store adapters
 * throw it for those faults only, so the interfaces can answer "try again later" (HTTP 503)
 * instead of a server error; anything else stays what it is.
 */
export class StoreUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`the database is unavailable: ${reason}`, options);
    this.name = 'StoreUnavailableError';
  }
}

export const isStoreUnavailable = (e: unknown): e is StoreUnavailableError =>
  e instanceof StoreUnavailableError;

/** Seconds a client is asked to wait (Retry-After) while the database is unavailable. */
export const STORE_RETRY_AFTER_SECONDS = 5;
