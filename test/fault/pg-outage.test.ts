/**
 * PostgreSQL goes away while `certmint serve` is under load, then comes back: meanwhile every
 * token request is answered 503 `temporarily_unavailable` with Retry-After and /readyz is 503
 * (never a 500, never a token without its audit record); afterwards the same process serves
 * tokens again, without a restart. The outage is a TCP proxy between certmint and the shared
 * PostgreSQL that drops every connection and refuses new ones: the server itself is untouched.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freePort } from '../support/net.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { eventually } from '../support/wait.ts';
import { ACCOUNT, load, serve, setUpClient } from './support.ts';

const pgFactory = postgresStores();

describe('a PostgreSQL outage while serving', { skip: pgFactory ? false : PG_SKIP_REASON }, () => {
  it('503 temporarily_unavailable during it, tokens again after it, no restart', async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(store.location).port || 5432));
    try {
      const client = await setUpClient(store);
      const server = await serve(proxy.via(store.location), await freePort(), {
        env: { CERTMINT_SECRET: 'fault-suite-secret-0123456789abcdef' },
      });
      const ready = async () => (await fetch(`${server.base}/readyz`)).status;
      try {
        const before = await load(client, server.base, 8, (r) => r.accepted.length >= 50);
        assert.deepEqual(new Set(before.statuses), new Set([200]));

        proxy.cut();
        assert.equal(await ready(), 503);
        const during = await load(client, server.base, 8, (r) => r.answers.length >= 40);
        assert.deepEqual(new Set(during.statuses), new Set([503]));
        for (const a of during.answers) {
          assert.deepEqual(JSON.parse(a.body), {
            error: 'temporarily_unavailable',
            error_description: 'The database is unavailable; try again in a few seconds.',
          });
          assert.equal(a.headers.get('retry-after'), '5');
        }

        proxy.restore();
        await eventually('/readyz is 200 again', async () => (await ready()) === 200);
        const after = await load(client, server.base, 8, (r) => r.accepted.length >= 50);
        assert.deepEqual(new Set(after.statuses), new Set([200]));
        assert.equal(server.child.exitCode, null, 'the same process throughout');

        const audited = await store.audit.list({
          accountId: ACCOUNT,
          type: 'token',
          result: 'success',
          limit: 1000,
        });
        assert.equal(audited.length, before.accepted.length + after.accepted.length);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    } finally {
      await proxy.close();
      await store.close();
    }
  });
});
