/**
 * Two certmint nodes on one database: a mapping revoked through one node is refused by the
 * other (its cache is invalidated by the store's change feed: PostgreSQL LISTEN/NOTIFY, SQLite
 * change-counter polling), and an assertion replayed across nodes is refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FixedClock } from '../../src/domain/clock.ts';
import { SYSTEM } from '../../src/service/context.ts';
import { revokeMapping } from '../../src/service/index.ts';
import { testApp } from '../support/app.ts';
import { describeEachStore } from '../support/stores.ts';
import { PUBLIC_URL, T0, TEST_SECRET, tokenFixture } from '../support/token-fixture.ts';
import { eventually } from '../support/wait.ts';

describeEachStore('two certmint nodes', (factory) => {
  describe('on one database', () => {
    it('revocation on node A reaches node B; replay is refused across nodes', async () => {
      const clock = new FixedClock(T0);
      const [a, b] = await factory.openPair({ clock });
      const f = await tokenFixture(async () => a, { startAt: T0 });
      const { app: nodeB } = await testApp({
        store: b,
        secret: TEST_SECRET,
        publicUrl: PUBLIC_URL,
        clock: f.clock,
      });
      const onB = (assertion: string) =>
        nodeB.inject({
          method: 'POST',
          url: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion,
          }).toString(),
        });
      try {
        const jwt = await f.sign();
        assert.equal((await onB(jwt)).statusCode, 200);
        // The same assertion at node A: one-time use holds across nodes.
        assert.equal((await f.token(jwt)).statusCode, 401);
        assert.equal((await f.audit())[0]?.detail, 'AssertionReplayed');

        await revokeMapping(
          { store: a, clock: f.clock },
          SYSTEM,
          f.accountId,
          f.cred.certificateId,
        );
        // Node B hears of it through its store's change feed (NOTIFY, or SQLite's change-counter
        // poll), not at once: ask again until it refuses, for at most 4 s.
        await eventually(
          'node B refuses a certificate revoked through node A',
          async () => (await onB(await f.sign())).statusCode === 401,
          { timeoutMs: 4000 },
        );
        assert.equal((await f.audit())[0]?.detail, 'CertificateRevoked');
      } finally {
        await nodeB.close();
        await f.close();
        await b.close();
      }
    });
  });
});
