/**
 * Proof that no test depends on what another one did: runs every test of the given files on its
 * own (a new process, `--test-name-pattern` matching exactly its name; its suite's hooks run as
 * usual) and lists the ones that do not pass alone. A test that is a step of a larger one (a
 * subtest of a test) is run as part of that test.
 *
 *   CERTMINT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node --import tsx test/support/each-alone/run.ts test/http test/store
 *
 * One process per test: minutes, not seconds. Run it by hand after changing how tests share
 * set-up, not as part of `npm test`.
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPORTER = fileURLToPath(new URL('./names-reporter.mjs', import.meta.url));
const PARALLEL = 2;

interface Finished {
  name: string;
  nesting: number;
  type: 'test' | 'suite';
  outcome: 'pass' | 'fail' | 'skip';
}

function collect(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return collect(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Runs one test file (optionally only the tests matching `pattern`); what finished, in order. */
function run(file: string, pattern?: string): Promise<Finished[]> {
  const args = ['--import', 'tsx', '--test', `--test-reporter=${REPORTER}`];
  if (pattern !== undefined) args.push(`--test-name-pattern=${pattern}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, file], {
      env: { ...process.env, NODE_ENV: 'test' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => {
      const lines = out.split('\n').filter((l) => l.startsWith('{'));
      resolve(lines.map((l) => JSON.parse(l) as Finished));
    });
  });
}

/**
 * The tests to run alone: passing tests whose parent is a suite or the file (a parent finishes
 * after its children, so the parent of an entry is the next one a level up).
 */
function topTests(events: Finished[]): string[] {
  const names = new Set<string>();
  events.forEach((e, i) => {
    if (e.type !== 'test' || e.outcome !== 'pass') return;
    const parent = events.slice(i + 1).find((p) => p.nesting === e.nesting - 1);
    if (parent === undefined || parent.type === 'suite') names.add(e.name);
  });
  return [...names];
}

const literally = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const jobs: Array<{ file: string; name: string }> = [];
for (const file of files) {
  for (const name of topTests(await run(file))) jobs.push({ file, name });
}
console.log(`${jobs.length} tests in ${files.length} files, each run alone`);

const failures: string[] = [];
let done = 0;
async function worker(): Promise<void> {
  for (let job = jobs.shift(); job !== undefined; job = jobs.shift()) {
    const events = await run(job.file, `^${literally(job.name)}$`);
    const mine = events.filter((e) => e.name === job.name && e.type === 'test');
    // Passed at least once (a backend may skip it) and nothing failed.
    const ok = mine.some((e) => e.outcome === 'pass') && events.every((e) => e.outcome !== 'fail');
    done++;
    if (!ok) {
      failures.push(`${job.file}: ${job.name}`);
      console.log(`FAILS ALONE ${job.file}: ${job.name}`);
    } else if (done % 25 === 0) {
      console.log(`${done} passed alone so far`);
    }
  }
}
await Promise.all(Array.from({ length: PARALLEL }, worker));
console.log(failures.length === 0 ? 'every test passes alone' : `${failures.length} fail alone`);
process.exitCode = failures.length === 0 ? 0 : 1;
