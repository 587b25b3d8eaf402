#!/usr/bin/env node
// CLI start-up cost, whole process, as a user feels it: wall time of `certmint --version` and of
// `certmint account list --json` on an existing SQLite store, each against a bare `node -e 0`
// measured in the same rounds (the three commands take turns, in a shuffled order, so a busy
// moment on the machine hits all of them alike). Prints the medians and the two ratios.
//
//   npm run bench:cli                # 15 rounds
//   npm run bench:cli -- --runs 31
//
// Runs the built CLI (bin/certmint.mjs → dist/): `npm run build` first after changing src/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'certmint.mjs');
const TARGETS = { version: 2.5, list: 4 };

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg === -1 ? 15 : Number(process.argv[runsArg + 1]);
if (!Number.isInteger(runs) || runs < 5) {
  console.error('--runs takes a whole number of at least 5');
  process.exit(2);
}
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` (or `npm install`) first');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'certmint-cli-start-'));
const db = join(dir, 'certmint.db');

function run(args, check = true) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (check && r.status !== 0) {
    throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().trim()}`);
  }
  return ms;
}

const commands = {
  node: ['-e', '0'],
  version: [BIN, '--version'],
  list: [BIN, '--db', db, 'account', 'list', '--json'],
};

try {
  run([BIN, '--db', db, 'init']);
  // One untimed round: the first start of each pays for a cold file-system cache.
  for (const args of Object.values(commands)) run(args);
  const times = { node: [], version: [], list: [] };
  for (let i = 0; i < runs; i++) {
    const order = Object.keys(commands).sort(() => Math.random() - 0.5);
    for (const name of order) times[name].push(run(commands[name]));
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const line = (label, ms, ratio, target) =>
    `${label.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms` +
    (ratio === undefined
      ? ''
      : `  ${ratio.toFixed(2)} × node  (target ≤ ${target} ×: ${ratio <= target ? 'PASS' : 'MISS'})`);
  console.log(
    `CLI start-up, median of ${runs} rounds (Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'})`,
  );
  console.log(line('node -e 0', m.node));
  console.log(line('certmint --version', m.version, m.version / m.node, TARGETS.version));
  console.log(line('certmint account list --json', m.list, m.list / m.node, TARGETS.list));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
