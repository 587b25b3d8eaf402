/**
 * `certmint serve` and `certmint quickstart` as a user runs them: a real process on a temp
 * SQLite store; first start prints the console login once; quickstart gets a token and calls
 * whoami; SIGTERM shuts down cleanly; the second start prints no password.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/net.ts';

const BIN = join(import.meta.dirname, '../../bin/certmint.mjs');

function startServer(
  db: string,
  port: number,
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(
    process.execPath,
    [BIN, '--db', db, 'serve', '--port', String(port), '--log-level', 'error'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CERTMINT_SECRET: '' },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 60 s:\n${out}`));
    }, 60_000);
    const check = () => {
      if (out.includes('issuer of an account')) {
        clearTimeout(timer);
        // the first-start banner follows the listening lines in the same write burst
        setTimeout(() => resolve({ child, out: () => out }), 200);
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        reject(new Error(`server exited:\n${out}`));
      } else setTimeout(check, 50);
    };
    check();
  });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('certmint serve + quickstart (processes)', () => {
  it('first start, quickstart, graceful shutdown, second start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certmint-serve-'));
    const db = join(dir, 'certmint.db');
    const port = await freePort();
    const first = await startServer(db, port);
    try {
      assert.match(first.out(), /created account TSTDRV0000001/);
      assert.match(first.out(), /Email: +admin@certmint\.local/);
      assert.match(first.out(), /Password: +\S{16,}/);

      const qs = await run([
        '--db',
        db,
        'quickstart',
        '--url',
        `http://127.0.0.1:${port}`,
        '--dir',
        join(dir, 'qs'),
      ]);
      assert.equal(qs.code, 0, qs.stderr + qs.stdout);
      assert.match(qs.stdout, /7\. whoami \(200\)/);
      assert.match(qs.stdout, /curl /);

      const audit = await run([
        '--db',
        db,
        '--json',
        'audit',
        'list',
        '--account',
        'TSTDRV0000001',
      ]);
      assert.equal(audit.code, 0, audit.stderr);
      assert.match(audit.stdout, /"type": "token"/);
    } finally {
      const done = exited(first.child);
      first.child.kill('SIGTERM');
      assert.equal(await done, 0);
    }
    const second = await startServer(db, port);
    try {
      assert.doesNotMatch(second.out(), /Password:/);
    } finally {
      const done = exited(second.child);
      second.child.kill('SIGTERM');
      assert.equal(await done, 0);
    }
  });
});
