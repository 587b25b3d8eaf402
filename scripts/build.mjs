#!/usr/bin/env node
// Builds dist/ from src/: the TypeScript compiler (JavaScript, .d.ts and source maps; relative
// `./x.ts` imports are rewritten to `./x.js`), then every other file under src/ that is read at
// run time (console views and assets, the SQLite checkpoint worker) copied beside its code, then
// Kysely as one module (below). Runs from `prepare`, so `npm install` / `npm ci` in a checkout
// leaves a ready dist/.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';

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

// Kysely ships its ESM build as ~260 small modules, and Node 20's ESM loader reads and links
// each one separately: that was most of the start-up time of every CLI command that opens the
// store. So the compiled code imports one pre-bundled copy (the installed version, unchanged,
// its license kept in front) instead. The declarations still name the `kysely` package.
const vendored = join(dist, 'vendor', 'kysely.js');
const kyselyDir = join(dirname(createRequire(import.meta.url).resolve('kysely')), '..', '..');
const license = readFileSync(join(kyselyDir, 'LICENSE'), 'utf8').trim();
await build({
  entryPoints: [join(kyselyDir, 'dist', 'esm', 'index.js')],
  outfile: vendored,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'inline',
  banner: {
    js: `/*\n * Kysely, bundled into one module by certmint's build.\n *\n${license.replace(/^/gm, ' * ').replace(/ +$/gm, '')}\n */`,
  },
  logLevel: 'warning',
});
function useVendored(dir) {
  let rewritten = 0;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (statSync(file).isDirectory()) rewritten += useVendored(file);
    else if (name.endsWith('.js') && file !== vendored) {
      const code = readFileSync(file, 'utf8');
      const target = relative(dirname(file), vendored).split('\\').join('/');
      const next = code.replace(
        /(\bfrom\s*|\bimport\s*\(\s*)'kysely'/g,
        `$1'${target.startsWith('.') ? target : `./${target}`}'`,
      );
      if (/['"]kysely['"]/.test(next)) {
        console.error(
          `build: ${relative(root, file)} imports kysely in a form the build does not rewrite`,
        );
        process.exit(1);
      }
      if (next !== code) {
        writeFileSync(file, next);
        rewritten++;
      }
    }
  }
  return rewritten;
}
const rewritten = useVendored(dist);
console.error(
  `build: dist/ ready (compiled src/, copied ${copied} other files, ${rewritten} modules on the bundled Kysely)`,
);
