/**
 * The README's tour, executed: its shell blocks run verbatim in bash (`set -euo pipefail`, so
 * any failing command fails the test) against a running `certmint serve` on a fresh store, once
 * on the store as the server created it and once after `quickstart` took the first ids. So the
 * README cannot drift from the CLI again.
 *
 * What the test adds around the README's text, and nothing else:
 * - `certmint` on PATH: a two-line wrapper for bin/certmint.mjs, which is what `npm link`
 *   (the README's suggestion) sets up;
 * - the server address: the test's own `URL=http://127.0.0.1:<port>` runs first, and the
 *   README's `URL=${URL:-…}` keeps it (the server listens on a free port, not on 8080);
 * - a final `echo` of the tour's variables, to check what the tour mapped.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BIN, ROOT, tempDir } from '../cli/support.ts';
import { freePort } from '../support/net.ts';

/** The tour's ```sh blocks by name; every one of them must carry a `<!-- tour:name -->` mark. */
function tourBlocks(readme: string): Map<string, string> {
  const start = readme.indexOf('\n## A short tour');
  assert.ok(start >= 0, 'README has a "## A short tour" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = new Map<string, string>();
  for (const m of section.matchAll(/(?:<!-- tour:([\w-]+) -->\n)?```sh\n([\s\S]*?)```/g)) {
    assert.ok(m[1], `a shell block of the tour has no <!-- tour:name --> mark:\n${m[2]}`);
    blocks.set(m[1], m[2] ?? '');
  }
  return blocks;
}

const blocks = tourBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const haveJq = spawnSync('jq', ['--version']).status === 0;

describe('README tour', { skip: haveJq ? false : 'jq is not installed' }, () => {
  let root: string;
  let binDir: string;
  before(() => {
    root = tempDir('certmint-tour-');
    binDir = join(root, 'bin');
    mkdirSync(binDir);
    const wrapper = join(binDir, 'certmint');
    writeFileSync(wrapper, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
    chmodSync(wrapper, 0o755);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('marks the blocks it runs', () => {
    assert.deepEqual([...blocks.keys()], ['url', 'quickstart', 'by-hand']);
  });

  /** `certmint serve` as `npm start` runs it, in `cwd` (so its store is ./.certmint there). */
  async function serve(cwd: string, port: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CERTMINT_DB: '', CERTMINT_SECRET: '', PORT: '' },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 60_000;
    while (!out.includes('issuer of an account')) {
      if (child.exitCode !== null) throw new Error(`server exited:\n${out}`);
      if (Date.now() > deadline) throw new Error(`server did not start within 60 s:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return child;
  }

  async function tour(name: string, parts: string[]): Promise<Record<string, string>> {
    const cwd = join(root, name);
    mkdirSync(cwd);
    const port = await freePort();
    const server = await serve(cwd, port);
    try {
      const script = [
        `URL=http://127.0.0.1:${port}`,
        ...parts.map((p) => blocks.get(p) ?? assert.fail(`no tour block ${p}`)),
        'echo "TOUR ROLE=$ROLE ENTITY=$ENTITY CLIENT_ID=$CLIENT_ID CERT_ID=$CERT_ID"',
      ].join('\n');
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const sh = spawn('bash', ['-euo', 'pipefail', '-c', script], {
          cwd,
          env: {
            ...process.env,
            PATH: `${binDir}:${process.env.PATH ?? ''}`,
            CERTMINT_DB: '',
            URL: '',
          },
        });
        let out = '';
        sh.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        sh.stderr.on('data', (d: Buffer) => {
          out += d.toString();
        });
        sh.on('close', (code) => resolve({ code, out }));
      });
      assert.equal(r.code, 0, r.out);
      const vars = Object.fromEntries(
        (/TOUR (.*)\n/.exec(r.out)?.[1] ?? '').split(' ').map((kv) => kv.split('=', 2)),
      ) as Record<string, string>;

      // The token is for the entity and role this tour created, by name, not for quickstart's.
      const list = (what: string) =>
        JSON.parse(
          spawnSync(process.execPath, [BIN, '--json', what, 'list', '--account', 'TSTDRV0000001'], {
            cwd,
            encoding: 'utf8',
            env: { ...process.env, CERTMINT_DB: '' },
          }).stdout,
        ) as Array<{ id: number; name: string }>;
      assert.equal(String(list('entity').find((e) => e.name === 'svc-billing')?.id), vars.ENTITY);
      assert.equal(String(list('role').find((e) => e.name === 'M2M')?.id), vars.ROLE);
      assert.match(vars.CLIENT_ID ?? '', /^[0-9a-f]{64}$/);
      assert.match(vars.CERT_ID ?? '', /^[\w-]{43}$/);
      assert.ok(r.out.includes(`"sub": "${vars.ROLE};${vars.ENTITY}"`), r.out);
      return vars;
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
  }

  it('runs by hand on the store as the first start created it', async () => {
    const vars = await tour('fresh', ['url', 'by-hand']);
    // The administrator holds entity 1; the tour's entity and role come next.
    assert.deepEqual([vars.ENTITY, vars.ROLE], ['2', '1000']);
  });

  it('runs after quickstart, with the ids quickstart left free', async () => {
    const vars = await tour('after-quickstart', ['url', 'quickstart', 'by-hand']);
    assert.deepEqual([vars.ENTITY, vars.ROLE], ['3', '1001']);
  });
});
