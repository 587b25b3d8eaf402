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
 *   PostgreSQL NOTIFY at commit, SQLite's change-counter poll every 500 ms. So the refusal is
 *   awaited for at most 5 s; from then on every request on every worker is refused.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
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
import { cli, tempDir } from './support.ts';
import {
  answeredBy,
  assertInvalidClient,
  audited,
  times,
  WORKERS_ARGS,
} from './workers-support.ts';

const SECRET = 'serve-workers-test-secret-0123456789abcdef';
const WHOAMI = `/accounts/${ACCOUNT}/services/rest/whoami`;
const REVOKE = `/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/revoke`;
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

const whoami = async (base: string, token: string): Promise<Answer> => {
  const res = await fetch(`${base}${WHOAMI}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.text(), headers: res.headers };
};

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
    // Bounded: PostgreSQL NOTIFY at commit; SQLite's change-counter poll every 500 ms.
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
