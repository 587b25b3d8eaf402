#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner (TypeScript through tsx).
// PostgreSQL suites run only when CERTMINT_TEST_PG_URL is set (CI sets it); otherwise they
// skip and say so. Pass file paths or substrings to run a subset: npm test -- token
// Tests that run the real `certmint` process use the built CLI (dist/): it is rebuilt first
// when a source is newer than the last build, so a test never runs yesterday's code.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function newest(dir) {
  let latest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    latest = Math.max(latest, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return latest;
}

const built = 'dist/index.js';
const inputs = [
  newest('src'),
  ...['tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'].map((f) => statSync(f).mtimeMs),
];
if (!existsSync(built) || Math.max(...inputs) > statSync(built).mtimeMs) {
  console.log('# dist/ is missing or older than src/: building it first');
  const b = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
if (!process.env.CERTMINT_TEST_PG_URL) {
  console.log(
    '# CERTMINT_TEST_PG_URL is not set: the PostgreSQL suites are skipped (SQLite only). ' +
      'Set it, e.g. CERTMINT_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres, to run them.',
  );
}
const r = spawnSync(
  process.execPath,
  // A test that hangs fails after 5 minutes instead of holding up the whole run.
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-timeout=300000',
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(r.status ?? 1);
