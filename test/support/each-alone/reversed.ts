/**
 * The other half of the order-independence proof: runs the given test files with the tests of
 * each suite in reverse order (a test that needs what an earlier one wrote, or needs an earlier
 * one not to have run yet, fails). For each file it writes a copy next to it whose consecutive
 * `it(` blocks (at 2 and at 4 spaces) are reversed, runs the copies, and deletes them.
 *
 *   CERTMINT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node --import tsx test/support/each-alone/reversed.ts test/http test/store
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function collect(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return collect(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

/** The file with each run of consecutive `it(` blocks at `indent` spaces in reverse order. */
export function reverseTests(source: string, indent: number): { text: string; moved: number } {
  const pad = ' '.repeat(indent);
  const lines = source.split('\n');
  const isStart = (l: string | undefined) => l?.startsWith(`${pad}it(`) === true;
  const isGap = (l: string | undefined) =>
    l !== undefined && (l.trim() === '' || l.startsWith(`${pad}//`));
  const out: string[] = [];
  let moved = 0;
  let i = 0;
  while (i < lines.length) {
    if (!isStart(lines[i])) {
      out.push(lines[i] as string);
      i++;
      continue;
    }
    // A group: blocks separated only by blank lines and comments (a comment goes with the block
    // after it).
    const tests: string[][] = [];
    let comments: string[] = [];
    for (;;) {
      let end = i;
      while (end < lines.length && !lines[end]?.startsWith(`${pad}});`)) end++;
      tests.push([...comments, ...lines.slice(i, end + 1)]);
      let next = end + 1;
      while (isGap(lines[next])) next++;
      if (!isStart(lines[next])) {
        i = end + 1;
        break;
      }
      comments = lines.slice(end + 1, next).filter((l) => l.trim() !== '');
      i = next;
    }
    moved += tests.length;
    tests.reverse().forEach((t, n) => {
      if (n > 0) out.push('');
      out.push(...t);
    });
  }
  return { text: out.join('\n'), moved };
}

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
const copies: string[] = [];
try {
  for (const file of files) {
    for (const indent of [2, 4]) {
      const { text, moved } = reverseTests(readFileSync(file, 'utf8'), indent);
      if (moved < 2) continue;
      const copy = join(dirname(file), `${basename(file, '.test.ts')}.reversed-${indent}.tmp.ts`);
      writeFileSync(copy, text);
      copies.push(copy);
    }
  }
  console.log(`${copies.length} reversed copies of ${files.length} files`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=dot', ...copies],
    { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
  );
  process.exitCode = r.status ?? 1;
} finally {
  for (const c of copies) rmSync(c, { force: true });
}
