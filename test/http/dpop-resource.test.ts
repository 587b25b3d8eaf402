/**
 * DPoP on a protected resource (whoami), RFC 9449 §7.1: a bound token works only as
 * `Authorization: DPoP` with a proof of its key for that request; every refusal is a 401 with
 * a `DPoP` challenge, checked here word for word. Runs on every store (proof jti replay).
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import { ath, type DpopKey, dpopKey } from '../support/dpop.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, nowS, PUBLIC_URL, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ALGS = 'algs="ES256 ES384 ES512 PS256 PS384 PS512"';

describeEachStore('DPoP at a protected resource', (factory) => {
  let f: Fixture;
  let key: DpopKey;
  let bound: string;
  let bearer: string;
  let whoamiUrl: string;
  const path = () => `/accounts/${f.accountId}/services/rest/whoami`;

  async function token(dpop?: string): Promise<string> {
    const res = await f.app.inject({
      method: 'POST',
      url: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(dpop && { dpop }) },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await f.sign(),
      }).toString(),
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json<{ access_token: string }>().access_token;
  }

  before(async () => {
    f = await tokenFixture(factory.open, { dpop: 'allowed' });
    key = await dpopKey('ES256');
    whoamiUrl = `${PUBLIC_URL}${path()}`;
    bound = await token(await key.proof('POST', f.tokenUrl, nowS(f.clock)));
    bearer = await token();
  });
  after(async () => {
    await f.close();
  });

  const call = (authorization: string, dpop?: string, method: 'GET' | 'POST' = 'GET') =>
    f.app.inject({ method, url: path(), headers: { authorization, ...(dpop && { dpop }) } });

  const proof = (claims: Record<string, unknown> = {}, k: DpopKey = key, t = bound) =>
    k.proof('GET', whoamiUrl, nowS(f.clock), { ath: ath(t), ...claims });

  function challenged(
    res: Awaited<ReturnType<typeof call>>,
    error: 'invalid_token' | 'invalid_dpop_proof',
    description?: string,
  ) {
    assert.equal(res.statusCode, 401, res.body);
    assert.deepEqual(
      res.json(),
      description === undefined ? { error } : { error, error_description: description },
    );
    assert.equal(
      res.headers['www-authenticate'],
      `DPoP realm="${f.accountId}", error="${error}", ${ALGS}`,
    );
  }

  it('answers a bound token with a good proof', async () => {
    const res = await call(`DPoP ${bound}`, await proof());
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json<{ client_id: string }>().client_id, f.clientId);
  });

  it('refuses the same proof twice (replay)', async () => {
    const p = await proof();
    assert.equal((await call(`DPoP ${bound}`, p)).statusCode, 200);
    challenged(await call(`DPoP ${bound}`, p), 'invalid_dpop_proof');
  });

  it('refuses a bound token sent as Bearer', async () => {
    challenged(
      await call(`Bearer ${bound}`),
      'invalid_token',
      'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof',
    );
  });

  it('refuses the DPoP scheme without a proof, and an unbound or unknown token', async () => {
    challenged(await call(`DPoP ${bound}`), 'invalid_dpop_proof');
    challenged(
      await call(`DPoP ${bearer}`, await proof({}, key, bearer)),
      'invalid_token',
      'this access token is not DPoP-bound: send it as Authorization: Bearer',
    );
    challenged(await call('DPoP abc.def.ghi', await proof()), 'invalid_token');
  });

  it('refuses a wrong htu, a wrong htm, a stale iat', async () => {
    challenged(await call(`DPoP ${bound}`, await proof({ htu: f.tokenUrl })), 'invalid_dpop_proof');
    challenged(await call(`DPoP ${bound}`, await proof({ htm: 'POST' })), 'invalid_dpop_proof');
    challenged(
      await call(`DPoP ${bound}`, await proof({ iat: nowS(f.clock) - 61 })),
      'invalid_dpop_proof',
    );
  });

  it('refuses a wrong or missing ath, and a proof by another key than cnf.jkt', async () => {
    challenged(
      await call(`DPoP ${bound}`, await proof({ ath: ath(bearer) })),
      'invalid_dpop_proof',
    );
    challenged(await call(`DPoP ${bound}`, await proof({ ath: undefined })), 'invalid_dpop_proof');
    const other = await dpopKey('ES256');
    challenged(await call(`DPoP ${bound}`, await proof({}, other)), 'invalid_dpop_proof');
  });

  it('a bound token lacking a scope: 403 insufficient_scope with a DPoP challenge', async () => {
    const rotation = `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/clients/${f.clientId}/certificates`;
    const res = await f.app.inject({
      method: 'GET',
      url: rotation,
      headers: {
        authorization: `DPoP ${bound}`,
        dpop: await key.proof('GET', `${PUBLIC_URL}${rotation}`, nowS(f.clock), {
          ath: ath(bound),
        }),
      },
    });
    assert.equal(res.statusCode, 403, res.body);
    assert.deepEqual(res.json(), {
      error: 'insufficient_scope',
      error_description: 'this resource needs an access token with the rest_webservices scope',
    });
    assert.equal(
      res.headers['www-authenticate'],
      `DPoP realm="${f.accountId}", error="insufficient_scope", ${ALGS}`,
    );
  });

  it('still answers unbound Bearer tokens as before', async () => {
    const res = await call(`Bearer ${bearer}`);
    assert.equal(res.statusCode, 200, res.body);
  });
});
