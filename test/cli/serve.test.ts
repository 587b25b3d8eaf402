/**
 * `certmint serve` and `certmint quickstart` as a user runs them: a real process on a temp
 * SQLite store; the first start creates the store and says where the console password is (a
 * mode-0600 file, never printed); quickstart gets a token and calls whoami; a busy port is one
 * line naming --port/PORT; SIGTERM shuts down cleanly; the second start creates nothing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { freePort } from '../support/net.ts';
import { BIN, tempDir } from './support.ts';

function startServer(
  db: string,
  port: number,
  how: 'flag' | 'env' = 'flag',
): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--db',
      db,
      'serve',
      ...(how === 'flag' ? ['--port', String(port)] : []),
      '--log-level',
      'error',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CERTMINT_SECRET: '', PORT: how === 'env' ? String(port) : '' },
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
        // The store line and the first-start text are written before the listening lines.
        resolve({ child, out: () => out });
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
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CERTMINT_DB: '', PORT: '' },
    });
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
    const dir = tempDir('certmint-serve-');
    const db = join(dir, 'certmint.db');
    const port = await freePort();
    const first = await startServer(db, port);
    try {
      assert.match(first.out(), new RegExp(`^store: ${db} \\(sqlite\\)\n`));
      assert.match(first.out(), /created account TSTDRV0000001/);
      assert.match(first.out(), /Email: +admin@certmint\.local/);
      const file = join(dir, 'admin-password');
      assert.ok(first.out().includes(`Password: in ${file} (mode 0600)`), first.out());
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const password = readFileSync(file, 'utf8').trim();
      assert.ok(password.length >= 16);
      assert.ok(!first.out().includes(password), 'the password is never printed');

      // A second server on the same port: one line that names the way out, exit 1.
      const busy = await run(['--db', db, 'serve', '--port', String(port)]);
      assert.equal(busy.code, 1, busy.stderr);
      assert.equal(
        busy.stderr,
        `certmint: port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with --port <n> or PORT=<n>\n`,
      );

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
    const second = await startServer(db, port, 'env');
    try {
      assert.match(second.out(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(second.out(), /Password:/);
    } finally {
      const done = exited(second.child);
      second.child.kill('SIGTERM');
      assert.equal(await done, 0);
    }
  });
});
