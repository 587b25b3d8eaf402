/**
 * The access-token signer writes every token through two scratch buffers shared by all signers
 * (crypto/access-token.ts): each token must still be exactly its own header, payload and
 * signature, whatever was signed before it, and a token too large for the buffers must come out
 * the same way by the slow path.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  type AccessTokenClaims,
  AccessTokenSigner,
  verifyAccessToken,
} from '../../src/crypto/access-token.ts';

const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

const claims = (over: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
  iss: 'http://127.0.0.1:8080/accounts/A1',
  sub: '3;7',
  aud: ['app;A1', 'client-1'],
  client_id: 'client-1',
  scope: ['restlets'],
  jti: '0b8e0d7c-1111-2222-3333-444455556666',
  iat: 1_700_000_000,
  exp: 1_700_003_600,
  cid: 'cert-1',
  ...over,
});

function decodeParts(token: string): { header: unknown; payload: unknown } {
  const [h, p] = token.split('.') as [string, string];
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')),
  };
}

describe('access token signer', () => {
  const long = keyPair();
  const short = keyPair();
  const longKid = `k-${'x'.repeat(60)}`;
  const signers = [
    { signer: new AccessTokenSigner(longKid, long.privateKey), pub: long.publicKey },
    { signer: new AccessTokenSigner('k1', short.privateKey), pub: short.publicKey },
  ];
  const keyFor =
    (kid: string, pub: KeyObject) =>
    (k: string): KeyObject | undefined =>
      k === kid ? pub : undefined;

  it('signs tokens that verify, each with its own header, also after a longer one', () => {
    const order = [0, 1, 1, 0, 1];
    order.forEach((i, n) => {
      const { signer, pub } = signers[i] ?? assert.fail();
      const c = claims({ jti: `jti-${n}`, sub: n % 2 ? '3;7' : `3;${'9'.repeat(12)}` });
      const token = signer.sign(c);
      const decoded = verifyAccessToken(token, keyFor(signer.kid, pub));
      assert.ok(decoded, `token ${n} verifies`);
      assert.deepEqual(decoded.claims, c);
      assert.deepEqual(decodeParts(token).header, { alg: 'ES256', typ: 'at+jwt', kid: signer.kid });
    });
  });

  it('keeps non-ASCII claims as UTF-8', () => {
    const { signer, pub } = signers[1] ?? assert.fail();
    const c = claims({ iss: 'http://例え.test/accounts/A1', cid: 'é✓𝄞' });
    const decoded = verifyAccessToken(signer.sign(c), keyFor(signer.kid, pub));
    assert.deepEqual(decoded?.claims, c);
  });

  it('signs a payload larger than the scratch buffers by the slow path, the same way', () => {
    const { signer, pub } = signers[0] ?? assert.fail();
    for (const size of [8180, 8192, 9000, 20_000]) {
      const c = claims({ cid: 'c'.repeat(size) });
      const token = signer.sign(c);
      // Beyond verifyAccessToken's length bound: the parts and the signature checked directly.
      assert.deepEqual(decodeParts(token).payload, c, `payload of ${size}`);
      const [h, p, s] = token.split('.') as [string, string, string];
      assert.ok(
        verify(
          'sha256',
          Buffer.from(`${h}.${p}`),
          { key: pub, dsaEncoding: 'ieee-p1363' },
          Buffer.from(s, 'base64url'),
        ),
        `signature of ${size}`,
      );
    }
    // And the next small token is whole again.
    const c = claims({ jti: 'after-the-large-one' });
    assert.deepEqual(verifyAccessToken(signer.sign(c), keyFor(signer.kid, pub))?.claims, c);
  });
});
