/**
 * The package's entry points as a consumer imports them: by package name (`certmint`,
 * `certmint/client`, resolved through package.json "exports" to the compiled dist/), in a plain
 * Node process without a TypeScript loader. Which packages each one loads is recorded by a
 * module-resolution hook (every ESM import) plus the CommonJS require cache (every require), so
 * "the SDK loads no Fastify, Kysely or better-sqlite3" is observed, not assumed. The server
 * entry point is the control: the same recording sees Fastify, Kysely (the build bundles it into
 * dist/vendor/kysely.js) and better-sqlite3 there.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

/** Registers a resolve hook that writes every resolved URL to stderr, synchronously. */
const HOOK = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(\`
import { writeSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  writeSync(2, 'resolved ' + r.url + '\\\\n');
  return r;
}\`));
`;

/** Imports the entry point; with "open", also opens an in-memory store through it. */
const CHILD = `
import { createRequire } from 'node:module';
const m = await import(process.argv[1]);
if (process.argv[2] === 'open') await (await m.openStore(':memory:')).close();
const required = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({ exports: Object.keys(m), required }));
`;

/** node_modules/<name>/… (or @scope/name) → the package name. */
function packageOf(path: string): string | null {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  return m?.[1] ?? null;
}

describe('package entry points (plain node, by package name)', () => {
  let dir: string;
  let hook: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-entry-'));
    hook = join(dir, 'hook.mjs');
    writeFileSync(hook, HOOK);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function load(
    spec: string,
    mode = '',
  ): { exports: string[]; files: string[]; packages: string[] } {
    const r = spawnSync(
      process.execPath,
      ['--import', hook, '--input-type=module', '-e', CHILD, spec, mode],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { exports: string[]; required: string[] };
    const resolved = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('resolved file://'))
      .map((l) => decodeURIComponent(new URL(l.slice('resolved '.length)).pathname));
    const files = [...resolved, ...out.required];
    const packages = [...new Set(files.map(packageOf).filter((p) => p !== null))].sort();
    return { exports: out.exports, files, packages };
  }

  it('certmint/client loads the compiled SDK and jose, nothing else', () => {
    const client = load('certmint/client');
    assert.ok(client.exports.includes('createTokenClient'));
    assert.ok(client.exports.includes('createTokenVerifier'));
    assert.deepEqual(client.packages, ['jose']);
    const own = client.files.filter((f) => f.startsWith(ROOT) && !f.includes('/node_modules/'));
    assert.ok(own.length > 0);
    for (const f of own) assert.ok(f.startsWith(join(ROOT, 'dist', 'client')), f);
  });

  it('certmint (the server) loads Fastify, and Kysely and better-sqlite3 once a store opens', () => {
    const server = load('certmint');
    for (const name of ['buildApp', 'openStore', 'loadMasterKey', 'createAccount']) {
      assert.ok(server.exports.includes(name), `certmint exports ${name}`);
    }
    assert.ok(server.packages.includes('fastify'), server.packages.join(', '));
    const opened = load('certmint', 'open');
    for (const name of ['fastify', 'better-sqlite3']) {
      assert.ok(opened.packages.includes(name), `${name} in ${opened.packages.join(', ')}`);
    }
    assert.ok(opened.files.includes(join(ROOT, 'dist', 'vendor', 'kysely.js')));
    assert.ok(!opened.packages.includes('kysely'), 'one Kysely: the bundled copy');
  });
});
