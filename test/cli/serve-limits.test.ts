/**
 * The limit settings reach the running server: `certmint serve` started with a short headers
 * timeout (flag) and a tiny per-address rate limit (environment) cuts a slow client off with
 * 408 and answers the third OAuth request of one address with 429 and Retry-After.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { it } from 'node:test';
import { freePort } from '../support/net.ts';
import { eventually } from '../support/wait.ts';
import { BIN, tempDir } from './support.ts';

function serve(db: string, port: number): { child: ChildProcess; out: () => string } {
  const child = spawn(
    process.execPath,
    // One process: the exact count of one bucket (workers share the limit out: serve-workers).
    [
      BIN,
      '--db',
      db,
      'serve',
      '--port',
      String(port),
      '--headers-timeout',
      '300',
      '--workers',
      '1',
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CERTMINT_SECRET: 'serve-limits-test-secret-0123456789',
        CERTMINT_RATE_LIMIT_ADDRESS: '2',
        CERTMINT_LOG_LEVEL: 'error',
      },
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { child, out: () => out };
}

/** Sends unfinished headers; resolves with what the server answered once it closed. */
function slowClient(port: number): Promise<{ data: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\n'));
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ data, afterMs: performance.now() - started }));
  });
}

it('serve applies --headers-timeout and CERTMINT_RATE_LIMIT_ADDRESS', async () => {
  const dir = tempDir('certmint-serve-limits-');
  const port = await freePort();
  const server = serve(join(dir, 'certmint.db'), port);
  try {
    await eventually('the server listens', () => server.out().includes('issuer of an account'), {
      timeoutMs: 60_000,
    });
    const slow = await slowClient(port);
    assert.match(slow.data, /^HTTP\/1\.1 408 /);
    assert.ok(slow.afterMs >= 280 && slow.afterMs < 10_000, `cut after ${slow.afterMs} ms`);

    const token = () =>
      fetch(`http://127.0.0.1:${port}/accounts/TSTDRV0000001/services/rest/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
    assert.equal((await token()).status, 401);
    assert.equal((await token()).status, 401);
    const limited = await token();
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '30');
    assert.equal(((await limited.json()) as { error: string }).error, 'temporarily_unavailable');
  } finally {
    const exited = new Promise((resolve) => server.child.once('exit', resolve));
    server.child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
