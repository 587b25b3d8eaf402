/**
 * The rules of `certmint serve --workers` (cli/serve/primary.ts) that need no process: how long
 * a dead worker's restart waits, and each worker's share of the node's rate limits. The
 * processes themselves: serve-workers.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RESTART_MAX_MS, restartBackoff, workerRateLimits } from '../../src/cli/serve/primary.ts';

describe('certmint serve --workers: the rules', () => {
  it('restarts wait 100 ms, doubling while workers die young, up to 30 s', () => {
    let current = 100;
    const waits: number[] = [];
    for (let i = 0; i < 11; i++) {
      const { wait, next } = restartBackoff(current, 1_000);
      waits.push(wait);
      current = next;
    }
    assert.deepEqual(waits, [
      100,
      200,
      400,
      800,
      1600,
      3200,
      6400,
      12800,
      25600,
      RESTART_MAX_MS,
      RESTART_MAX_MS,
    ]);
    // A worker that lived 30 s was healthy: the next restart is quick again.
    assert.deepEqual(restartBackoff(RESTART_MAX_MS, 30_000), { wait: 100, next: 200 });
  });

  it("each worker gets 1/N of the node's rate limits, rounded up; 0 stays no limit", () => {
    assert.deepEqual(
      workerRateLimits({ perClientPerMinute: 6000, perAddressPerMinute: 30_000 }, 4),
      { perClientPerMinute: 1500, perAddressPerMinute: 7500 },
    );
    assert.deepEqual(workerRateLimits({ perClientPerMinute: 1, perAddressPerMinute: 0 }, 3), {
      perClientPerMinute: 1,
      perAddressPerMinute: 0,
    });
    assert.deepEqual(workerRateLimits({ perClientPerMinute: 7, perAddressPerMinute: 5 }, 2), {
      perClientPerMinute: 4,
      perAddressPerMinute: 3,
    });
  });
});
