/**
 * A node whose change-feed connection stalls silently still learns of a revocation made
 * through another node within the feed timeout (not at the record cache's 60 s expiry: the
 * clock is frozen here, so the cache never expires at all). Node B reaches PostgreSQL through
 * a TCP proxy that stops forwarding on B's listener connection only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM } from '../../src/service/context.ts';
import { revokeMapping } from '../../src/service/index.ts';
import { openStore } from '../../src/store/index.ts';
import { testApp } from '../support/app.ts';
import { listenerPorts } from '../support/pg-listener.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { PUBLIC_URL, T0, TEST_SECRET, tokenFixture } from '../support/token-fixture.ts';
import { eventually } from '../support/wait.ts';

const FEED_TIMEOUT_MS = 1000;
const pgFactory = postgresStores();

describe('a node with a stalled change feed [postgres]', {
  skip: pgFactory ? false : PG_SKIP_REASON,
}, () => {
  it('refuses a certificate revoked through another node within the feed timeout', async () => {
    if (!pgFactory) return;
    const f = await tokenFixture((o) => pgFactory.open(o), { startAt: T0 });
    const location = (f.store as { location?: string }).location ?? '';
    const proxy = await startTcpProxy(Number(new URL(location).port || 5432));
    const b = await openStore(proxy.via(location), {
      clock: f.clock,
      feedTimeoutMs: FEED_TIMEOUT_MS,
    });
    const { app: nodeB } = await testApp({
      store: b,
      secret: TEST_SECRET,
      publicUrl: PUBLIC_URL,
      clock: f.clock,
    });
    const onB = async (assertion: string) => {
      const r = await nodeB.inject({
        method: 'POST',
        url: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
          client_assertion: assertion,
        }).toString(),
      });
      return r.statusCode;
    };
    try {
      // The first token creates the account's signing key, which (a change to the account)
      // empties B's cache for it; the second fills it again: B's record cache holds the mapping.
      assert.equal(await onB(await f.sign()), 200);
      assert.equal(await onB(await f.sign()), 200);
      const ports = await listenerPorts(location);
      proxy.freeze((port) => ports.includes(port));
      const frozenAt = performance.now();
      await revokeMapping(
        { store: f.store, clock: f.clock },
        SYSTEM,
        f.accountId,
        f.cred.certificateId,
      );
      await eventually(
        'node B refuses the revoked certificate',
        async () => (await onB(await f.sign())) === 401,
        { timeoutMs: 10_000, everyMs: 50 },
      );
      const after = performance.now() - frozenAt;
      assert.ok(after < FEED_TIMEOUT_MS + 2000, `refused after ${Math.round(after)} ms`);
    } finally {
      await nodeB.close();
      await b.close();
      await proxy.close();
      await f.close();
    }
  });
});
