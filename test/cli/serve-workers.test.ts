/**
 * `certmint serve --workers 2` as a real process tree (primary + 2 workers) on SQLite and on
 * PostgreSQL: what must stay exact when two processes answer one port. Every check proves from
 * the server's own debug log (each worker's lines carry its id) that both workers answered.
 * - replay: 50 concurrent copies of one assertion give exactly one token; the other 49 get the
 *   replay answer, and the audit trail counts 49 AssertionReplayed;
 * - revocation (RFC 7009): a token revoked through one request is refused by whoami on every
 *   later request, whichever worker answers;
 * - cache invalidation: after `certmint integration update --state blocked` (and back), then
 *   `certmint mapping revoke`, every worker refuses (and then issues again, and then refuses).
 *   Each worker caches the records and hears of a change through the store's change feed:
 *   PostgreSQL NOTIFY at commit, SQLite's data_version poll every 500 ms. So the refusal is
 *   awaited for at most 5 s; from then on every request on every worker is refused.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import {
  ACCOUNT,
  type Answer,
  assertion,
  type Client,
  requestToken,
  type Server,
  serve,
  setUpClient,
  tokenPath,
} from '../fault/support.ts';
import { freePort } from '../support/net.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';
import { BIN, cli, spawnCli, tempDir } from './support.ts';

const SECRET = 'serve-workers-test-secret-0123456789abcdef';
const WHOAMI = `/accounts/${ACCOUNT}/services/rest/whoami`;
const REVOKE = `/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/revoke`;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The worker ids of the debug `request` lines for `path` logged after `from` (an output offset). */
function workersAnswering(output: string, from: number, path: string): Set<number> {
  const ids = new Set<number>();
  for (const line of output.slice(from).split('\n')) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as { msg?: string; path?: string; worker?: number };
    if (l.msg === 'request' && l.path === path && l.worker !== undefined) ids.add(l.worker);
  }
  return ids;
}

/** Waits until the server has logged `count` requests for `path` since `from`; their workers. */
async function answeredBy(server: Server, from: number, path: string, count: number) {
  const lines = () =>
    server
      .output()
      .slice(from)
      .split('\n')
      .filter((l) => l.includes('"msg":"request"') && l.includes(`"path":"${path}"`)).length;
  await eventually(`${count} requests for ${path} are logged`, () => lines() >= count);
  return workersAnswering(server.output(), from, path);
}

