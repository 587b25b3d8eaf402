/**
 * `npm run bench`: certmint's token endpoint against the floor (bare node:http doing only parse
 * + verify + sign), the floor with the two durable records (floor-records: records-store.ts) and
 * panva/oidc-provider 9, in one run, on this machine. Every server has its
 * own process (one event loop, one core); the load generator runs here. Rounds alternate
 * floor → floor-records → oidc-provider → certmint → certmint-100k (every other round backwards, each pair of
 * rounds starting one target later: bench/round-order.ts) so background
 * noise hits every target alike, and the median of the rounds is reported. Only ratios from the same run mean anything on a
 * shared machine. Settings: see options.ts. docs/performance.md explains the results.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { calibrate } from './calibrate.ts';
import { describe, type MeasuredRun, measure } from './measure.ts';
import { type BenchOptions, readOptions } from './options.ts';
import { profile } from './profile.ts';
import {
  printTable,
  type RssSample,
  type RunRecord,
  type SoakSummary,
  summarize,
  summarizeSoak,
  type TargetSummary,
  verdicts,
} from './report.ts';
import { roundOrder } from './round-order.ts';
import { makeCredentials, prepareStore } from './setup-certmint.ts';
import { startCertmint, startFloor, startPeer, type Target } from './targets.ts';

const mb = (bytes: number) => bytes / 1024 / 1024;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function prepare(opts: BenchOptions, dir: string) {
  console.log(`making ${opts.keys} ${opts.alg} certificates and the stores…`);
  const creds = await makeCredentials(opts.alg, opts.keys);
  const small = await prepareStore(join(dir, 'small.db'), creds, 10);
  const t0 = performance.now();
  const large = await prepareStore(
    join(dir, 'large.db'),
    creds,
    opts.bulk,
    undefined,
    opts.auditRows,
  );
  const bulkS = (performance.now() - t0) / 1000;
  console.log(
    `  stores: ${small.mappings} and ${large.mappings} mappings, ${opts.auditRows} audit rows in the large one (in ${bulkS.toFixed(1)} s)`,
  );
  return { creds, small, large };
}

/** The WAL file's size in MB (0 while there is none). */
function walMb(dbPath: string): number {
  try {
    return mb(statSync(`${dbPath}-wal`).size);
  } catch {
    return 0;
  }
}

/**
 * Soak: load on certmint for opts.soakS seconds, its RSS and WAL size sampled every second while
 * the load runs, and only then: a sample taken after the load stopped (or answered after it) is
 * not kept, so the summary never mixes an idle process into the trend (see summarizeSoak).
 */
async function soak(
  target: Target,
  opts: BenchOptions,
  expected: Map<string, number>,
  dbPath: string,
): Promise<{ samples: RssSample[]; result: MeasuredRun }> {
  let samples: RssSample[] = [];
  let timer: NodeJS.Timeout | undefined;
  let loading = false;
  const result = await measure(target, {
    alg: opts.alg,
    connections: opts.connections,
    seconds: opts.soakS,
    expected,
    onStart: () => {
      clearInterval(timer);
      const mine: RssSample[] = [];
      samples = mine;
      loading = true;
      const t0 = performance.now();
      const sample = () => {
        const t = (performance.now() - t0) / 1000;
        target.child.rss().then(
          (rss) => {
            // Answered after the load stopped: the reading may be of an idle process.
            if (loading && samples === mine) mine.push({ t, mb: mb(rss), walMb: walMb(dbPath) });
          },
          () => {},
        );
      };
      sample();
      timer = setInterval(sample, 1000);
    },
    onEnd: () => {
      loading = false;
      clearInterval(timer);
    },
  });
  return { samples, result };
}

