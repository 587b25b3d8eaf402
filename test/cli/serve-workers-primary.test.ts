/**
 * The primary of `certmint serve --workers 2`, as a real process tree: the one-time lines and
 * the background jobs once, in the primary; a worker killed is replaced (with the restart
 * logged); SIGTERM and SIGINT stop every worker, then the primary, exit 0; the node's rate
 * limit shared out among the workers; an in-memory store served by one process; a busy port
 * one line, as from a single process. Replay, revocation and caches: serve-workers.test.ts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import {
  assertion,
  type Client,
  requestToken,
  serve,
  setUpClient,
  tokenPath,
} from '../fault/support.ts';
import { freePort } from '../support/net.ts';
import { eventually } from '../support/wait.ts';
import { BIN, spawnCli, tempDir } from './support.ts';
import {
  alive,
  answeredBy,
  assertInvalidClient,
  audited,
  logLines,
  times,
  WORKERS_ARGS,
} from './workers-support.ts';

describe('certmint serve --workers: the primary', () => {
  let dir: string;
  let db: string;
  let client: Client;
  before(async () => {
    dir = tempDir('certmint-workers-');
    db = join(dir, 'certmint.db');
    const store = await openStore(db);
    client = await setUpClient(store).finally(() => store.close());
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('restarts a worker that dies, runs the background jobs itself, and stops all on SIGTERM', async () => {
    const server = await serve(db, await freePort(), { args: WORKERS_ARGS });
    let stopped = false;
    try {
      // Logs are written asynchronously: the primary's lines may follow the listening line.
      await eventually('the primary logged both workers', () =>
        ['worker 1 started', 'worker 2 started'].every((m) => server.output().includes(m)),
      );
      const out = server.output();
      // The one-time lines, once.
      assert.equal(out.match(/^store: /gm)?.length, 1, out);
      assert.equal(out.match(/^certmint listening on /gm)?.length, 1, out);
      const jobs = logLines(out, 'background jobs started');
      assert.equal(jobs.length, 1, out);
      assert.equal(jobs[0]?.worker, undefined, 'the primary runs the background jobs');
      const started = logLines(out, 'worker ');
      assert.deepEqual(started.map((l) => l.worker).sort(), [1, 2]);

      const victim = Number(started.find((l) => l.worker === 1)?.workerPid);
      process.kill(victim, 'SIGKILL');
      await eventually('a third worker replaces the one killed', () =>
        server.output().includes('"msg":"worker 3 started"'),
      );
      const exited = logLines(server.output(), 'worker 1 exited: restarting it');
      assert.equal(exited.length, 1, server.output());
      assert.equal(exited[0]?.signal, 'SIGKILL');
      assert.equal(exited[0]?.restartInMs, 100);
      // Still one port, still tokens, from the survivors.
      const a = await requestToken(server.base, await assertion(client, server.base));
      assert.equal(a?.status, 200, a?.body);

      const workerPids = logLines(server.output(), 'worker ')
        .filter((l) => String(l.msg).endsWith(' started'))
        .map((l) => Number(l.workerPid));
      stopped = true;
      assert.equal(await server.stop(), 0, server.output());
      for (const pid of workerPids) assert.equal(alive(pid), false, `worker pid ${pid} is gone`);
      assert.equal(logLines(server.output(), 'worker 2 stopped').length, 1);
      assert.equal(logLines(server.output(), 'worker 3 stopped').length, 1);
    } finally {
      if (!stopped) await server.kill();
    }
  });

  it('shares the rate limit out (the node admits no more than its limit); SIGINT stops it', async () => {
    // 2 requests a minute per address for the node: 1 for each of the 2 workers.
    const rateDb = join(dir, 'rate.db');
    const setup = await openStore(rateDb);
    await setUpClient(setup).finally(() => setup.close());
    const server = await serve(rateDb, await freePort(), {
      args: WORKERS_ARGS,
      env: { CERTMINT_RATE_LIMIT_ADDRESS: '2' },
    });
    try {
      const mark = server.output().length;
      const answers = await times(10, () =>
        requestToken(server.base, 'not-even-a-jwt').then((a) => {
          assert.ok(a, 'answered');
          return a;
        }),
      );
      assert.deepEqual([...(await answeredBy(server, mark, tokenPath, 10))].sort(), [1, 2]);
      // Each worker admitted its one request (refused for what it is), and refused the rest.
      const admitted = answers.filter((a) => a.status !== 429);
      assert.equal(admitted.length, 2, JSON.stringify(answers.map((a) => a.status)));
      for (const a of admitted) assertInvalidClient(a);
      for (const a of answers.filter((x) => x.status === 429)) {
        assert.deepEqual(JSON.parse(a.body), {
          error: 'temporarily_unavailable',
          error_description: 'too many requests: retry after the Retry-After delay',
        });
        // One request a minute per worker: the next one in 60 s.
        assert.equal(a.headers.get('retry-after'), '60');
        assert.equal(a.headers.get('cache-control'), 'no-store');
      }
      const store = await openStore(rateDb, { mustExist: true });
      try {
        assert.equal(await audited(store, 'RateLimited'), 8);
      } finally {
        await store.close();
      }
    } finally {
      // SIGINT (Ctrl-C) stops the node as SIGTERM does: every worker, then the primary, exit 0.
      const exited = new Promise<number | null>((resolve) =>
        server.child.once('exit', (code) => resolve(code)),
      );
      server.child.kill('SIGINT');
      assert.equal(await exited, 0, server.output());
      assert.equal(logLines(server.output(), 'worker 1 stopped').length, 1, server.output());
      assert.equal(logLines(server.output(), 'worker 2 stopped').length, 1, server.output());
    }
  });

  it('an in-memory store is served by one process, whatever --workers says', async () => {
    // The store's folder (key file, first password) is ./.certmint of the working directory.
    const cwd = tempDir('certmint-workers-memory-');
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [BIN, '--db', ':memory:', 'serve', '--port', String(port), '--workers', '2'],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CERTMINT_SECRET: '' } },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await eventually('the server listens', () => out.includes('issuer of an account'), {
        timeoutMs: 60_000,
      });
      const jwks = await fetch(
        `http://127.0.0.1:${port}/accounts/TSTDRV0000001/services/rest/auth/oauth2/v1/keys`,
      );
      assert.equal(jwks.status, 200);
      assert.doesNotMatch(out, /"msg":"worker /);
    } finally {
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('a busy port: one line, exit 1, and every process gone', async () => {
    const port = await freePort();
    // A store of its own: a store keeps the public URL (port) of its first server.
    const busyDb = join(dir, 'busy.db');
    const first = await serve(busyDb, port, { args: ['--workers', '1'] });
    try {
      // spawnSync returns once the output pipes close: a worker left running would hold them.
      const busy = spawnCli(['--db', busyDb, 'serve', '--port', String(port), '--workers', '2']);
      assert.equal(busy.code, 1, busy.stderr);
      assert.equal(
        busy.stderr,
        `certmint: port ${port} on 127.0.0.1 is already in use: stop what holds it, or choose another port with --port <n> or PORT=<n>\n`,
      );
    } finally {
      assert.equal(await first.stop(), 0, first.output());
    }
  });
});
