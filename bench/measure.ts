/**
 * One measured run against one target: sign a fresh pool big enough for the expected rate
 * (before the clock starts), fire it, and if the pool ran dry — the target was faster than
 * expected — sign a bigger one and run again, so a run is never cut short or made to reuse an
 * assertion.
 *
 * Besides wall-clock throughput it records the server's own CPU time (asked from the child before
 * and after) — requests per CPU-second is what the server would do with a core to itself, and it
 * barely moves when other processes compete for the machine — and the load generator's event
 * loop utilization, which shows whether the generator could have been the bottleneck.
 */

import { performance } from 'node:perf_hooks';
import { cursor, signPool } from './assertions.ts';
import { type LoadResult, runLoad } from './load-client.ts';
import type { BenchAlg } from './options.ts';
import { BENCH_SCOPE } from './setup-certmint.ts';
import type { Target } from './targets.ts';

export interface MeasureOptions {
  alg: BenchAlg;
  connections: number;
  seconds: number;
  /** Expected requests per second (sizes the pool); updated from what was measured. */
  expected: Map<string, number>;
  /** Called once the pool is signed, just before the load starts (e.g. to start sampling). */
  onStart?: () => void;
  /** Called as soon as the load has stopped (before anything else is asked of the server). */
  onEnd?: () => void;
}

export interface MeasuredRun extends LoadResult {
  /** CPU time the server process used during the run (all its threads), ms. */
  serverCpuMs: number;
  /** Completed requests per second of server CPU time. */
  perCpuSecond: number;
  /** Event loop utilization of the load generator during the run (1 = saturated). */
  generatorElu: number;
}

/** Initial guesses, before a warm-up has measured the target. */
export const INITIAL_RATE: Record<BenchAlg, number> = { ES256: 12_000, PS256: 4_000 };

export async function measure(target: Target, o: MeasureOptions): Promise<MeasuredRun> {
  for (let attempt = 0; ; attempt++) {
    const rate = o.expected.get(target.name) ?? INITIAL_RATE[o.alg];
    // 1.6×: rates on a busy machine swing that much between runs; a dry pool costs a re-run.
    const count = Math.ceil(rate * o.seconds * 1.6) + 2_000;
    const bodies = await signPool({
      alg: o.alg,
      keys: target.keys,
      audience: target.audience,
      scope: BENCH_SCOPE,
      // Valid through signing and the run, within certmint's 3600 s limit on exp − iat.
      lifetimeS: Math.min(3600, o.seconds + 300),
      count,
    });
    const cpu0 = await target.child.cpu();
    o.onStart?.();
    const elu0 = performance.eventLoopUtilization();
    const load = await runLoad(
      { port: target.child.port, path: target.path },
      { connections: o.connections, durationMs: o.seconds * 1000, next: cursor(bodies) },
    );
    o.onEnd?.();
    const generatorElu = performance.eventLoopUtilization(elu0).utilization;
    const serverCpuMs = ((await target.child.cpu()) - cpu0) / 1000;
    const result: MeasuredRun = {
      ...load,
      serverCpuMs,
      perCpuSecond: serverCpuMs > 0 ? (load.completed / serverCpuMs) * 1000 : 0,
      generatorElu,
    };
    // The next pool is sized from what this run reached; a faster run just re-runs below.
    if (!result.exhausted) o.expected.set(target.name, result.rps);
    if (!result.exhausted || attempt >= 2) return result;
    o.expected.set(target.name, rate * 2);
    console.log(`  (${target.name}: pool of ${count} ran dry; re-running with a larger one)`);
  }
}

export function describe(r: MeasuredRun): string {
  const bad = Object.entries(r.non200)
    .map(([s, n]) => `${n}×${s}`)
    .join(',');
  return (
    `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms` +
    `  max ${r.maxMs.toFixed(1)} ms  n=${r.completed}  ${r.perCpuSecond.toFixed(0)} req/CPU-s` +
    `  gen ELU ${r.generatorElu.toFixed(2)}` +
    (bad ? `  non-200 ${bad}` : '') +
    (r.errors ? `  errors ${r.errors}` : '') +
    (r.exhausted ? '  (pool exhausted)' : '')
  );
}
