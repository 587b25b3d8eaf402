/**
 * The operational settings of `serve` (docs/cli.md, "Settings"): audit retention and the
 * change-feed timeout resolve as every setting does (the flag, else the environment variable,
 * else the default), and a bad value names where it came from.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { describe, it } from 'node:test';
import { CliError } from '../../src/cli/errors.ts';
import { withIo } from '../../src/cli/io.ts';
import { operationsSettings } from '../../src/cli/settings.ts';

const inEnv = <T>(env: Record<string, string>, fn: () => T): Promise<T> =>
  withIo({ env, cwd: '/work/here' }, async () => fn());

describe('operations settings', () => {
  it('flag, else environment, else default', async () => {
    assert.deepEqual(await inEnv({}, () => operationsSettings({})), {
      auditRetentionDays: 90,
      feedTimeoutMs: 3000,
      changePublicUrl: false,
      // One worker process per core.
      workers: Math.min(availableParallelism(), 256),
    });
    const env = {
      CERTMINT_AUDIT_RETENTION_DAYS: '0',
      CERTMINT_FEED_TIMEOUT_MS: '1500',
      CERTMINT_WORKERS: '3',
    };
    assert.deepEqual(await inEnv(env, () => operationsSettings({})), {
      auditRetentionDays: 0,
      feedTimeoutMs: 1500,
      changePublicUrl: false,
      workers: 3,
    });
    assert.deepEqual(
      await inEnv(env, () =>
        operationsSettings({
          auditRetention: '30',
          feedTimeout: '60000',
          changePublicUrl: true,
          workers: '1',
        }),
      ),
      { auditRetentionDays: 30, feedTimeoutMs: 60000, changePublicUrl: true, workers: 1 },
    );
  });

  it('a bad value: exit 2, naming the flag or the variable and the range', async () => {
    const bad = async (env: Record<string, string>, flags: object, message: string) => {
      await assert.rejects(
        inEnv(env, () => operationsSettings(flags)),
        (e: unknown) => e instanceof CliError && e.exitCode === 2 && e.message === message,
      );
    };
    await bad(
      {},
      { feedTimeout: '299' },
      '--feed-timeout must be a whole number from 300 to 60000 (got "299")',
    );
    await bad(
      {},
      { auditRetention: '1.5' },
      '--audit-retention must be a whole number from 0 to 36500 (got "1.5")',
    );
    await bad({}, { workers: '0' }, '--workers must be a whole number from 1 to 256 (got "0")');
    await bad(
      { CERTMINT_WORKERS: 'all' },
      {},
      'CERTMINT_WORKERS must be a whole number from 1 to 256 (got "all")',
    );
    await bad(
      { CERTMINT_FEED_TIMEOUT_MS: 'soon' },
      {},
      'CERTMINT_FEED_TIMEOUT_MS must be a whole number from 300 to 60000 (got "soon")',
    );
  });
});
