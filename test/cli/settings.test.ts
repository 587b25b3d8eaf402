/**
 * Every setting resolves the same way: the flag, else the environment variable, else the
 * default (docs/cli.md, "Settings"); a bad value names where it came from.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors.ts';
import { withIo } from '../../src/cli/io.ts';
import {
  defaultServerUrl,
  describeStore,
  limitSettings,
  masterSecret,
  serveSettings,
  storeLocation,
} from '../../src/cli/settings.ts';
import { tempDir } from './support.ts';

const inEnv = <T>(env: Record<string, string>, fn: () => T, cwd = '/work/here'): Promise<T> =>
  withIo({ env, cwd }, async () => fn());

describe('settings', () => {
  it('serve: flag, else environment, else default', async () => {
    assert.deepEqual(await inEnv({}, () => serveSettings({})), {
      port: 8080,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8080',
      explainErrors: false,
      logLevel: 'info',
    });
    const env = {
      PORT: '9000',
      HOST: '0.0.0.0',
      CERTMINT_PUBLIC_URL: 'https://auth.example.com/',
      CERTMINT_LOG_LEVEL: 'warn',
      CERTMINT_EXPLAIN_ERRORS: '1',
    };
    assert.deepEqual(await inEnv(env, () => serveSettings({})), {
      port: 9000,
      host: '0.0.0.0',
      publicUrl: 'https://auth.example.com',
      explainErrors: true,
      logLevel: 'warn',
    });
    assert.deepEqual(
      await inEnv(env, () =>
        serveSettings({
          port: '7000',
          host: '127.0.0.2',
          publicUrl: 'http://x.test',
          logLevel: 'debug',
        }),
      ),
      {
        port: 7000,
        host: '127.0.0.2',
        publicUrl: 'http://x.test',
        explainErrors: true,
        logLevel: 'debug',
      },
    );
    // A wildcard address is reached on 127.0.0.1.
    assert.equal(
      (await inEnv({ HOST: '::' }, () => serveSettings({ port: '81' }))).publicUrl,
      'http://127.0.0.1:81',
    );
  });

  it('serve: a bad value names the flag or variable it came from', async () => {
    const refused = async (env: Record<string, string>, flags: object, message: string) => {
      await assert.rejects(
        inEnv(env, () => serveSettings(flags)),
        (e: unknown) => e instanceof CliError && e.message === message,
      );
    };
    await refused({}, { port: '70000' }, '--port must be 0-65535 (got "70000")');
    await refused({ PORT: 'http' }, {}, 'PORT must be 0-65535 (got "http")');
    await refused(
      { CERTMINT_LOG_LEVEL: 'loud' },
      {},
      'CERTMINT_LOG_LEVEL must be one of fatal, error, warn, info, debug (got "loud")',
    );
  });

  it('serve limits: flag, else environment, else the documented defaults', async () => {
    assert.deepEqual(await inEnv({}, () => limitSettings({})), {
      server: {
        headersTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
        keepAliveTimeoutMs: 72_000,
        idleTimeoutMs: 120_000,
        maxConnections: 512,
      },
      rate: { perClientPerMinute: 6000, perAddressPerMinute: 30_000 },
    });
    const env = {
      CERTMINT_HEADERS_TIMEOUT_MS: '2000',
      CERTMINT_REQUEST_TIMEOUT_MS: '4000',
      CERTMINT_KEEP_ALIVE_TIMEOUT_MS: '5000',
      CERTMINT_IDLE_TIMEOUT_MS: '6000',
      CERTMINT_MAX_CONNECTIONS: '100',
      CERTMINT_RATE_LIMIT_CLIENT: '0',
      CERTMINT_RATE_LIMIT_ADDRESS: '60',
    };
    assert.deepEqual(await inEnv(env, () => limitSettings({})), {
      server: {
        headersTimeoutMs: 2000,
        requestTimeoutMs: 4000,
        keepAliveTimeoutMs: 5000,
        idleTimeoutMs: 6000,
        maxConnections: 100,
      },
      rate: { perClientPerMinute: 0, perAddressPerMinute: 60 },
    });
    const flags = await inEnv(env, () =>
      limitSettings({ headersTimeout: '1000', maxConnections: '7', rateLimitClient: '12' }),
    );
    assert.equal(flags.server.headersTimeoutMs, 1000);
    assert.equal(flags.server.requestTimeoutMs, 4000);
    assert.equal(flags.server.maxConnections, 7);
    assert.deepEqual(flags.rate, { perClientPerMinute: 12, perAddressPerMinute: 60 });
  });

  it('serve limits: docs/cli.md has a row for each, with the default the code uses', async () => {
    const docs = readFileSync(join(import.meta.dirname, '../../docs/cli.md'), 'utf8');
    const { server, rate } = await inEnv({}, () => limitSettings({}));
    const defaults: Record<string, number> = {
      CERTMINT_HEADERS_TIMEOUT_MS: server.headersTimeoutMs,
      CERTMINT_REQUEST_TIMEOUT_MS: server.requestTimeoutMs,
      CERTMINT_KEEP_ALIVE_TIMEOUT_MS: server.keepAliveTimeoutMs,
      CERTMINT_IDLE_TIMEOUT_MS: server.idleTimeoutMs,
      CERTMINT_MAX_CONNECTIONS: server.maxConnections,
      CERTMINT_RATE_LIMIT_CLIENT: rate.perClientPerMinute,
      CERTMINT_RATE_LIMIT_ADDRESS: rate.perAddressPerMinute,
    };
    for (const [env, value] of Object.entries(defaults)) {
      const row = docs.split('\n').find((l) => l.includes(`| \`${env}\` |`));
      assert.ok(row, `a settings row for ${env}`);
      assert.equal(row.split('|')[4]?.trim(), `\`${value}\``, env);
    }
  });

  it('serve limits: a bad value names its flag or variable', async () => {
    const refused = async (env: Record<string, string>, flags: object, message: string) => {
      await assert.rejects(
        inEnv(env, () => limitSettings(flags)),
        (e: unknown) => e instanceof CliError && e.message === message && e.exitCode === 2,
      );
    };
    await refused(
      {},
      { maxConnections: '0' },
      '--max-connections must be a whole number, 1 or more (got "0")',
    );
    await refused(
      { CERTMINT_REQUEST_TIMEOUT_MS: '5s' },
      {},
      'CERTMINT_REQUEST_TIMEOUT_MS must be a whole number, 1 or more (got "5s")',
    );
    await refused(
      {},
      { rateLimitAddress: '-1' },
      '--rate-limit-address must be a whole number, 0 or more (got "-1")',
    );
    await refused(
      {},
      { headersTimeout: '40000' },
      'the headers timeout (40000 ms) must not exceed the request timeout (30000 ms): set --headers-timeout or --request-timeout',
    );
  });

  it('the store: --db, else CERTMINT_DB, else ./.certmint/certmint.db, made absolute', async () => {
    assert.deepEqual(await inEnv({}, () => storeLocation(undefined)), {
      db: '/work/here/.certmint/certmint.db',
      from: 'default',
      dir: '/work/here/.certmint',
    });
    assert.deepEqual(await inEnv({ CERTMINT_DB: 'a/b.db' }, () => storeLocation('')), {
      db: '/work/here/a/b.db',
      from: 'CERTMINT_DB',
      dir: '/work/here/a',
    });
    assert.deepEqual(await inEnv({ CERTMINT_DB: 'a/b.db' }, () => storeLocation('/srv/c.db')), {
      db: '/srv/c.db',
      from: '--db',
      dir: '/srv',
    });
    const pgUrl = 'postgres://certmint:s3cret@db.example/certmint';
    const pgStore = await inEnv({ CERTMINT_DB: pgUrl }, () => storeLocation(undefined));
    assert.deepEqual(pgStore, { db: pgUrl, from: 'CERTMINT_DB', dir: '/work/here/.certmint' });
    assert.equal(describeStore(pgStore), 'postgres://certmint@db.example/certmint');
  });

  it('quickstart finds the server the way serve would listen', async () => {
    assert.equal(await inEnv({}, defaultServerUrl), 'http://127.0.0.1:8080');
    assert.equal(await inEnv({ PORT: '9000' }, defaultServerUrl), 'http://127.0.0.1:9000');
    assert.equal(
      await inEnv({ PORT: '9000', CERTMINT_PUBLIC_URL: 'https://a.test' }, defaultServerUrl),
      'https://a.test',
    );
  });

  it('the signing-key secret: --secret-file, else CERTMINT_SECRET', async () => {
    const dir = tempDir('certmint-settings-');
    try {
      writeFileSync(join(dir, 'secret'), 'from the file, 32+ characters long\n');
      assert.equal(await inEnv({ CERTMINT_SECRET: 'env' }, () => masterSecret(undefined)), 'env');
      assert.equal(await inEnv({}, () => masterSecret(undefined)), undefined);
      assert.equal(
        await inEnv({ CERTMINT_SECRET: 'env' }, () => masterSecret('secret'), dir),
        'from the file, 32+ characters long',
      );
      await assert.rejects(
        inEnv({}, () => masterSecret('missing'), dir),
        (e: unknown) =>
          e instanceof CliError && e.message === 'cannot read --secret-file missing: no such file',
      );
      writeFileSync(join(dir, 'empty'), '\n');
      await assert.rejects(
        inEnv({}, () => masterSecret('empty'), dir),
        (e: unknown) => e instanceof CliError && e.message === '--secret-file empty is empty',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
