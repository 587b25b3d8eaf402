/**
 * The token endpoint's refusals of bad assertions: for each, the exact public answer (status,
 * body, WWW-Authenticate) and the audit detail code. Runs on every store.
 */
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, importPKCS8, SignJWT } from 'jose';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, nowS, tokenFixture } from '../support/token-fixture.ts';

const b64 = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describeEachStore('token endpoint', (factory) => {
  describe('refuses bad assertions', () => {
    let f: Fixture;
    before(async () => {
      f = await tokenFixture(factory.open);
    });
    after(async () => {
      await f.close();
    });

    /** Asserts the uniform pre-signature answer and the newest audit record's detail. */
    async function refused(
      res: Awaited<ReturnType<Fixture['token']>>,
      detail: string,
      expect: { status?: number; error?: string; description?: string } = {},
    ) {
      const status = expect.status ?? 401;
      const error = expect.error ?? 'invalid_client';
      assert.equal(res.statusCode, status, res.body);
      assert.deepEqual(
        res.json(),
        expect.description ? { error, error_description: expect.description } : { error },
      );
      if (status === 401)
        assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
      else assert.equal(res.headers['www-authenticate'], undefined);
      assert.equal(res.headers['cache-control'], 'no-store');
      const [last] = await f.audit();
      assert.equal(last?.type, 'token');
      assert.equal(last?.result, 'failure');
      assert.equal(last?.detail, detail);
    }

    it('issues a token for a good assertion (baseline)', async () => {
      const res = await f.token(await f.sign());
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(res.headers['cache-control'], 'no-store');
      const [last] = await f.audit();
      assert.equal(last?.result, 'success');
      assert.equal(last?.detail, null);
      assert.equal(last?.clientId, f.clientId);
      assert.equal(last?.certificateId, f.cred.certificateId);
      assert.equal(last?.entityId, f.entityId);
      assert.equal(last?.roleId, f.roleId);
    });

    it('alg none → UnsupportedAlgo', async () => {
      const now = nowS(f.clock);
      const jwt = `${b64({ alg: 'none', kid: f.cred.certificateId })}.${b64({ iss: f.clientId, aud: f.tokenUrl, iat: now, exp: now + 60 })}.`;
      // An unsecured JWS (empty signature, RFC 7515 §A.5) is refused for its algorithm.
      await refused(await f.token(jwt), 'UnsupportedAlgo');
      const jwt2 = `${b64({ alg: 'none', kid: f.cred.certificateId })}.${b64({ iss: f.clientId, aud: f.tokenUrl, iat: now, exp: now + 60 })}.AAAA`;
      await refused(await f.token(jwt2), 'UnsupportedAlgo');
    });

    it('HS256 keyed with the certificate → UnsupportedAlgo', async () => {
      const now = nowS(f.clock);
      const h = b64({ alg: 'HS256', typ: 'JWT', kid: f.cred.certificateId });
      const p = b64({
        iss: f.clientId,
        aud: f.tokenUrl,
        iat: now,
        exp: now + 60,
        scope: 'restlets',
      });
      const sig = createHmac('sha256', f.cred.certificatePem)
        .update(`${h}.${p}`)
        .digest('base64url');
      await refused(await f.token(`${h}.${p}.${sig}`), 'UnsupportedAlgo');
    });

    it('RS256 with a mapped RSA key → UnsupportedAlgo', async () => {
      const rsa = await f.newCredential('PS256');
      const key = await importPKCS8(rsa.privateKeyPem, 'RS256');
      const now = nowS(f.clock);
      const jwt = await new SignJWT({
        iss: f.clientId,
        aud: f.tokenUrl,
        iat: now,
        exp: now + 60,
        scope: 'restlets',
      })
        .setProtectedHeader({ alg: 'RS256', kid: rsa.certificateId })
        .sign(key);
      await refused(await f.token(jwt), 'UnsupportedAlgo');
    });

    it('ES256 signature on a P-384 certificate → UnsupportedAlgo', async () => {
      const p384 = await f.newCredential('ES384');
      const jwt = await f.sign({}, { alg: 'ES256' }, { ...p384, alg: 'ES256' }).catch(() => null);
      // jose refuses to make that token itself: build it with node's ECDSA over SHA-256.
      const { sign } = await import('node:crypto');
      const now = nowS(f.clock);
      const h = b64({ alg: 'ES256', typ: 'JWT', kid: p384.certificateId });
      const p = b64({
        iss: f.clientId,
        aud: f.tokenUrl,
        iat: now,
        exp: now + 60,
        scope: 'restlets',
        jti: 'p384',
      });
      const s = sign('sha256', Buffer.from(`${h}.${p}`), {
        key: p384.privateKeyPem,
        dsaEncoding: 'ieee-p1363',
      });
      assert.equal(jwt, null);
      await refused(await f.token(`${h}.${p}.${s.toString('base64url')}`), 'UnsupportedAlgo');
    });

    it('missing kid → MissingKeyId', async () => {
      await refused(await f.token(await f.sign({}, { kid: undefined })), 'MissingKeyId');
    });

    it('unknown kid → MissingKey', async () => {
      await refused(await f.token(await f.sign({}, { kid: 'x'.repeat(43) })), 'MissingKey');
    });

    it("another account's kid → MissingKey", async () => {
      const other = await tokenFixture(factory.open, { accountId: 'TSTDRV7000002' });
      try {
        // The other account's certificate presented at this account's endpoint.
        const jwt = await f.sign({}, {}, other.cred);
        await refused(await f.token(jwt), 'MissingKey');
      } finally {
        await other.close();
      }
    });

    it('signature by another key → SignatureValidation', async () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      await refused(
        await f.token(await f.sign({}, {}, { ...f.cred, privateKeyPem: pem })),
        'SignatureValidation',
      );
    });

    it('jwk / x5c header naming an attacker key is ignored → SignatureValidation', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const jwk = await exportJWK(publicKey);
      const attacker = { ...f.cred, privateKeyPem: pem };
      await refused(await f.token(await f.sign({}, { jwk }, attacker)), 'SignatureValidation');
      await refused(
        await f.token(await f.sign({}, { x5c: ['MIIB'] }, attacker)),
        'SignatureValidation',
      );
      await refused(
        await f.token(await f.sign({}, { jku: 'https://attacker.example/jwks' }, attacker)),
        'SignatureValidation',
      );
    });

    it('wrong iss → InvalidIssuer, recording the iss that was sent (bounded)', async () => {
      await refused(await f.token(await f.sign({ iss: 'a'.repeat(64) })), 'InvalidIssuer');
      assert.equal((await f.audit())[0]?.clientId, 'a'.repeat(64));
      await refused(
        await f.token(await f.sign({ iss: `evil-${'b'.repeat(300)}` })),
        'InvalidIssuer',
      );
      assert.equal((await f.audit())[0]?.clientId, `evil-${'b'.repeat(123)}`);
      await refused(await f.token(await f.sign({ iss: 42 })), 'InvalidIssuer');
      assert.equal((await f.audit())[0]?.clientId, null);
    });

    it('wrong aud → InvalidAudience', async () => {
      await refused(
        await f.token(await f.sign({ aud: 'https://other.example/token' })),
        'InvalidAudience',
      );
      await refused(await f.token(await f.sign({ aud: undefined })), 'InvalidAudience');
    });

    it('aud may be the token URL or the issuer, as a string or a one-element array', async () => {
      for (const aud of [f.tokenUrl, f.issuer, [f.tokenUrl], [f.issuer]]) {
        const res = await f.token(await f.sign({ aud }));
        assert.equal(res.statusCode, 200, `${JSON.stringify(aud)}: ${res.body}`);
      }
    });

    it('aud naming another party too (audience injection) → InvalidAudience', async () => {
      for (const aud of [
        [f.tokenUrl, 'https://attacker.invalid'],
        ['https://attacker.invalid', f.tokenUrl],
        [f.tokenUrl, f.issuer],
        [f.tokenUrl, f.tokenUrl],
        [],
        [[f.tokenUrl]],
        { aud: f.tokenUrl },
        `${f.tokenUrl}/`,
        f.tokenUrl.toUpperCase(),
      ]) {
        await refused(await f.token(await f.sign({ aud })), 'InvalidAudience');
      }
    });

    it('exp in the past → TokenExpired', async () => {
      const now = nowS(f.clock);
      await refused(
        await f.token(await f.sign({ iat: now - 400, exp: now - 100 })),
        'TokenExpired',
      );
    });

    it('exp − iat = 3601 → TokenValidityTooBroad; 3600 is accepted', async () => {
      const now = nowS(f.clock);
      await refused(
        await f.token(await f.sign({ iat: now, exp: now + 3601 })),
        'TokenValidityTooBroad',
      );
      assert.equal((await f.token(await f.sign({ iat: now, exp: now + 3600 }))).statusCode, 200);
    });

    it('iat 61 s ahead → TokenNotAcceptable; 9 s ahead is accepted', async () => {
      const now = nowS(f.clock);
      await refused(
        await f.token(await f.sign({ iat: now + 61, exp: now + 300 })),
        'TokenNotAcceptable',
      );
      assert.equal((await f.token(await f.sign({ iat: now + 9, exp: now + 300 }))).statusCode, 200);
    });

    it('nbf 61 s ahead → TokenNotAcceptable', async () => {
      const now = nowS(f.clock);
      await refused(await f.token(await f.sign({ nbf: now + 61 })), 'TokenNotAcceptable');
    });

    it('missing exp or iat → MalformedAssertion', async () => {
      await refused(await f.token(await f.sign({ exp: undefined })), 'MalformedAssertion');
      await refused(await f.token(await f.sign({ iat: undefined })), 'MalformedAssertion');
    });

    it('malformed JWTs → MalformedAssertion', async () => {
      const good = await f.sign();
      const [h, p, s] = good.split('.') as [string, string, string];
      await refused(await f.token(`${h}.${p}`), 'MalformedAssertion');
      await refused(await f.token(`${h}.${p}!.${s}`), 'MalformedAssertion');
      await refused(await f.token(`${h}.${b64([1, 2, 3])}.${s}`), 'MalformedAssertion');
      await refused(await f.token(`${h}.${b64('not json')}.${s}`), 'MalformedAssertion');
      await refused(await f.token(`${h}.${'A'.repeat(100_000)}.${s}`), 'MalformedAssertion');
      await refused(
        await f.token(`${b64({ alg: 'ES256', kid: f.cred.certificateId, crit: ['x'] })}.${p}.${s}`),
        'MalformedAssertion',
      );
    });

    it('wrong client_assertion_type or missing assertion → MalformedAssertion', async () => {
      const jwt = await f.sign();
      await refused(
        await f.post({
          grant_type: 'client_credentials',
          client_assertion_type: 'urn:x',
          client_assertion: jwt,
        }),
        'MalformedAssertion',
      );
      await refused(
        await f.post({ grant_type: 'client_credentials', client_assertion_type: ASSERTION_TYPE }),
        'MalformedAssertion',
      );
    });

    it('unsupported grant_type → 400 unsupported_grant_type', async () => {
      const jwt = await f.sign();
      await refused(
        await f.post({
          grant_type: 'password',
          client_assertion_type: ASSERTION_TYPE,
          client_assertion: jwt,
        }),
        'UnsupportedGrantType',
        { status: 400, error: 'unsupported_grant_type' },
      );
      await refused(
        await f.post({ client_assertion_type: ASSERTION_TYPE, client_assertion: jwt }),
        'InvalidRequest',
        {
          status: 400,
          error: 'invalid_request',
        },
      );
    });

    it('duplicate parameters and too many parameters → 400 invalid_request', async () => {
      const jwt = await f.sign();
      const dup = `grant_type=client_credentials&grant_type=client_credentials&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${jwt}`;
      await refused(await f.post(dup), 'InvalidRequest', {
        status: 400,
        error: 'invalid_request',
        description: 'parameter "grant_type" is repeated',
      });
      const many = `${dup.replace('grant_type=client_credentials&', '')}${'&x=1'.repeat(0)}${Array.from({ length: 20 }, (_, i) => `&p${i}=1`).join('')}`;
      await refused(await f.post(many), 'InvalidRequest', {
        status: 400,
        error: 'invalid_request',
      });
    });

    it('scope not on the integration → 400 invalid_scope, ScopeMismatched; unknown or empty → InvalidScope', async () => {
      await refused(
        await f.token(await f.sign({ scope: ['suite_analytics'] })),
        'ScopeMismatched',
        {
          status: 400,
          error: 'invalid_scope',
        },
      );
      await refused(await f.token(await f.sign({ scope: 'restlets,bogus' })), 'InvalidScope', {
        status: 400,
        error: 'invalid_scope',
      });
      await refused(await f.token(await f.sign({ scope: undefined })), 'InvalidScope', {
        status: 400,
        error: 'invalid_scope',
      });
    });

    it('accepts every scope form NetSuite clients send', async () => {
      for (const scope of [
        ['restlets', 'rest_webservices'],
        'restlets,rest_webservices',
        'restlets, rest_webservices',
        'restlets rest_webservices',
        'rest_webservices',
      ]) {
        const res = await f.token(await f.sign({ scope }));
        assert.equal(res.statusCode, 200, `${JSON.stringify(scope)}: ${res.body}`);
      }
      // The scope form parameter when the assertion has none (RFC 6749 §3.3).
      const res = await f.post({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await f.sign({ scope: undefined }),
        scope: 'restlets rest_webservices',
      });
      assert.equal(res.statusCode, 200, res.body);
    });

    it('explains nothing on the wire: the same body for unknown kid and bad signature', async () => {
      const a = await f.token(await f.sign({}, { kid: 'nope' }));
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const b = await f.token(await f.sign({}, {}, { ...f.cred, privateKeyPem: pem }));
      assert.equal(a.body, b.body);
      assert.equal(a.headers['www-authenticate'], b.headers['www-authenticate']);
    });
  });
});
