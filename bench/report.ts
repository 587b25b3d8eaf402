/**
 * Turns the rounds into medians, checks the targets in targets.ts (PASS/MISS with the ratio) and prints
 * the table that docs/performance.md reproduces.
 */
import type { LoadResult } from './load-client.ts';
import type { MeasuredRun } from './measure.ts';

export interface RunRecord {
  target: string;
  round: number;
  result: MeasuredRun;
  /** Server RSS right after the run (MB). */
  rssMb: number;
}

export interface RssSample {
  /** Seconds since the soak started. */
  t: number;
  mb: number;
  /** Size of the SQLite WAL file at that moment. */
  walMb?: number;
}

export interface Verdict {
  name: string;
  pass: boolean;
  detail: string;
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Least-squares slope of mb over t, in MB per minute. */
export function slopeMbPerMin(samples: readonly RssSample[]): number {
  const n = samples.length;
  if (n < 2) return 0;
  const mt = samples.reduce((s, x) => s + x.t, 0) / n;
  const mm = samples.reduce((s, x) => s + x.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.t - mt) * (x.mb - mm);
    den += (x.t - mt) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60;
}

export interface TargetSummary {
  target: string;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  worstP99Ms: number;
  non200: number;
  errors: number;
  requests: number;
  roundsRps: number[];
  /** Median requests per second of server CPU time. */
  perCpuSecond: number;
  /** Highest load-generator event loop utilization seen. */
  generatorElu: number;
}

export function summarize(runs: readonly RunRecord[], target: string): TargetSummary {
  const mine = runs.filter((r) => r.target === target);
  const non200 = (r: LoadResult) => Object.values(r.non200).reduce((a, b) => a + b, 0);
  return {
    target,
    rps: median(mine.map((r) => r.result.rps)),
    p50Ms: median(mine.map((r) => r.result.p50Ms)),
    p99Ms: median(mine.map((r) => r.result.p99Ms)),
    worstP99Ms: Math.max(...mine.map((r) => r.result.p99Ms)),
    non200: mine.reduce((s, r) => s + non200(r.result), 0),
    errors: mine.reduce((s, r) => s + r.result.errors, 0),
    requests: mine.reduce((s, r) => s + r.result.completed, 0),
    roundsRps: mine.map((r) => Math.round(r.result.rps)),
    perCpuSecond: median(mine.map((r) => r.result.perCpuSecond)),
    generatorElu: Math.max(...mine.map((r) => r.result.generatorElu)),
  };
}

export interface SoakSummary {
  /** Length of the load (s): the samples cover [0, seconds]. */
  seconds: number;
  /** RSS samples taken while the load ran (one a second); later ones are dropped. */
  samples: number;
  startMb: number;
  peakMb: number;
  /** The last sample taken under load (never one after the load stopped). */
  endMb: number;
  /** Highest RSS in the first half of the load, and in the second half. */
  firstHalfPeakMb: number;
  secondHalfPeakMb: number;
  /** MB per minute over the second half of the soak (least-squares fit). */
  slopeSecondHalf: number;
  /** The rule below: RSS stopped growing. */
  bounded: boolean;
  /** Largest WAL file seen during the soak, MB. */
  walPeakMb: number;
  requests: number;
  non200: number;
  errors: number;
}

/**
 * RSS is "bounded" when it has stopped growing: over the soak's second half the fitted slope is
 * at most 2 MB/min (GC sawtooth stays well inside that) or the second half never exceeds the
 * first half's peak by more than 5 %.
 */
export const RSS_SLOPE_LIMIT = 2;
export const RSS_SECOND_HALF_MARGIN = 1.05;

/**
 * The soak's RSS under load. Only samples taken while the load ran count (t ≤ `loadSeconds`): a
 * process that has just stopped serving still holds what the run left (sockets closing, garbage
 * not yet collected), and one such sample at the end moved a fitted slope by MB/min.
 */
export function summarizeSoak(
  all: readonly RssSample[],
  load: LoadResult,
  loadSeconds: number,
): SoakSummary {
  const samples = all.filter((s) => s.t <= loadSeconds);
  const half = loadSeconds / 2;
  const first = samples.filter((s) => s.t < half);
  const second = samples.filter((s) => s.t >= half);
  const peak = (xs: readonly RssSample[]) => Math.max(0, ...xs.map((s) => s.mb));
  const slopeSecondHalf = slopeMbPerMin(second);
  const firstHalfPeakMb = peak(first);
  const secondHalfPeakMb = peak(second);
  return {
    seconds: loadSeconds,
    samples: samples.length,
    startMb: samples[0]?.mb ?? 0,
    peakMb: peak(samples),
    endMb: samples[samples.length - 1]?.mb ?? 0,
    firstHalfPeakMb,
    secondHalfPeakMb,
    slopeSecondHalf,
    // Too few samples in either half to judge: not bounded (the verdict says why).
    bounded:
      first.length > 0 &&
      second.length > 1 &&
      (slopeSecondHalf <= RSS_SLOPE_LIMIT ||
        secondHalfPeakMb <= firstHalfPeakMb * RSS_SECOND_HALF_MARGIN),
    walPeakMb: Math.max(0, ...samples.map((s) => s.walMb ?? 0)),
    requests: load.completed,
    non200: Object.values(load.non200).reduce((a, b) => a + b, 0),
    errors: load.errors,
  };
}

export function verdicts(
  s: Record<string, TargetSummary>,
  soak: SoakSummary | null,
  bulk: number,
  auditRows = 0,
): Verdict[] {
  const mint = s.certmint;
  const floor = s.floor;
  const peer = s['oidc-provider'];
  const large = s['certmint-100k'];
  const out: Verdict[] = [];
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  if (mint && floor && peer) {
    // The targets are per second of server CPU time, which a busy machine barely disturbs (on an
    // idle machine they match the wall-clock ratios, which are reported beside them).
    const f = ratio(mint.perCpuSecond, floor.perCpuSecond);
    const p = ratio(mint.perCpuSecond, peer.perCpuSecond);
    // The floor with only the two durable records: how much of the 10 % they leave.
    const records = s['floor-records'];
    const bound = records
      ? `; the floor with the durable records alone ${ratio(records.perCpuSecond, floor.perCpuSecond).toFixed(2)} ×, ` +
        `certmint ${ratio(mint.perCpuSecond, records.perCpuSecond).toFixed(2)} × that`
      : '';
    out.push({
      name: 'per CPU-second ≥ 0.90 × floor',
      pass: f >= 0.9,
      detail:
        `${f.toFixed(2)} × (${mint.perCpuSecond.toFixed(0)} vs ${floor.perCpuSecond.toFixed(0)} ` +
        `req/CPU-s); by wall clock ${ratio(mint.rps, floor.rps).toFixed(2)} × ` +
        `(${mint.rps.toFixed(0)} vs ${floor.rps.toFixed(0)} req/s)${bound}`,
    });
    out.push({
      name: 'per CPU-second ≥ 1.6 × oidc-provider',
      pass: p >= 1.6,
      detail:
        `${p.toFixed(2)} × (${mint.perCpuSecond.toFixed(0)} vs ${peer.perCpuSecond.toFixed(0)} ` +
        `req/CPU-s); by wall clock ${ratio(mint.rps, peer.rps).toFixed(2)} × ` +
        `(${mint.rps.toFixed(0)} vs ${peer.rps.toFixed(0)} req/s)`,
    });
  }
  if (mint && floor) {
    out.push({
      name: "p99 ≤ 1.5 × the floor's p99",
      pass: mint.p99Ms <= 1.5 * floor.p99Ms,
      detail:
        `median p99 ${mint.p99Ms.toFixed(2)} ms vs the floor's ${floor.p99Ms.toFixed(2)} ms ` +
        `(${ratio(mint.p99Ms, floor.p99Ms).toFixed(2)} ×; certmint's worst round ${mint.worstP99Ms.toFixed(2)} ms)`,
    });
  }
  const mintRuns = [mint, large].filter((x): x is TargetSummary => x !== undefined);
  const bad =
    mintRuns.reduce((n, x) => n + x.non200 + x.errors, 0) + (soak ? soak.non200 + soak.errors : 0);
  const total = mintRuns.reduce((n, x) => n + x.requests, 0) + (soak?.requests ?? 0);
  out.push({
    name: 'zero non-200 answers (certmint, all runs)',
    pass: bad === 0,
    detail: `${bad} of ${total} requests`,
  });
  if (mint && large) {
    const r = ratio(large.rps, mint.rps);
    const c = ratio(large.perCpuSecond, mint.perCpuSecond);
    out.push({
      name: `${bulk.toLocaleString('en')} mappings and ${auditRows.toLocaleString('en')} audit rows within 10 % of a small store`,
      pass: c >= 0.9,
      detail:
        `per CPU-second ${c.toFixed(2)} × (${large.perCpuSecond.toFixed(0)} vs ` +
        `${mint.perCpuSecond.toFixed(0)} req/CPU-s); by wall clock ${r.toFixed(2)} × ` +
        `(${large.rps.toFixed(0)} vs ${mint.rps.toFixed(0)} req/s)`,
    });
  }
  if (soak) {
    out.push({
      name: `RSS bounded over a ${soak.seconds} s run`,
      pass: soak.bounded,
      detail:
        `${soak.samples} samples under load: start ${soak.startMb.toFixed(0)} MB, peak ` +
        `${soak.firstHalfPeakMb.toFixed(0)} MB (first half) / ${soak.secondHalfPeakMb.toFixed(0)} MB ` +
        `(second half), last ${soak.endMb.toFixed(0)} MB; second-half slope ` +
        `${soak.slopeSecondHalf.toFixed(2)} MB/min (bounded: ≤ ${RSS_SLOPE_LIMIT} MB/min, or the ` +
        `second half ≤ ${Math.round((RSS_SECOND_HALF_MARGIN - 1) * 100)} % above the first half's peak)` +
        (soak.seconds < 300 ? ' (shorter than the 300 s target: set BENCH_SOAK=300)' : ''),
    });
    out.push({
      name: 'WAL ≤ 64 MB over the soak',
      pass: soak.walPeakMb <= 64,
      detail: `peak WAL ${soak.walPeakMb.toFixed(1)} MB (sampled every second)`,
    });
  }
  return out;
}

export function printTable(rows: readonly TargetSummary[]): void {
  const head = [
    'target',
    'req/s (median)',
    'rounds req/s',
    'req/CPU-s',
    'p50 ms',
    'p99 ms',
    'non-200',
    'errors',
  ];
  const lines = rows.map((r) => [
    r.target,
    r.rps.toFixed(0),
    r.roundsRps.join(' / '),
    r.perCpuSecond.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    String(r.non200),
    String(r.errors),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(fmt(head));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const l of lines) console.log(fmt(l));
}
