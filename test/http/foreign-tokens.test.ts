/**
 * Introspection and revocation speak only about the caller's own tokens: one integration's
 * assertion learns nothing about (and cannot revoke) another integration's token of the same
 * account. Runs on every store.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { createIntegration, SYSTEM } from '../../src/service/index.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Credential, type Fixture, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describeEachStore('introspection and revocation of foreign tokens', (factory) => {
  let f: Fixture;
  /** A second integration of the same account, with its own mapped certificate. */
  let other: { clientId: string; cred: Credential };
  before(async () => {
    f = await tokenFixture(factory.open);
    const { integration } = await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.accountId,
      name: 'Other app',
      m2mGrant: true,
      scopes: ['restlets'],
    });
    const cred = await f.newCredential('ES256', { clientId: integration.clientId });
    other = { clientId: integration.clientId, cred };
  });
  after(async () => {
    await f.close();
  });

  /** A token issued to the fixture's integration, or to the other one. */
  async function tokenOf(who: 'fixture' | 'other'): Promise<string> {
    const res =
      who === 'fixture'
        ? await f.token(await f.sign())
        : await f.token(await f.sign({ iss: other.clientId }, {}, other.cred));
    assert.equal(res.statusCode, 200, res.body);
    return (res.json() as { access_token: string }).access_token;
  }

  /** Calls introspect or revoke authenticated as `who`. */
  async function call(endpoint: 'introspect' | 'revoke', who: 'fixture' | 'other', token: string) {
    const assertion =
      who === 'fixture' ? await f.sign() : await f.sign({ iss: other.clientId }, {}, other.cred);
    return f.post(
      { client_assertion_type: ASSERTION_TYPE, client_assertion: assertion, token },
      endpoint,
    );
  }

  it("another integration's valid token introspects as inactive; the owner sees it active", async () => {
    const token = await tokenOf('fixture');
    const foreign = await call('introspect', 'other', token);
    assert.equal(foreign.statusCode, 200, foreign.body);
    assert.deepEqual(foreign.json(), { active: false });
    // The request itself succeeded (the caller authenticated): audited as a success.
    const [last] = await f.audit();
    assert.deepEqual(
      [last?.type, last?.result, last?.clientId],
      ['introspect', 'success', other.clientId],
    );

    const own = await call('introspect', 'fixture', token);
    assert.equal(own.json().active, true);
    assert.equal(own.json().client_id, f.clientId);
    // And the other way round.
    const otherToken = await tokenOf('other');
    assert.deepEqual((await call('introspect', 'fixture', otherToken)).json(), { active: false });
    assert.equal((await call('introspect', 'other', otherToken)).json().active, true);
  });

  it("revoking another integration's token answers 200 and leaves it active", async () => {
    const token = await tokenOf('fixture');
    const res = await call('revoke', 'other', token);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await call('introspect', 'fixture', token)).json().active, true);
    // Its owner can revoke it.
    assert.equal((await call('revoke', 'fixture', token)).statusCode, 200);
    assert.deepEqual((await call('introspect', 'fixture', token)).json(), { active: false });
  });
});
