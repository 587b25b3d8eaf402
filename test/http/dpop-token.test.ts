/**
 * DPoP (RFC 9449) at the token endpoint: binding, the integration's modes, server nonces, and
 * every refusal with its exact public answer and audit detail. Runs on every store (the proof's
 * jti goes through the durable replay store).
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { type DpopKey, dpopKey, rawProof } from '../support/dpop.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, nowS, tokenFixture } from '../support/token-fixture.ts';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describeEachStore('DPoP at the token endpoint', (factory) => {
  let f: Fixture;
  let key: DpopKey;
  before(async () => {
    f = await tokenFixture(factory.open, { dpop: 'allowed' });
    key = await dpopKey('ES256');
  });
  after(async () => {
    await f.close();
  });

  const setMode = (dpop: 'off' | 'allowed' | 'required') =>
    updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
      dpop,
    });

  /** A token request with the given DPoP header(s) and a fresh assertion unless one is given. */
  async function request(dpop?: string | string[], fx: Fixture = f, assertion?: string) {
    return fx.app.inject({
      method: 'POST',
      url: `/accounts/${fx.accountId}/services/rest/auth/oauth2/v1/token`,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(dpop !== undefined && { dpop }),
      },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: assertion ?? (await fx.sign()),
      }).toString(),
    });
  }

  const proof = (
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    k = key,
  ) => k.proof('POST', f.tokenUrl, nowS(f.clock), claims, header);

  async function refused(
    res: Awaited<ReturnType<typeof request>>,
    detail: string,
    body: Record<string, string> = { error: 'invalid_dpop_proof' },
    fx: Fixture = f,
  ) {
    assert.equal(res.statusCode, 400, res.body);
    assert.deepEqual(res.json(), body);
    assert.equal(res.headers['www-authenticate'], undefined);
    assert.equal(res.headers['cache-control'], 'no-store');
    const [last] = await fx.audit();
    assert.equal(last?.type, 'token');
    assert.equal(last?.result, 'failure');
    assert.equal(last?.detail, detail);
    assert.equal(last?.clientId, fx.clientId);
  }

  it('binds the token to the proof key: token_type DPoP, cnf.jkt, introspection says so', async () => {
    const res = await request(await proof());
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ access_token: string; token_type: string }>();
    assert.equal(body.token_type, 'DPoP');
    const jkt = await calculateJwkThumbprint(key.jwk, 'sha256');
    assert.deepEqual(decodeJwt(body.access_token).cnf, { jkt });
    const [last] = await f.audit();
    assert.equal(last?.result, 'success');

    const intro = await f.post(
      {
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await f.sign({ aud: f.tokenUrl }),
        token: body.access_token,
      },
      'introspect',
    );
    assert.equal(intro.statusCode, 200, intro.body);
    const i = intro.json<{ active: boolean; token_type: string; cnf: unknown }>();
    assert.equal(i.active, true);
    assert.equal(i.token_type, 'DPoP');
    assert.deepEqual(i.cnf, { jkt });
  });

  it('allowed without a proof: a Bearer token without cnf', async () => {
    const res = await request();
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json<{ access_token: string; token_type: string }>();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(decodeJwt(body.access_token).cnf, undefined);
  });

  it('off: any DPoP header is ignored and a Bearer token issued', async () => {
    await setMode('off');
    try {
      for (const h of ['not a proof', await proof()]) {
        const res = await request(h);
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json<{ token_type: string }>().token_type, 'Bearer');
      }
    } finally {
      await setMode('allowed');
    }
  });

  it('required without a proof → 400 invalid_dpop_proof, DpopProofMissing', async () => {
    await setMode('required');
    try {
      await refused(await request(), 'DpopProofMissing', {
        error: 'invalid_dpop_proof',
        error_description: 'this client must send a DPoP proof (RFC 9449)',
      });
      const ok = await request(await proof());
      assert.equal(ok.json<{ token_type: string }>().token_type, 'DPoP');
    } finally {
      await setMode('allowed');
    }
  });

  it('malformed proofs → DpopProofMalformed', async () => {
    const now = nowS(f.clock);
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const cases: (string | string[])[] = [
      'not-a-jwt',
      await proof({}, { typ: 'JWT' }),
      await proof({}, { jwk: { ...key.jwk, d: 'AAAA' } }),
      await proof({}, { jwk: undefined }),
      await proof({ jti: undefined }),
      await proof({ iat: 'now' }),
      rawProof(
        'ES256',
        ecKey,
        { crit: ['x'], x: 1 },
        { jti: 'c', htm: 'POST', htu: f.tokenUrl, iat: now },
      ),
      // RFC 9449 §4.3 step 1: exactly one DPoP header.
      [await key.proof('POST', f.tokenUrl, now), await key.proof('POST', f.tokenUrl, now)],
    ];
    for (const c of cases) await refused(await request(c), 'DpopProofMalformed');
  });

  it('an algorithm outside the registry, or not fitting the key → DpopUnsupportedAlgo', async () => {
    const rs = await dpopKey('RS256');
    await refused(await request(await proof({}, {}, rs)), 'DpopUnsupportedAlgo');
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey;
    const claims = { jti: 'small', htm: 'POST', htu: f.tokenUrl, iat: nowS(f.clock) };
    await refused(await request(rawProof('PS256', small, {}, claims)), 'DpopUnsupportedAlgo');
    const p384 = await dpopKey('ES384');
    await refused(
      await request(await proof({}, { alg: 'ES256', jwk: p384.jwk })),
      'DpopUnsupportedAlgo',
    );
  });

  it('a PS256 proof with a 2048-bit RSA key is accepted', async () => {
    const ps = await dpopKey('PS256', { modulusLength: 2048 });
    const res = await request(await proof({}, {}, ps));
    assert.equal(res.json<{ token_type: string }>().token_type, 'DPoP');
  });

  it("a signature by another key than the header's jwk → DpopSignatureValidation", async () => {
    const other = await dpopKey('ES256');
    await refused(await request(await proof({}, { jwk: other.jwk })), 'DpopSignatureValidation');
  });

  it('htm other than POST → DpopWrongMethod', async () => {
    await refused(await request(await proof({ htm: 'GET' })), 'DpopWrongMethod');
  });

  it('htu of another URL → DpopWrongUrl; query and fragment are ignored (§4.3)', async () => {
    await refused(
      await request(await proof({ htu: `${f.issuer}/services/rest/auth/oauth2/v1/introspect` })),
      'DpopWrongUrl',
    );
    await refused(await request(await proof({ htu: 'not a url' })), 'DpopWrongUrl');
    const res = await request(await proof({ htu: `${f.tokenUrl}?a=1#frag` }));
    assert.equal(res.statusCode, 200, res.body);
    const upper = f.tokenUrl.replace('http://certmint.test', 'HTTP://CERTMINT.TEST:80');
    assert.equal((await request(await proof({ htu: upper }))).statusCode, 200);
  });

  it('iat more than 60 s old or 5 s ahead → DpopProofStale', async () => {
    const now = nowS(f.clock);
    await refused(await request(await proof({ iat: now - 61 })), 'DpopProofStale');
    await refused(await request(await proof({ iat: now + 6 })), 'DpopProofStale');
    assert.equal((await request(await proof({ iat: now - 60 }))).statusCode, 200);
    assert.equal((await request(await proof({ iat: now + 5 }))).statusCode, 200);
  });

  it('the same proof twice (new assertion) → DpopProofReplayed', async () => {
    const p = await proof();
    assert.equal((await request(p)).statusCode, 200);
    await refused(await request(p), 'DpopProofReplayed');
  });

  it('a DPoP-bound token waits for one commit: both claims, the success record riding on them', async () => {
    const ledger = f.store.ledger;
    const commit = ledger.commit;
    const batches: Array<{ claims: number; riding: number; events: number }> = [];
    ledger.commit = (claims, events) => {
      batches.push({
        claims: claims.length,
        riding: claims.filter((c) => c.onWin !== undefined).length,
        events: events.length,
      });
      return commit.call(ledger, claims, events);
    };
    try {
      assert.equal((await request(await proof())).statusCode, 200);
    } finally {
      ledger.commit = commit;
    }
    assert.deepEqual(batches, [{ claims: 2, riding: 1, events: 0 }]);
    const [last] = await f.audit();
    assert.equal(last?.result, 'success');
  });

  it('a replayed proof or assertion stores no success record, only the refusal', async () => {
    const successes = async () => (await f.audit()).filter((e) => e.result === 'success').length;
    const p = await proof();
    assert.equal((await request(p)).statusCode, 200);
    const before = await successes();
    await refused(await request(p), 'DpopProofReplayed');
    const jwt = await f.sign();
    assert.equal((await request(await proof(), f, jwt)).statusCode, 200);
    const replayed = await request(await proof(), f, jwt);
    assert.equal(replayed.statusCode, 401, replayed.body);
    assert.deepEqual(replayed.json(), { error: 'invalid_client' });
    const [last] = await f.audit();
    assert.equal(last?.detail, 'AssertionReplayed');
    assert.equal(await successes(), before + 1);
  });

  it('advertises the registry algorithms in dpop_signing_alg_values_supported', async () => {
    const res = await f.app.inject(
      `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
    );
    assert.deepEqual(
      res.json<{ dpop_signing_alg_values_supported: string[] }>().dpop_signing_alg_values_supported,
      ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512'],
    );
  });

  describe('with server nonces (--dpop-nonce)', () => {
    let n: Fixture;
    before(async () => {
      n = await tokenFixture(factory.open, {
        dpop: 'required',
        dpopNonce: true,
        accountId: 'TSTDRV7000002',
      });
    });
    after(async () => {
      await n.close();
    });
    const nonceProof = (nonce?: string) =>
      key.proof('POST', n.tokenUrl, nowS(n.clock), nonce === undefined ? {} : { nonce });

    it('answers use_dpop_nonce with a DPoP-Nonce, then accepts a proof with it until it expires', async () => {
      const first = await request(await nonceProof(), n);
      await refused(
        first,
        'DpopNonceRequired',
        {
          error: 'use_dpop_nonce',
          error_description: 'Authorization server requires nonce in DPoP proof',
        },
        n,
      );
      const nonce = first.headers['dpop-nonce'];
      assert.equal(typeof nonce, 'string');
      assert.match(String(nonce), /^[\x21\x23-\x5b\x5d-\x7e]+$/, 'NQCHAR only (RFC 9449 §8.1)');
      const ok = await request(await nonceProof(String(nonce)), n);
      assert.equal(ok.statusCode, 200, ok.body);
      assert.equal(ok.json<{ token_type: string }>().token_type, 'DPoP');

      await refused(
        await request(await nonceProof('v1.forged.nonce.x'), n),
        'DpopNonceRequired',
        {
          error: 'use_dpop_nonce',
          error_description: 'Authorization server requires nonce in DPoP proof',
        },
        n,
      );
      n.clock.advance(5 * 60_000);
      const stale = await request(await nonceProof(String(nonce)), n);
      await refused(
        stale,
        'DpopNonceRequired',
        {
          error: 'use_dpop_nonce',
          error_description: 'Authorization server requires nonce in DPoP proof',
        },
        n,
      );
      assert.notEqual(stale.headers['dpop-nonce'], nonce);
    });
  });
});