async function compare(opts: BenchOptions, prep: Awaited<ReturnType<typeof prepare>>) {
  console.log(`calibrating the load generator against a trivial server (3 s each)…`);
  const cal = await calibrate(opts.connections, 3);
  console.log(
    `  this client ${cal.customRps.toFixed(0)} req/s, autocannon ${cal.autocannonRps.toFixed(0)} req/s`,
  );
  const targets = [
    await startFloor(opts.alg, prep.creds),
    await startFloor(opts.alg, prep.creds, true),
    await startPeer(opts.alg, prep.creds),
    await startCertmint('certmint', prep.small),
    await startCertmint('certmint-100k', prep.large),
  ];
  const expected = new Map<string, number>();
  const runs: RunRecord[] = [];
  let soakOut: { samples: RssSample[]; result: MeasuredRun } | null = null;
  try {
    const common = { alg: opts.alg, connections: opts.connections, expected };
    if (opts.warmupS > 0) {
      for (const t of targets) {
        const r = await measure(t, { ...common, seconds: opts.warmupS });
        console.log(`warm-up ${t.name.padEnd(14)} ${describe(r)}`);
      }
    }
    for (let round = 1; round <= opts.rounds; round++) {
      for (const t of roundOrder(targets, round)) {
        const result = await measure(t, { ...common, seconds: opts.durationS });
        const rssMb = mb(await t.child.rss());
        runs.push({ target: t.name, round, result, rssMb });
        console.log(
          `round ${round} ${t.name.padEnd(14)} ${describe(result)}  rss ${rssMb.toFixed(0)} MB`,
        );
        for (const s of result.samples) console.log(`    ${s}`);
      }
    }
    const mint = targets.find((t) => t.name === 'certmint');
    if (opts.soakS > 0 && mint) {
      console.log(
        `soak: certmint for ${opts.soakS} s, RSS and WAL sampled every second while the load runs…`,
      );
      soakOut = await soak(mint, opts, expected, prep.small.dbPath);
      console.log(`soak ${describe(soakOut.result)}`);
    }
  } finally {
    for (const t of targets) await t.child.stop();
  }
  return { cal, runs, soakOut };
}

async function main(): Promise<void> {
  const opts = readOptions();
  const dir = mkdtempSync(join(tmpdir(), 'certmint-bench-'));
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadStart: load(),
  };
  console.log(
    `certmint bench: ${machine.cores} cores (${machine.cpu}), node ${machine.node}, load ${machine.loadStart}\n` +
      `  ${opts.alg}, ${opts.connections} connections, ${opts.rounds} rounds × ${opts.durationS} s, soak ${opts.soakS} s`,
  );
  try {
    const prep = await prepare(opts, dir);
    if (opts.profile) return await profile(opts, prep.small, dir);
    const { cal, runs, soakOut } = await compare(opts, prep);
    const names = ['floor', 'floor-records', 'oidc-provider', 'certmint', 'certmint-100k'];
    const summaries: Record<string, TargetSummary> = {};
    for (const n of names) summaries[n] = summarize(runs, n);
    const soakSummary: SoakSummary | null = soakOut
      ? summarizeSoak(soakOut.samples, soakOut.result, opts.soakS)
      : null;
    console.log(`\nmedians of ${opts.rounds} rounds (load average now ${load()}):`);
    printTable(names.map((n) => summaries[n]).filter((s): s is TargetSummary => s !== undefined));
    const floorRps = summaries.floor?.rps ?? 0;
    const genRatio = floorRps > 0 ? cal.customRps / floorRps : Number.NaN;
    const elu = Math.max(...Object.values(summaries).map((x) => x.generatorElu));
    // The calibration only means something when the machine is otherwise quiet; the generator's
    // own event loop utilization during the real runs is the direct evidence either way.
    console.log(
      `\nload generator: ${cal.customRps.toFixed(0)} req/s against a trivial server ` +
        `(${genRatio.toFixed(1)} × the floor); its event loop was at most ${(elu * 100).toFixed(0)} % busy ` +
        `during the runs${elu < 0.8 ? ' (not the bottleneck)' : ' (SATURATED: results may be generator-bound)'}`,
    );
    const checks = verdicts(summaries, soakSummary, opts.bulk, opts.auditRows);
    for (const v of checks) console.log(`${v.pass ? 'PASS' : 'MISS'}  ${v.name}: ${v.detail}`);
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(
      opts.out,
      `${JSON.stringify({ machine, options: opts, calibration: cal, runs, summaries, soak: soakSummary, rss: soakOut?.samples, verdicts: checks }, null, 2)}\n`,
    );
    console.log(`\nresults written to ${opts.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
