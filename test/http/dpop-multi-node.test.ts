/**
 * DPoP proofs across two certmint nodes on one database: a proof used at node B is refused at
 * node A (its jti is claimed in the durable replay store, not in a node's memory), at the token
 * endpoint and at whoami; a server nonce made by one node is accepted by the other.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { FixedClock } from '../../src/domain/clock.ts';
import { testApp } from '../support/app.ts';
import { ath, dpopKey } from '../support/dpop.ts';
import { describeEachStore } from '../support/stores.ts';
import { nowS, PUBLIC_URL, T0, TEST_SECRET, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describeEachStore('DPoP on two nodes', (factory) => {
  it('a proof is accepted once across nodes; nonces are good on every node', async () => {
    const clock = new FixedClock(T0);
    const [a, b] = await factory.openPair({ clock });
    const f = await tokenFixture(async () => a, { startAt: T0, dpop: 'allowed', dpopNonce: true });
    const { app: nodeB } = await testApp({
      store: b,
      secret: TEST_SECRET,
      publicUrl: PUBLIC_URL,
      clock: f.clock,
      dpopNonce: true,
    });
    const key = await dpopKey('ES256');
    const tokenOn = async (app: typeof nodeB, dpop: string) =>
      app.inject({
        method: 'POST',
        url: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', dpop },
        payload: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: await f.sign(),
        }).toString(),
      });
    try {
      // Node A makes the nonce, node B accepts it.
      const asked = await tokenOn(f.app, await key.proof('POST', f.tokenUrl, nowS(f.clock)));
      assert.equal(asked.json<{ error: string }>().error, 'use_dpop_nonce');
      const nonce = String(asked.headers['dpop-nonce']);
      const proof = await key.proof('POST', f.tokenUrl, nowS(f.clock), { nonce });
      const onB = await tokenOn(nodeB, proof);
      assert.equal(onB.statusCode, 200, onB.body);
      const token = onB.json<{ access_token: string }>().access_token;
      // The same proof at node A (with a fresh assertion): replayed.
      const onA = await tokenOn(f.app, proof);
      assert.equal(onA.statusCode, 400);
      assert.deepEqual(onA.json(), { error: 'invalid_dpop_proof' });
      assert.equal((await f.audit())[0]?.detail, 'DpopProofReplayed');

      const path = `/accounts/${f.accountId}/services/rest/whoami`;
      const call = (app: typeof nodeB, dpop: string) =>
        app.inject({ method: 'GET', url: path, headers: { authorization: `DPoP ${token}`, dpop } });
      const rp = await key.proof('GET', `${PUBLIC_URL}${path}`, nowS(f.clock), { ath: ath(token) });
      assert.equal((await call(f.app, rp)).statusCode, 200);
      const again = await call(nodeB, rp);
      assert.equal(again.statusCode, 401);
      assert.match(String(again.headers['www-authenticate']), /error="invalid_dpop_proof"/);
    } finally {
      await nodeB.close();
      await f.close();
      await b.close();
    }
  });
});
