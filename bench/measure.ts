/**
 * One measured run against one target: sign a fresh pool big enough for the expected rate
 * (before the clock starts), fire it, and if the pool ran dry — the target was faster than
 * expected — sign a bigger one and run again, so a run is never cut short or made to reuse an
 * assertion.
 */
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
}

/** Initial guesses, before a warm-up has measured the target. */
export const INITIAL_RATE: Record<BenchAlg, number> = { ES256: 12_000, PS256: 4_000 };

export async function measure(target: Target, o: MeasureOptions): Promise<LoadResult> {
  for (let attempt = 0; ; attempt++) {
    const rate = o.expected.get(target.name) ?? INITIAL_RATE[o.alg];
    const count = Math.ceil(rate * o.seconds * 1.3) + 2_000;
    const bodies = await signPool({
      alg: o.alg,
      keys: target.keys,
      audience: target.audience,
      scope: BENCH_SCOPE,
      // Valid through signing and the run, within certmint's 3600 s limit on exp − iat.
      lifetimeS: Math.min(3600, o.seconds + 300),
      count,
    });
    o.onStart?.();
    const result = await runLoad(
      { port: target.child.port, path: target.path },
      { connections: o.connections, durationMs: o.seconds * 1000, next: cursor(bodies) },
    );
    // The next pool is sized from what this run reached; a faster run just re-runs below.
    if (!result.exhausted) o.expected.set(target.name, result.rps);
    if (!result.exhausted || attempt >= 2) return result;
    o.expected.set(target.name, rate * 2);
    console.log(`  (${target.name}: pool of ${count} ran dry; re-running with a larger one)`);
  }
}

export function describe(r: LoadResult): string {
  const bad = Object.entries(r.non200)
    .map(([s, n]) => `${n}×${s}`)
    .join(',');
  return (
    `${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms` +
    `  max ${r.maxMs.toFixed(1)} ms  n=${r.completed}` +
    (bad ? `  non-200 ${bad}` : '') +
    (r.errors ? `  errors ${r.errors}` : '') +
    (r.exhausted ? '  (pool exhausted)' : '')
  );
}
