/**
 * Rate limits of the OAuth endpoints: beyond the per-address or the per-client limit a request
 * is 429 with Retry-After and the RFC 6749 error body, audited `RateLimited`; another address or
 * another client is unaffected; the budget comes back as the (injected) clock moves on. Runs on
 * every store.
 */
import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createIntegration, SYSTEM } from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const OAUTH = '/services/rest/auth/oauth2/v1';

describeEachStore('OAuth endpoint rate limits', (factory) => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.close();
    f = undefined;
  });

  /** POSTs a form to an endpoint of the fixture's account from `address`. */
  const postFrom = (
    fx: Fixture,
    address: string,
    form: Record<string, string>,
    endpoint = 'token',
  ): Promise<LightMyRequestResponse> =>
    fx.app.inject({
      method: 'POST',
      url: `/accounts/${fx.accountId}${OAUTH}/${endpoint}`,
      remoteAddress: address,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
    });
  const tokenForm = (assertion: string) => ({
    grant_type: 'client_credentials',
    client_assertion_type: ASSERTION_TYPE,
    client_assertion: assertion,
  });

  async function assertLimited(fx: Fixture, res: LightMyRequestResponse, retryAfter: number) {
    assert.equal(res.statusCode, 429, res.body);
    assert.deepEqual(res.json(), {
      error: 'temporarily_unavailable',
      error_description: 'too many requests: retry after the Retry-After delay',
    });
    assert.equal(res.headers['retry-after'], String(retryAfter));
    assert.equal(res.headers['cache-control'], 'no-store');
    const [last] = await fx.audit();
    assert.equal(last?.result, 'failure');
    assert.equal(last?.detail, 'RateLimited');
  }

  it('per address: junk and good requests alike count; another address is unaffected', async () => {
    const fx = await tokenFixture(factory.open, {
      rateLimits: { perAddressPerMinute: 3, perClientPerMinute: 1000 },
    });
    f = fx;
    // Three requests of anything (even junk) spend the address's budget…
    assert.equal((await postFrom(fx, '192.0.2.1', { grant_type: 'nope' })).statusCode, 400);
    assert.equal((await postFrom(fx, '192.0.2.1', { x: 'y' }, 'introspect')).statusCode, 401);
    assert.equal((await postFrom(fx, '192.0.2.1', tokenForm(await fx.sign()))).statusCode, 200);
    // …the fourth is refused before it is parsed: 3 per minute is one every 20 s.
    const refused = await postFrom(fx, '192.0.2.1', tokenForm(await fx.sign()));
    await assertLimited(fx, refused, 20);
    assert.equal((await fx.audit())[0]?.remoteAddress, '192.0.2.1');
    assert.equal((await fx.audit())[0]?.clientId, null, 'nothing was parsed');
    await assertLimited(fx, await postFrom(fx, '192.0.2.1', {}, 'revoke'), 20);
    // Another address, and another /64 of IPv6, each have their own budget.
    assert.equal((await postFrom(fx, '192.0.2.2', tokenForm(await fx.sign()))).statusCode, 200);
    assert.equal((await postFrom(fx, '2001:db8:1::1', tokenForm(await fx.sign()))).statusCode, 200);
    // The same /64 shares one.
    for (const a of ['2001:db8:2::1', '2001:db8:2::2', '2001:db8:2:0:ffff::3']) {
      assert.equal((await postFrom(fx, a, { x: 'y' })).statusCode, 400);
    }
    await assertLimited(fx, await postFrom(fx, '2001:db8:2::4', { x: 'y' }), 20);
    // The budget comes back with time: one request after 20 s, all three after a minute.
    fx.clock.advance(19_000);
    await assertLimited(fx, await postFrom(fx, '192.0.2.1', {}), 1);
    fx.clock.advance(1_000);
    assert.equal((await postFrom(fx, '192.0.2.1', tokenForm(await fx.sign()))).statusCode, 200);
    await assertLimited(fx, await postFrom(fx, '192.0.2.1', {}), 20);
    fx.clock.advance(60_000);
    for (let i = 0; i < 3; i++) {
      assert.equal((await postFrom(fx, '192.0.2.1', tokenForm(await fx.sign()))).statusCode, 200);
    }
    await assertLimited(fx, await postFrom(fx, '192.0.2.1', {}), 20);
  });

  it('per client: charged once authenticated; another client is unaffected', async () => {
    const fx = await tokenFixture(factory.open, {
      rateLimits: { perClientPerMinute: 2, perAddressPerMinute: 1000 },
    });
    f = fx;
    const { integration } = await createIntegration({ store: fx.store, clock: fx.clock }, SYSTEM, {
      accountId: fx.accountId,
      name: 'Other app',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    const other = await fx.newCredential('ES256', { clientId: integration.clientId });
    // Failed authentication in the client's name costs it nothing (and says nothing).
    for (let i = 0; i < 5; i++) {
      const res = await postFrom(fx, `198.51.100.${i}`, tokenForm(await fx.sign({ exp: 1 })));
      assert.equal(res.statusCode, 401);
      assert.deepEqual(res.json(), { error: 'invalid_client' });
    }
    // Two authenticated requests (any endpoint, any address) spend the budget of 2 per minute.
    assert.equal((await postFrom(fx, '198.51.100.1', tokenForm(await fx.sign()))).statusCode, 200);
    const intro = await postFrom(
      fx,
      '198.51.100.2',
      { client_assertion_type: ASSERTION_TYPE, client_assertion: await fx.sign(), token: 'x' },
      'introspect',
    );
    assert.equal(intro.statusCode, 200, intro.body);
    const refused = await postFrom(fx, '198.51.100.3', tokenForm(await fx.sign()));
    await assertLimited(fx, refused, 30);
    const [row] = await fx.audit();
    assert.deepEqual([row?.clientId, row?.certificateId], [fx.clientId, fx.cred.certificateId]);
    // The other integration is not affected.
    const mine = tokenForm(await fx.sign({ iss: integration.clientId }, {}, other));
    assert.equal((await postFrom(fx, '198.51.100.3', mine)).statusCode, 200);
    // Half a minute later, one more request.
    fx.clock.advance(30_000);
    assert.equal((await postFrom(fx, '198.51.100.4', tokenForm(await fx.sign()))).statusCode, 200);
    await assertLimited(fx, await postFrom(fx, '198.51.100.4', tokenForm(await fx.sign())), 30);
  });

  it('0 turns a limit off', async () => {
    const fx = await tokenFixture(factory.open, {
      rateLimits: { perClientPerMinute: 0, perAddressPerMinute: 0 },
    });
    f = fx;
    for (let i = 0; i < 20; i++) {
      assert.equal((await postFrom(fx, '192.0.2.9', tokenForm(await fx.sign()))).statusCode, 200);
    }
  });
});
