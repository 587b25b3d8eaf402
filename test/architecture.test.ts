/**
 * DESIGN's dependency rule, enforced by scanning every import in src/:
 *   http, cli, console → service → domain, crypto, store ports; adapters → ports;
 *   client → nothing of the server (only jose and node: built-ins).
 * Plus the small-files habit: no file in src/ above 450 lines (above 400 is reported).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const HARD_LINE_LIMIT = 450;
const SOFT_LINE_LIMIT = 400;

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module specifier: static import/export … from, side-effect import, dynamic import(). */
export function specifiers(code: string): { spec: string; typeOnly: boolean }[] {
  const noComments = code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: { spec: string; typeOnly: boolean; at: number }[] = [];
  const patterns = [
    /\b(?:import|export)\s+(type\s+)?[\w*{}\s,$]*?\s*from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*()['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*()['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of noComments.matchAll(re)) {
      if (m[2]) found.push({ spec: m[2], typeOnly: Boolean(m[1]), at: m.index ?? 0 });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ spec, typeOnly }) => ({ spec, typeOnly }));
}

interface Import {
  /** Importing file, relative to src/ with forward slashes (e.g. `cli/main.ts`). */
  from: string;
  /** Resolved src-relative path for relative imports, else the package name / node: id. */
  target: string;
  relative: boolean;
  /** `import type …`: erased at run time. */
  typeOnly?: boolean;
}

function importsOf(file: string): Import[] {
  const from = relative(SRC, file).split('\\').join('/');
  return specifiers(readFileSync(file, 'utf8')).map(({ spec, typeOnly }) => {
    if (!spec.startsWith('.')) return { from, target: spec, relative: false, typeOnly };
    const target = posix.normalize(posix.join(posix.dirname(from), spec));
    return { from, target, relative: true, typeOnly };
  });
}

const layerOf = (path: string): string => path.split('/')[0] ?? '';
const packageName = (s: string): string =>
  s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] ?? s);
const DB_PACKAGES = new Set(['kysely', 'better-sqlite3', 'pg']);
/** What outer layers may import from src/store: the ports, the opener and the index. */
const STORE_PUBLIC = new Set(['store/ports.ts', 'store/open.ts', 'store/index.ts']);

/** The rule for one import; returns why it is forbidden, or null. */
export function violation(imp: Import): string | null {
  const layer = layerOf(imp.from);
  const targetLayer = imp.relative ? layerOf(imp.target) : null;
  if (imp.relative && imp.target.startsWith('..')) return 'imports from outside src/';
  switch (layer) {
    case 'client':
      if (imp.relative)
        return targetLayer === 'client' ? null : 'client/ must not import server code';
      // A type-only import of a framework (e.g. fastify's request type for an optional
      // middleware adapter) is erased at run time, so it adds no dependency; server code is
      // forbidden even as types.
      return imp.target === 'jose' || imp.target.startsWith('node:') || imp.typeOnly
        ? null
        : 'client/ imports only jose and node: built-ins';
    case 'domain':
      if (imp.relative) return targetLayer === 'domain' ? null : 'domain/ imports only domain/';
      return imp.target.startsWith('node:') ? null : 'domain/ imports no packages (node: only)';
    case 'crypto':
      if (!imp.relative)
        return DB_PACKAGES.has(packageName(imp.target)) ? 'crypto/ does no SQL' : null;
      if (['http', 'cli', 'console', 'service', 'client'].includes(targetLayer ?? '')) {
        return `crypto/ must not import ${targetLayer}/`;
      }
      if (targetLayer === 'store' && imp.target !== 'store/ports.ts') {
        return 'crypto/ may use only store/ports.ts';
      }
      return null;
    case 'service':
      if (!imp.relative) {
        return DB_PACKAGES.has(packageName(imp.target))
          ? 'service/ uses store ports, not SQL'
          : null;
      }
      if (['http', 'cli', 'console', 'client'].includes(targetLayer ?? '')) {
        return `service/ must not import ${targetLayer}/`;
      }
      if (targetLayer === 'store' && !STORE_PUBLIC.has(imp.target)) {
        return 'service/ reaches the store only through store/ports.ts (and store/open.ts)';
      }
      return null;
    case 'http':
    case 'cli':
    case 'console':
      if (!imp.relative) {
        return DB_PACKAGES.has(packageName(imp.target))
          ? `${layer}/ calls services, never SQL`
          : null;
      }
      if (targetLayer === 'store' && !STORE_PUBLIC.has(imp.target)) {
        return `${layer}/ must not import store adapters (use store/open.ts or store/ports.ts)`;
      }
      return null;
    case 'store':
      // Adapters implement the ports; they must not call up into use cases or entry points.
      if (
        imp.relative &&
        ['http', 'cli', 'console', 'service', 'client'].includes(targetLayer ?? '')
      ) {
        return `store/ must not import ${targetLayer}/`;
      }
      return null;
    default:
      return null;
  }
}

