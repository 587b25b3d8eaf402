import { ConfigurationError } from './errors.ts';

/** Retry policy for token requests: network errors and 5xx only, never 4xx. */
export interface RetryOptions {
  /** Total attempts, the first included. Default 3; 1 disables retries. */
  attempts?: number;
  /** First backoff ceiling in ms; doubles per attempt. Default 200. */
  baseDelayMs?: number;
  /** Largest backoff in ms. Default 5 000. */
  maxDelayMs?: number;
  /** Injectable for tests. Default: a real timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: a number in [0, 1). Default Math.random. */
  random?: () => number;
}

export interface RetryPolicy {
  attempts: number;
  /** Delay before attempt `n + 1`, after `n` failed attempts (n ≥ 1). */
  delay(n: number): number;
  sleep: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Exponential backoff with "full jitter" (a uniform delay in [0, ceiling)): many clients that
 * failed together do not come back together.
 */
export function retryPolicy(o: RetryOptions = {}): RetryPolicy {
  const attempts = o.attempts ?? 3;
  const base = o.baseDelayMs ?? 200;
  const max = o.maxDelayMs ?? 5_000;
  // A NaN here would mean "retry forever": refuse anything but sane numbers.
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw new ConfigurationError('retry.attempts must be an integer from 1 to 10');
  }
  if (!(base >= 0 && max >= 0 && Number.isFinite(base) && Number.isFinite(max))) {
    throw new ConfigurationError('retry.baseDelayMs and retry.maxDelayMs must be finite and ≥ 0');
  }
  const random = o.random ?? Math.random;
  return {
    attempts,
    delay: (n) => Math.floor(random() * Math.min(max, base * 2 ** (n - 1))),
    sleep: o.sleep ?? realSleep,
  };
}
