/**
 * `kill -9` of `certmint serve` under load, then a restart, on SQLite and on PostgreSQL:
 * nothing accepted before the kill is lost. Every assertion that got a token before the kill
 * is refused after it (its replay record was committed before the answer), and the audit trail
 * has a success for every token answered (written before the answer: at most the requests in
 * flight at the kill may have been recorded without their answer reaching the client).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import { tempDir } from '../cli/support.ts';
import { freePort } from '../support/net.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { ACCOUNT, type Client, load, requestToken, serve, setUpClient } from './support.ts';

/** Tokens issued before the kill: enough to matter, few enough to stay quick. */
const BEFORE_KILL = 150;

const auditedSuccesses = async (store: Store): Promise<number> =>
  (await store.audit.list({ accountId: ACCOUNT, type: 'token', result: 'success', limit: 1000 }))
    .length;

/**
 * Serves `db`, kills the server once BEFORE_KILL tokens were issued, checks the audit trail
 * (`audit` reads the store while no server runs), restarts, replays every accepted assertion.
 */
async function killUnderLoad(
  db: string,
  client: Client,
  env: Record<string, string>,
  audit: () => Promise<number>,
): Promise<void> {
  const port = await freePort();
  const first = await serve(db, port, { env });
  let killing: Promise<void> | null = null;
  let dead = false;
  const result = await load(client, first.base, 16, (r) => {
    if (r.accepted.length >= BEFORE_KILL && killing === null) {
      killing = first.kill().then(() => {
        dead = true;
      });
    }
    return dead;
  });
  assert.ok(result.accepted.length >= BEFORE_KILL);
  assert.deepEqual(
    [...new Set(result.statuses)].filter((s) => s !== 200 && s !== null),
    [],
    'before the kill: only tokens',
  );

  const audited = await audit();
  assert.ok(
    audited >= result.accepted.length &&
      audited <= result.accepted.length + result.unanswered.length,
    `audited ${audited} successes for ${result.accepted.length} answered tokens and ${result.unanswered.length} unanswered requests`,
  );

  const second = await serve(db, port, { env, args: ['--explain-errors'] });
  try {
    const replays = await Promise.all(result.accepted.map((jwt) => requestToken(second.base, jwt)));
    for (const r of replays) {
      assert.equal(r?.status, 401, r?.body);
      assert.deepEqual(JSON.parse(r?.body ?? '{}'), {
        error: 'invalid_client',
        error_description: 'AssertionReplayed',
      });
    }
  } finally {
    assert.equal(await second.stop(), 0, second.output());
  }
}

describe('kill -9 under load, then restart', () => {
  it('[sqlite] accepted assertions stay used, every answered token is audited', async () => {
    const db = join(tempDir('certmint-fault-'), 'certmint.db');
    const setup = await openStore(db);
    const client = await setUpClient(setup).finally(() => setup.close());
    await killUnderLoad(db, client, {}, async () => {
      const store = await openStore(db, { mustExist: true });
      try {
        return await auditedSuccesses(store);
      } finally {
        await store.close();
      }
    });
  });

  const pgFactory = postgresStores();
  it('[postgres] accepted assertions stay used, every answered token is audited', {
    skip: pgFactory ? false : PG_SKIP_REASON,
  }, async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    try {
      const client = await setUpClient(store);
      await killUnderLoad(
        store.location,
        client,
        { CERTMINT_SECRET: 'fault-suite-secret-0123456789abcdef' },
        () => auditedSuccesses(store),
      );
    } finally {
      await store.close();
    }
  });
});
