/**
 * The dependency rule of src/, checked by scanning every import. Deny by default: a folder may
 * import another only when the table below allows the pair, a package only when its folder's
 * package list allows it, and a folder missing from the table fails until it is added.
 *
 *   http, cli, console → service → domain, crypto, store ports; adapters → ports;
 *   client → nothing of the server (only jose and node: built-ins).
 *
 * Beyond imports: no store access outside service/ and store/ (a `.store` property read on a
 * context or deps object is access too), and no cycles between folders.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

/** Files at the top of src/ (the package's entry point) count as this folder. */
export const ROOT_FILES = '(root)';

/** from-folder → the folders it may import (besides itself). */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  domain: [],
  crypto: ['domain'],
  store: ['domain'],
  service: ['domain', 'crypto', 'store'],
  console: ['service', 'domain'],
  http: ['service', 'domain', 'console'],
  cli: ['service', 'domain', 'http', 'client'],
  client: [],
  [ROOT_FILES]: ['service', 'domain', 'http'],
};

/** What service/ may import of store/: the ports and the opener, never an adapter. */
const STORE_PUBLIC = new Set(['store/ports.ts', 'store/open.ts', 'store/index.ts']);

/** Package names (or `node:`) each folder may import at run time. */
const PACKAGES: Readonly<Record<string, readonly string[]>> = {
  domain: ['node:'],
  crypto: [
    'node:',
    'jose',
    '@peculiar/asn1-schema',
    '@peculiar/asn1-x509',
    '@peculiar/asn1-csr',
    '@peculiar/x509',
    'asn1js',
  ],
  store: ['node:', 'kysely', 'better-sqlite3', 'pg'],
  // nodemailer: certificate expiry notices by email (service/notices/email.ts).
  // prom-client: the Prometheus registry of one Services (service/metrics.ts); http/ only
  // serves its text.
  service: ['node:', 'otpauth', 'qrcode', 'nodemailer', 'prom-client'],
  console: ['node:', 'fastify', '@fastify/', 'eta', 'qrcode'],
  http: ['node:', 'fastify', '@fastify/'],
  // jose: `certmint token --decode` prints the token's header and claims.
  cli: ['node:', 'commander', 'pino', 'jose'],
  client: ['node:', 'jose'],
  [ROOT_FILES]: [],
};

/** Folders whose type-only imports of other packages are fine (erased at run time). */
const TYPE_ONLY_PACKAGES_OK = new Set(['client']);

export interface Import {
  /** Importing file, relative to src/ with forward slashes (e.g. `cli/main.ts`). */
  from: string;
  /** Resolved src-relative path for relative imports, else the package name / node: id. */
  target: string;
  relative: boolean;
  /** `import type …`: erased at run time. */
  typeOnly: boolean;
}

export function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const stripComments = (code: string): string =>
  code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

/** Every module specifier: static import/export … from, side-effect import, dynamic import(). */
export function specifiers(code: string): { spec: string; typeOnly: boolean }[] {
  const noComments = stripComments(code);
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

export const folderOf = (path: string): string =>
  path.includes('/') ? (path.split('/')[0] ?? '') : ROOT_FILES;

const packageName = (s: string): string =>
  s.startsWith('node:')
    ? 'node:'
    : s.startsWith('@')
      ? s.split('/').slice(0, 2).join('/')
      : (s.split('/')[0] ?? s);

const packageAllowed = (folder: string, pkg: string): boolean =>
  (PACKAGES[folder] ?? []).some((p) => (p.endsWith('/') ? pkg.startsWith(p) : pkg === p));

/** Why one import is forbidden, or null. */
export function violation(imp: Import): string | null {
  const from = folderOf(imp.from);
  const allowed = ALLOWED[from];
  if (allowed === undefined) return `src/${from}/ is not in the dependency table: add it`;
  if (!imp.relative) {
    const pkg = packageName(imp.target);
    if (packageAllowed(from, pkg)) return null;
    if (imp.typeOnly && TYPE_ONLY_PACKAGES_OK.has(from)) return null;
    return `${from}/ may not import the package ${pkg}`;
  }
  if (imp.target.startsWith('..')) return 'imports from outside src/';
  const to = folderOf(imp.target);
  if (to === from) return null;
  if (ALLOWED[to] === undefined) return `src/${to}/ is not in the dependency table: add it`;
  if (!allowed.includes(to)) return `${from}/ may not import ${to}/`;
  if (to === 'store' && !STORE_PUBLIC.has(imp.target)) {
    return `${from}/ reaches the store only through its ports (store/ports.ts, store/open.ts)`;
  }
  return null;
}

export function importsOf(src: string, file: string): Import[] {
  const from = relative(src, file).split('\\').join('/');
  return specifiers(readFileSync(file, 'utf8')).map(({ spec, typeOnly }) => {
    if (!spec.startsWith('.')) return { from, target: spec, relative: false, typeOnly };
    const target = posix.normalize(posix.join(posix.dirname(from), spec));
    return { from, target, relative: true, typeOnly };
  });
}

/** Folders that may hold the store: everywhere else, reading `.store` off an object is refused. */
const STORE_HOLDERS = new Set(['service', 'store']);

/** `x.store` reads outside service/ and store/ (comments ignored). */
export function storeAccess(src: string, file: string): string[] {
  const path = relative(src, file).split('\\').join('/');
  if (STORE_HOLDERS.has(folderOf(path))) return [];
  const code = stripComments(readFileSync(file, 'utf8'));
  return [...code.matchAll(/[\w)\]]\s*\??\.\s*store\b/g)].map(
    (m) => `src/${path} reads .store (${m[0].replace(/\s+/g, '')}): call a service instead`,
  );
}

/** Cycles in the folder graph of the actual imports, each as `a → b → a`. */
export function folderCycles(imports: readonly Import[]): string[] {
  const edges = new Map<string, Set<string>>();
  for (const i of imports) {
    if (!i.relative) continue;
    const a = folderOf(i.from);
    const b = folderOf(i.target);
    if (a === b) continue;
    if (!edges.has(a)) edges.set(a, new Set());
    edges.get(a)?.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): void => {
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') {
        cycles.push([...path.slice(path.indexOf(next)), next].join(' → '));
      } else if (!state.has(next)) {
        visit(next, [...path, next]);
      }
    }
    state.set(node, 'done');
  };
  for (const node of [...edges.keys()].sort()) if (!state.has(node)) visit(node, [node]);
  return cycles;
}

/** Every problem in the tree under `src`: imports, store access, cycles. Empty: the rule holds. */
export function checkTree(src: string): string[] {
  const files = sources(src);
  const imports = files.flatMap((f) => importsOf(src, f));
  const problems = imports
    .map((i) => ({ i, why: violation(i) }))
    .filter((x) => x.why !== null)
    .map(({ i, why }) => `src/${i.from} imports ${i.target}: ${why}`);
  for (const folder of new Set(
    files.map((f) => folderOf(relative(src, f).split('\\').join('/'))),
  )) {
    if (ALLOWED[folder] === undefined)
      problems.push(`src/${folder}/ is not in the dependency table: add it`);
  }
  problems.push(...files.flatMap((f) => storeAccess(src, f)));
  problems.push(...folderCycles(imports).map((c) => `folder cycle: ${c}`));
  return [...new Set(problems)];
}