describe('architecture', () => {
  const files = sources(SRC);
  const imports = files.flatMap(importsOf);

  it('the scanner sees the code it checks', () => {
    assert.ok(files.length > 10, `only ${files.length} source files found under ${SRC}`);
    assert.ok(imports.some((i) => i.from.startsWith('cli/') && i.target.startsWith('service/')));
    assert.deepEqual(
      specifiers(
        "import type { A } from './a.ts';\nimport {\n  b,\n  c,\n} from '../b.ts';\nexport { d } from 'd';\nimport 'e';\nconst f = await import('./f.ts');",
      ),
      [
        { spec: './a.ts', typeOnly: true },
        { spec: '../b.ts', typeOnly: false },
        { spec: 'd', typeOnly: false },
        { spec: 'e', typeOnly: false },
        { spec: './f.ts', typeOnly: false },
      ],
    );
  });

  it('the rule itself refuses what DESIGN forbids', () => {
    const bad: Import[] = [
      { from: 'client/sdk.ts', target: 'domain/errors.ts', relative: true },
      { from: 'client/sdk.ts', target: 'domain/errors.ts', relative: true, typeOnly: true },
      { from: 'client/sdk.ts', target: 'fastify', relative: false },
      { from: 'domain/x.ts', target: 'store/ports.ts', relative: true },
      { from: 'domain/x.ts', target: 'jose', relative: false },
      { from: 'crypto/x.ts', target: 'service/index.ts', relative: true },
      { from: 'cli/x.ts', target: 'store/sqlite/store.ts', relative: true },
      { from: 'http/x.ts', target: 'kysely', relative: false },
      { from: 'service/x.ts', target: 'store/postgres/store.ts', relative: true },
      { from: 'store/sqlite/x.ts', target: 'service/index.ts', relative: true },
    ];
    for (const imp of bad) assert.notEqual(violation(imp), null, `${imp.from} → ${imp.target}`);
    const good: Import[] = [
      { from: 'client/sdk.ts', target: 'jose', relative: false },
      { from: 'client/sdk.ts', target: 'node:crypto', relative: false },
      { from: 'cli/x.ts', target: 'store/open.ts', relative: true },
      { from: 'service/x.ts', target: 'store/ports.ts', relative: true },
      { from: 'crypto/x.ts', target: 'domain/errors.ts', relative: true },
    ];
    for (const imp of good) assert.equal(violation(imp), null, `${imp.from} → ${imp.target}`);
  });

  it('every import in src/ follows the dependency rule', () => {
    const problems = imports
      .map((i) => ({ i, why: violation(i) }))
      .filter((x) => x.why !== null)
      .map(({ i, why }) => `src/${i.from} imports ${i.target}: ${why}`);
    assert.deepEqual(problems, []);
  });

  it(`no file in src/ is over ${HARD_LINE_LIMIT} lines`, (t) => {
    const sizes = files.map((f) => ({
      file: relative(ROOT, f),
      lines: readFileSync(f, 'utf8').split('\n').length,
    }));
    for (const s of sizes.filter((x) => x.lines > SOFT_LINE_LIMIT)) {
      t.diagnostic(`warning: ${s.file} has ${s.lines} lines (aim for < ${SOFT_LINE_LIMIT})`);
    }
    assert.deepEqual(
      sizes.filter((x) => x.lines > HARD_LINE_LIMIT).map((x) => `${x.file}: ${x.lines} lines`),
      [],
    );
    assert.ok(dirname(SRC) === ROOT);
  });
});
