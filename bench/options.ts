/**
 * Benchmark settings, all from the environment so `npm run bench` needs no arguments:
 *
 *   BENCH_DURATION  seconds per target per round (default 10)
 *   BENCH_ROUNDS    rounds of floor → floor-records → oidc-provider → certmint → certmint-100k
 *                   (default 3)
 *   BENCH_CONNS     concurrent keep-alive connections (default 32)
 *   BENCH_ALG       ES256 (default) or PS256 — the client-assertion algorithm of every target
 *   BENCH_SOAK      seconds of the RSS and WAL soak run on certmint (default 20; the target: 300)
 *   BENCH_BULK      mappings in the large store (default 100000)
 *   BENCH_AUDIT     audit rows in the large store (default 1000000)
 *   BENCH_KEYS      real mapped keys the load is spread over (default 4, at most 5: NetSuite's
 *                   limit of active certificates per integration)
 *   BENCH_WARMUP    seconds of unmeasured warm-up per target (default 2)
 *   BENCH_PROFILE   1: instead of the comparison, profile certmint with --cpu-prof for one
 *                   BENCH_DURATION run and print its hottest frames
 *   BENCH_OUT       where to write the JSON results (default <tmpdir>/certmint-bench.json)
 */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type BenchAlg = 'ES256' | 'PS256';

export interface BenchOptions {
  durationS: number;
  rounds: number;
  connections: number;
  alg: BenchAlg;
  soakS: number;
  bulk: number;
  auditRows: number;
  keys: number;
  warmupS: number;
  profile: boolean;
  out: string;
}

function intOf(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name}=${raw.slice(0, 20)}: use a whole number from ${min} to ${max}`);
  }
  return n;
}

export function readOptions(): BenchOptions {
  const alg = (process.env.BENCH_ALG ?? 'ES256').toUpperCase();
  if (alg !== 'ES256' && alg !== 'PS256') {
    throw new Error(`BENCH_ALG=${alg.slice(0, 20)}: use ES256 or PS256`);
  }
  return {
    durationS: intOf('BENCH_DURATION', 10, 1, 3600),
    rounds: intOf('BENCH_ROUNDS', 3, 1, 50),
    connections: intOf('BENCH_CONNS', 32, 1, 1024),
    alg,
    soakS: intOf('BENCH_SOAK', 20, 0, 3600),
    bulk: intOf('BENCH_BULK', 100_000, 10, 10_000_000),
    auditRows: intOf('BENCH_AUDIT', 1_000_000, 0, 100_000_000),
    keys: intOf('BENCH_KEYS', 4, 1, 5),
    warmupS: intOf('BENCH_WARMUP', 2, 0, 600),
    profile: process.env.BENCH_PROFILE === '1',
    out: resolve(process.env.BENCH_OUT ?? join(tmpdir(), 'certmint-bench.json')),
  };
}
