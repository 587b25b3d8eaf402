/**
 * The SDK's DPoP (RFC 9449) against a running certmint: the token client binds its token with a
 * proof (and retries once on use_dpop_nonce), its `fetch` sends `Authorization: DPoP` with a
 * proof and `ath`; certmint's whoami and a resource server guarded by the SDK's verifier and
 * middleware accept it, and refuse every broken variant with a DPoP challenge, word for word.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';
import {
  bearerAuth,
  createTokenClient,
  createTokenVerifier,
  fastifyBearerAuth,
  type TokenClient,
  type TokenVerifier,
  verifiedToken,
} from '../../src/client/index.ts';
import { ath, type DpopKey, dpopKey } from '../support/dpop.ts';
import { freePort } from '../support/net.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const ALGS = 'algs="ES256 ES384 ES512 PS256 PS384 PS512"';

async function listening(opts: { dpopNonce?: boolean; accountId?: string } = {}) {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const f = await tokenFixture(sqliteStores.open, {
    publicUrl,
    startAt: Date.now(),
    dpop: 'required',
    ...opts,
  });
  await f.app.listen({ port, host: '127.0.0.1' });
  return f;
}

const clientFor = (f: Fixture) =>
  createTokenClient({
    tokenUrl: f.tokenUrl,
    clientId: f.clientId,
    certificateId: f.cred.certificateId,
    privateKey: f.cred.privateKeyPem,
    scopes: ['restlets'],
    clock: f.clock,
    dpop: true,
  });

describe('SDK DPoP against certmint', () => {
  let f: Fixture;
  let client: TokenClient;
  before(async () => {
    f = await listening();
    client = clientFor(f);
  });
  after(() => f.close());

  it('gets a DPoP-bound token and calls whoami with a proof', async () => {
    const t = await client.getTokenResponse();
    assert.equal(t.token_type, 'DPoP');
    const cnf = decodeJwt(t.access_token).cnf as { jkt: string };
    assert.match(cnf.jkt, /^[A-Za-z0-9_-]{43}$/);
    const res = await client.fetch(`${f.issuer}/services/rest/whoami`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as { client_id: string }).client_id, f.clientId);
    // A second call: a new proof (new jti), same token.
    assert.equal((await client.fetch(`${f.issuer}/services/rest/whoami`)).status, 200);
  });

  it('retries once on use_dpop_nonce with the server nonce', async () => {
    const n = await listening({ dpopNonce: true, accountId: 'TSTDRV7000003' });
    try {
      const t = await clientFor(n).getTokenResponse();
      assert.equal(t.token_type, 'DPoP');
      const details = (await n.audit()).map((e) => e.detail);
      assert.deepEqual(details.slice(0, 2), [null, 'DpopNonceRequired']);
    } finally {
      await n.close();
    }
  });
});

describe('SDK verifier and middleware with DPoP', () => {
  let f: Fixture;
  let client: TokenClient;
  let verifier: TokenVerifier;
  let api: FastifyInstance;
  let apiUrl = '';
  let token = '';
  let key: DpopKey;
  let boundToOther = '';

  before(async () => {
    f = await listening({ accountId: 'TSTDRV7000004' });
    client = clientFor(f);
    verifier = createTokenVerifier({ issuer: f.issuer, clock: f.clock });
    api = Fastify();
    api.addHook('onRequest', fastifyBearerAuth(verifier));
    api.get('/orders', async (req) => ({ client: verifiedToken(req)?.clientId }));
    api.post('/orders', async (req) => ({ client: verifiedToken(req)?.clientId }));
    apiUrl = `${await api.listen({ port: 0, host: '127.0.0.1' })}/orders`;
    token = (await client.getTokenResponse()).access_token;
    // A token bound to a key this test holds, to make proofs by hand.
    key = await dpopKey('ES256');
    const res = await fetch(f.tokenUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await key.proof('POST', f.tokenUrl, Math.floor(f.clock.now() / 1000)),
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await f.sign(),
      }),
    });
    boundToOther = ((await res.json()) as { access_token: string }).access_token;
    assert.equal(
      (decodeJwt(boundToOther).cnf as { jkt: string }).jkt,
      await calculateJwkThumbprint(key.jwk as JWK, 'sha256'),
    );
  });
  after(async () => {
    await api.close();
    await f.close();
  });

  const nowS = () => Math.floor(f.clock.now() / 1000);
  const call = (authorization: string, dpop?: string, method = 'GET') =>
    fetch(apiUrl, { method, headers: { authorization, ...(dpop && { dpop }) } });
  const proof = (claims: Record<string, unknown> = {}, k = key) =>
    k.proof('GET', apiUrl, nowS(), { ath: ath(boundToOther), ...claims });

  async function challenged(res: Response, error: 'invalid_token' | 'invalid_dpop_proof') {
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error });
    assert.equal(
      res.headers.get('www-authenticate'),
      `DPoP realm="${f.accountId}", error="${error}", ${ALGS}`,
    );
  }

  it("lets the token client's fetch through (GET and POST)", async () => {
    const get = await client.fetch(apiUrl);
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), { client: f.clientId });
    const post = await client.fetch(apiUrl, { method: 'POST' });
    assert.equal(post.status, 200);
    const h = decodeProtectedHeader(token);
    assert.equal(h.typ, 'at+jwt');
  });

  it('accepts a hand-made proof once; a replay is refused', async () => {
    const p = await proof();
    assert.equal((await call(`DPoP ${boundToOther}`, p)).status, 200);
    await challenged(await call(`DPoP ${boundToOther}`, p), 'invalid_dpop_proof');
  });

  it('refuses wrong htu, htm, stale iat, wrong ath, another key, no proof', async () => {
    await challenged(
      await call(`DPoP ${boundToOther}`, await proof({ htu: f.tokenUrl })),
      'invalid_dpop_proof',
    );
    await challenged(
      await call(`DPoP ${boundToOther}`, await proof({ htm: 'POST' })),
      'invalid_dpop_proof',
    );
    await challenged(
      await call(`DPoP ${boundToOther}`, await proof({ iat: nowS() - 61 })),
      'invalid_dpop_proof',
    );
    await challenged(
      await call(`DPoP ${boundToOther}`, await proof({ ath: ath(token) })),
      'invalid_dpop_proof',
    );
    await challenged(
      await call(`DPoP ${boundToOther}`, await proof({}, await dpopKey('ES256'))),
      'invalid_dpop_proof',
    );
    await challenged(await call(`DPoP ${boundToOther}`), 'invalid_dpop_proof');
  });

  it('refuses a bound token as Bearer, and an unknown token with the DPoP scheme', async () => {
    await challenged(await call(`Bearer ${boundToOther}`), 'invalid_token');
    await challenged(await call('DPoP abc.def.ghi', await proof()), 'invalid_token');
  });

  it('the node http middleware checks DPoP too', async () => {
    const server: Server = createServer((req, res) => {
      bearerAuth(verifier)(req, res, () => {
        res.end(JSON.stringify({ client: verifiedToken(req)?.clientId }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      const ok = await fetch(url, {
        headers: {
          authorization: `DPoP ${boundToOther}`,
          dpop: await key.proof('GET', url, nowS(), { ath: ath(boundToOther) }),
        },
      });
      assert.equal(ok.status, 200);
      const bad = await fetch(url, {
        headers: {
          authorization: `DPoP ${boundToOther}`,
          dpop: await key.proof('GET', `${url}/other`, nowS(), { ath: ath(boundToOther) }),
        },
      });
      await challenged(bad, 'invalid_dpop_proof');
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
