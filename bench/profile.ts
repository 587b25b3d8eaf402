/**
 * BENCH_PROFILE=1: certmint alone under the same load, its child started with `node --cpu-prof`;
 * the profile is cut to the measured run (no start-up, no warm-up) and its hottest frames are
 * printed. Profiling slows the server, so this mode measures nothing else.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, measure } from './measure.ts';
import type { BenchOptions } from './options.ts';
import { printTop, type Window } from './profile-top.ts';
import type { PreparedStore } from './setup-certmint.ts';
import { startCertmint } from './targets.ts';

/** The profile's timestamps are CLOCK_MONOTONIC µs, as hrtime is in any process. */
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export async function profile(
  opts: BenchOptions,
  store: PreparedStore,
  dir: string,
): Promise<void> {
  const profDir = join(dir, 'profile');
  mkdirSync(profDir);
  const target = await startCertmint('certmint', store, profDir);
  const expected = new Map<string, number>();
  const window: Window = { fromUs: 0, toUs: 0 };
  try {
    const common = { alg: opts.alg, connections: opts.connections, expected };
    await measure(target, { ...common, seconds: Math.max(1, opts.warmupS) });
    const r = await measure(target, {
      ...common,
      seconds: opts.durationS,
      onStart: () => {
        window.fromUs = nowUs();
      },
    });
    window.toUs = nowUs();
    console.log(`certmint (profiled)  ${describe(r)}`);
  } finally {
    await target.child.stop();
  }
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('the certmint child wrote no CPU profile');
  const kept = join(tmpdir(), 'certmint-bench.cpuprofile');
  writeFileSync(kept, readFileSync(join(profDir, file)));
  console.log('CPU profile of the measured run only:');
  printTop(kept, 25, window);
  console.log(`(profile kept at ${kept}: open it in Chrome DevTools or speedscope)`);
}
