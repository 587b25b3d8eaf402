/**
 * Waiting for something that happens in the background (another node's cache, a worker thread,
 * another process) without a fixed sleep: look again until it holds, up to a deadline, then fail
 * saying what did not happen. The deadline is an upper bound only; a passing test returns as
 * soon as the condition holds.
 *
 *   await eventually('node B refuses the revoked certificate', async () => (await onB()) === 401);
 */
import { setTimeout as pause } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Between two looks (default 20 ms): short, so a test waits little longer than it must. */
  everyMs?: number;
}

/** Resolves once `check()` returns true; rejects with `timed out after N ms waiting until …`. */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  opts: EventuallyOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    }
    await pause(opts.everyMs ?? 20);
  }
}