const whoami = async (base: string, token: string): Promise<Answer> => {
  const res = await fetch(`${base}${WHOAMI}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text(), headers: res.headers };
};

const times = <T>(n: number, f: () => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: n }, f));

/** The token endpoint's refusal of a client (RFC 6749 §5.2): 401 invalid_client, no detail. */
function assertInvalidClient(a: Answer | null): void {
  assert.equal(a?.status, 401, a?.body);
  assert.equal(a?.body, '{"error":"invalid_client"}');
  assert.equal(a?.headers.get('www-authenticate'), `Basic realm="${ACCOUNT}"`);
  assert.equal(a?.headers.get('cache-control'), 'no-store');
}

/** Token failures with `detail` in the audit trail (identical refusals fold into one row). */
async function audited(store: Store, detail: string): Promise<number> {
  const events = await store.audit.list({
    accountId: ACCOUNT,
    type: 'token',
    result: 'failure',
    limit: 1000,
  });
  return events.filter((e) => e.detail === detail).reduce((n, e) => n + (e.count ?? 1), 0);
}

/** The three checks on a running `--workers 2` server; `store` reads the audit trail. */
async function exactAcrossWorkers(
  server: Server,
  client: Client,
  store: Store,
  db: string,
  env: Record<string, string>,
): Promise<void> {
  // Replay: one assertion, 50 concurrent requests (on as many connections, shared round-robin).
  let mark = server.output().length;
  const jwt = await assertion(client, server.base);
  const answers = await times(50, () => requestToken(server.base, jwt));
  const ok = answers.filter((a) => a?.status === 200);
  assert.equal(ok.length, 1, JSON.stringify(answers.map((a) => a?.status)));
  for (const a of answers.filter((x) => x?.status !== 200)) assertInvalidClient(a);
  assert.equal(await audited(store, 'AssertionReplayed'), 49);
  assert.deepEqual([...(await answeredBy(server, mark, tokenPath, 50))].sort(), [1, 2]);

  // Revocation: the token works on both workers, then is refused on both once revoked.
  const { access_token: token } = JSON.parse(ok[0]?.body ?? '{}') as { access_token: string };
  mark = server.output().length;
  for (const a of await times(20, () => whoami(server.base, token))) {
    assert.equal(a.status, 200, a.body);
  }
  assert.deepEqual([...(await answeredBy(server, mark, WHOAMI, 20))].sort(), [1, 2]);
  const revoke = await fetch(`${server.base}${REVOKE}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(client, server.base),
      token,
    }).toString(),
  });
  assert.equal(revoke.status, 200, await revoke.text());
  mark = server.output().length;
  for (const a of await times(20, () => whoami(server.base, token))) {
    assert.equal(a.status, 401, a.body);
    assert.equal(a.body, '{"error":"invalid_token"}');
    assert.equal(
      a.headers.get('www-authenticate'),
      `Bearer realm="${ACCOUNT}", error="invalid_token"`,
    );
  }
  assert.deepEqual([...(await answeredBy(server, mark, WHOAMI, 20))].sort(), [1, 2]);

  // Cache invalidation: both workers have the records cached; then the CLI (another process,
  // as an administrator would) blocks the integration, unblocks it, and revokes the mapping.
  const fresh = () => assertion(client, server.base).then((a) => requestToken(server.base, a));
  /** Once `ok` holds for every answer, 20 more: answered by both workers, audited `detail`. */
  const everyWorker = async (what: string, ok: (a: Answer | null) => boolean, detail?: string) => {
    // Bounded: PostgreSQL NOTIFY at commit; SQLite's data_version poll every 500 ms.
    await eventually(what, async () => (await times(10, fresh)).every(ok), { timeoutMs: 5000 });
    const from = server.output().length;
    const before = detail === undefined ? 0 : await audited(store, detail);
    const answers = await times(20, fresh);
    assert.deepEqual([...(await answeredBy(server, from, tokenPath, 20))].sort(), [1, 2]);
    if (detail !== undefined) assert.equal((await audited(store, detail)) - before, 20);
    return answers;
  };
  const admin = async (args: string[]) => {
    const r = await cli(['--db', db, ...args], { env });
    assert.equal(r.code, 0, r.stderr);
  };
  for (const a of await everyWorker('both workers issue tokens', (a) => a?.status === 200)) {
    assert.equal(a?.status, 200, a?.body);
  }

  await admin([
    'integration',
    'update',
    '--account',
    ACCOUNT,
    client.clientId,
    '--state',
    'blocked',
  ]);
  const blocked = await everyWorker(
    'every worker refuses the blocked integration',
    (a) => a?.status === 400,
    'IntegrationBlocked',
  );
  for (const a of blocked) {
    // RFC 6749 §5.2: the client is authenticated but may not use this grant.
    assert.equal(a?.status, 400, a?.body);
    assert.equal(a?.body, '{"error":"unauthorized_client"}');
    assert.equal(a?.headers.get('cache-control'), 'no-store');
  }

  await admin([
    'integration',
    'update',
    '--account',
    ACCOUNT,
    client.clientId,
    '--state',
    'enabled',
  ]);
  await everyWorker('every worker issues tokens again', (a) => a?.status === 200);

  await admin(['mapping', 'revoke', '--account', ACCOUNT, client.kid]);
  for (const a of await everyWorker(
    'every worker refuses the revoked certificate',
    (a) => a?.status === 401,
    'CertificateRevoked',
  )) {
    assertInvalidClient(a);
  }
}

const WORKERS_ARGS = ['--workers', '2', '--log-level', 'debug'];

describe('certmint serve --workers 2', () => {
  it('[sqlite] replay, revocation and cache invalidation are exact across workers', async () => {
    const dir = tempDir('certmint-workers-');
    const db = join(dir, 'certmint.db');
    const store = await openStore(db);
    try {
      const client = await setUpClient(store);
      const server = await serve(db, await freePort(), { args: WORKERS_ARGS });
      try {
        await exactAcrossWorkers(server, client, store, db, {});
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const pgFactory = postgresStores();
  it('[postgres] replay, revocation and cache invalidation are exact across workers', {
    skip: pgFactory ? false : PG_SKIP_REASON,
  }, async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    try {
      const client = await setUpClient(store);
      const env = { CERTMINT_SECRET: SECRET };
      const server = await serve(store.location, await freePort(), { env, args: WORKERS_ARGS });
      try {
        await exactAcrossWorkers(server, client, store, store.location, env);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await store.close();
    }
  });
});

/** `{"msg":"<msg>"…}` lines of the output, parsed. */
function logLines(output: string, msg: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg || (typeof l.msg === 'string' && l.msg.startsWith(msg)));
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

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
