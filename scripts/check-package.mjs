#!/usr/bin/env node
// Checks the package a user would install: packs it (`npm pack` builds dist/ through `prepare`),
// then lints the tarball's package.json and files with publint (--strict: warnings fail too) and
// its type declarations with @arethetypeswrong/cli for ESM consumers (profile esm-only: Node 16+
// "exports" resolution and bundlers; the package is ESM only, so CommonJS `require` is out).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'certmint-check-package-'));

function run(label, command, args) {
  console.log(`\n# ${label}: ${command} ${args.join(' ')}`);
  const r = spawnSync(command, args, {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) {
    console.error(`check:package FAILED at "${label}" (exit ${r.status ?? r.signal})`);
    rmSync(dir, { recursive: true, force: true });
    process.exit(1);
  }
  return r.stdout;
}

try {
  const packed = JSON.parse(run('pack', 'npm', ['pack', '--json', '--pack-destination', dir]));
  const tarball = join(dir, packed[0].filename);
  const files = packed[0].files.map((f) => f.path);
  const strays = files.filter(
    (f) => !/^(dist\/|bin\/|README\.md$|LICENSE$|package\.json$)/.test(f),
  );
  const tests = files.filter((f) => /(^|\/)test(s)?\/|\.test\./.test(f));
  if (strays.length > 0 || tests.length > 0) {
    console.error(`check:package FAILED: the tarball ships ${[...strays, ...tests].join(', ')}`);
    process.exit(1);
  }
  console.log(`${packed[0].filename}: ${files.length} files, ${packed[0].size} bytes packed`);
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  run('publint', bin('publint'), ['run', tarball, '--strict']);
  run('attw', bin('attw'), [tarball, '--profile', 'esm-only']);
  console.log('\ncheck:package: OK');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
