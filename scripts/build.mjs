#!/usr/bin/env node
// Builds dist/ from src/: the TypeScript compiler (JavaScript, .d.ts and source maps; relative
// `./x.ts` imports are rewritten to `./x.js`), then every other file under src/ that is read at
// run time (console views and assets, the SQLite checkpoint worker) copied beside its code.
// Runs from `prepare`, so `npm install` / `npm ci` in a checkout leaves a ready dist/.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

// A file deleted from src/ must not survive in dist/ from an earlier build.
rmSync(dist, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
if (r.status !== 0) {
  console.error('build: tsc failed');
  process.exit(r.status ?? 1);
}

function copyNonTs(dir) {
  let copied = 0;
  for (const name of readdirSync(dir)) {
    const from = join(dir, name);
    if (statSync(from).isDirectory()) copied += copyNonTs(from);
    else if (!name.endsWith('.ts')) {
      const to = join(dist, relative(src, from));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to);
      copied++;
    }
  }
  return copied;
}
const copied = copyNonTs(src);
console.error(`build: dist/ ready (compiled src/, copied ${copied} other files)`);
