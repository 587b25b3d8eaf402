/**
 * The metrics settings of `serve`: flag, else environment, else off; bad values are one line
 * naming where they came from; and a real `certmint serve` with both a separate metrics listener
 * and a token serves /metrics on each the way docs/metrics.md says.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors.ts';
import { withIo } from '../../src/cli/io.ts';
import { listenMetrics, metricsSettings, parseListen } from '../../src/cli/metrics-settings.ts';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { createServices } from '../../src/service/services.ts';
import { freePort } from '../support/net.ts';
import { Scrape } from '../support/prometheus.ts';
import { sqliteStores } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';
import { BIN, tempDir } from './support.ts';

const inEnv = <T>(env: Record<string, string>, fn: () => T): Promise<T> =>
  withIo({ env, cwd: '/work/here' }, async () => fn());

const TOKEN = 'metrics-cli-token-0123456789abcdef';

const usage = (message: RegExp) => (e: unknown) =>
  e instanceof CliError && e.exitCode === 2 && message.test(e.message);

describe('metrics settings', () => {
  it('neither flag nor variable: off', async () => {
    assert.deepEqual(await inEnv({}, () => metricsSettings({})), { listen: null, token: null });
  });

  it('the listener: flag, else CERTMINT_METRICS_LISTEN; IPv4, names and [IPv6]', async () => {
    const env = { CERTMINT_METRICS_LISTEN: '0.0.0.0:9464' };
    assert.deepEqual((await inEnv(env, () => metricsSettings({}))).listen, {
      host: '0.0.0.0',
      port: 9464,
    });
    assert.deepEqual(
      (await inEnv(env, () => metricsSettings({ metricsListen: 'localhost:1' }))).listen,
      { host: 'localhost', port: 1 },
    );
    assert.deepEqual(parseListen('[::1]:9464', 'x'), { host: '::1', port: 9464 });
    for (const bad of ['9464', ':9464', '::1:9464', 'host:', 'host:65536', 'a b:1', 'h:1x']) {
      assert.throws(
        () => parseListen(bad, '--metrics-listen'),
        usage(/^--metrics-listen must be HOST:PORT/),
      );
    }
    await assert.rejects(
      inEnv({ CERTMINT_METRICS_LISTEN: 'nope' }, () => metricsSettings({})),
      usage(/^CERTMINT_METRICS_LISTEN must be HOST:PORT, e\.g\. 127\.0\.0\.1:9464/),
    );
  });

  it('the token: a file, else CERTMINT_METRICS_TOKEN; short or unsendable ones refused', async () => {
    const dir = tempDir('certmint-metrics-settings-');
    try {
      const file = join(dir, 'token');
      writeFileSync(file, `${TOKEN}\n`);
      const env = { CERTMINT_METRICS_TOKEN: 'from-the-environment-0123' };
      assert.equal(
        (await inEnv(env, () => metricsSettings({}))).token,
        'from-the-environment-0123',
      );
      assert.equal(
        (await inEnv(env, () => metricsSettings({ metricsTokenFile: file }))).token,
        TOKEN,
      );
      await assert.rejects(
        inEnv({ CERTMINT_METRICS_TOKEN: 'short' }, () => metricsSettings({})),
        usage(/^CERTMINT_METRICS_TOKEN: the metrics token must be 16 characters or more/),
      );
      writeFileSync(file, 'has spaces in it, sixteen or more');
      await assert.rejects(
        inEnv({}, () => metricsSettings({ metricsTokenFile: file })),
        usage(/^--metrics-token-file .*: the metrics token must be 16 characters or more of/),
      );
      await assert.rejects(
        inEnv({}, () => metricsSettings({ metricsTokenFile: join(dir, 'missing') })),
        (e: unknown) =>
          e instanceof CliError &&
          /^cannot read --metrics-token-file .*: no such file$/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/cli.md has a row for each setting, with its flag and variable', () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/cli.md'), 'utf8').split('\n');
    for (const [flag, env] of [
      ['--metrics-listen <host:port>', 'CERTMINT_METRICS_LISTEN'],
      ['--metrics-token-file <file>', 'CERTMINT_METRICS_TOKEN'],
    ]) {
      const row = docs.find((l) => l.includes(`| \`${flag}\``));
      assert.ok(row?.includes(`| \`${env}\``), `${flag} / ${env} in docs/cli.md`);
      assert.ok(row?.endsWith('| `serve` |'));
    }
  });
});

function serve(
  db: string,
  port: number,
  metricsPort: number,
  extra: string[],
): { child: ChildProcess; out: () => string } {
  const child = spawn(
    process.execPath,
    [
      BIN,
      '--db',
      db,
      'serve',
      '--port',
      String(port),
      '--metrics-listen',
      `127.0.0.1:${metricsPort}`,
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        CERTMINT_SECRET: 'metrics-serve-test-secret-0123456789',
        CERTMINT_METRICS_TOKEN: TOKEN,
        CERTMINT_LOG_LEVEL: 'error',
      },
    },
  );
  let out = '';
  const add = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  return { child, out: () => out };
}

// Default workers (one per core: the primary serves the node's metrics) and a single process.
for (const [what, extra] of [
  ['default workers', []],
  ['--workers 1', ['--workers', '1']],
] as const) {
  it(`serve (${what}): /metrics on its own listener, and on the main one behind the token`, async () => {
    const dir = tempDir('certmint-serve-metrics-');
    const [port, metricsPort] = [await freePort(), await freePort()];
    const server = serve(join(dir, 'certmint.db'), port, metricsPort, [...extra]);
    try {
      await eventually('the server listens', () => server.out().includes('metrics: '), {
        timeoutMs: 60_000,
      });
      assert.match(
        server.out(),
        new RegExp(`metrics: http://127\\.0\\.0\\.1:${metricsPort}/metrics`),
      );
      const own = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      assert.equal(own.status, 200);
      const s = new Scrape(await own.text());
      assert.equal(s.value('certmint_store_up'), 1);
      const main = `http://127.0.0.1:${port}/metrics`;
      const without = await fetch(main);
      assert.equal(without.status, 401);
      assert.deepEqual(await without.json(), { error: 'invalid_token' });
      const withToken = await fetch(main, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(withToken.status, 200);
      assert.ok(new Scrape(await withToken.text()).family('certmint_tokens_issued_total'));
    } finally {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

it('a --metrics-listen address in use is one line saying so', async () => {
  const store = await sqliteStores.open();
  const services = createServices({
    store,
    master: loadMasterKey({
      secret: 'metrics-busy-test-secret-0123456789',
      keyFile: '/nonexistent',
    }),
    publicUrl: 'http://certmint.test',
  });
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as AddressInfo).port;
  try {
    await assert.rejects(
      listenMetrics(services, { listen: { host: '127.0.0.1', port }, token: null }),
      (e: unknown) =>
        e instanceof CliError &&
        e.message === `--metrics-listen 127.0.0.1:${port} is already in use: choose another port`,
    );
  } finally {
    await new Promise((r) => busy.close(r));
    await services.close();
    await store.close();
  }
});
