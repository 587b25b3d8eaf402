/**
 * Interop: the independent `openid-client` (v6, its own DPoP implementation) discovers certmint,
 * gets a DPoP-bound token with private_key_jwt, and calls whoami with `fetchProtectedResource`;
 * also with server nonces on, which it must pick up from `use_dpop_nonce` by itself.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oidc from 'openid-client';
import { freePort } from '../support/net.ts';
import { sqliteStores } from '../support/stores.ts';
import { tokenFixture } from '../support/token-fixture.ts';

function pkcs8Der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('interop: openid-client DPoP', () => {
  for (const nonce of [false, true]) {
    it(`gets a DPoP-bound token and calls whoami${nonce ? ' (server nonces)' : ''}`, async () => {
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const f = await tokenFixture(sqliteStores.open, {
        publicUrl,
        startAt: Date.now(),
        dpop: 'required',
        dpopNonce: nonce,
      });
      try {
        await f.app.listen({ port, host: '127.0.0.1' });
        const key = await webcrypto.subtle.importKey(
          'pkcs8',
          pkcs8Der(f.cred.privateKeyPem),
          { name: 'ECDSA', namedCurve: 'P-256' },
          false,
          ['sign'],
        );
        const config = await oidc.discovery(
          new URL(f.issuer),
          f.clientId,
          { token_endpoint_auth_method: 'private_key_jwt' },
          oidc.PrivateKeyJwt({ key, kid: f.cred.certificateId }),
          { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] },
        );
        assert.deepEqual(config.serverMetadata().dpop_signing_alg_values_supported, [
          'ES256',
          'ES384',
          'ES512',
          'PS256',
          'PS384',
          'PS512',
        ]);
        const pair = await oidc.randomDPoPKeyPair('ES256');
        const DPoP = oidc.getDPoPHandle(config, pair);
        const tokens = await oidc.clientCredentialsGrant(config, { scope: 'restlets' }, { DPoP });
        assert.equal(tokens.token_type.toLowerCase(), 'dpop');
        const jkt = await calculateJwkThumbprint(await exportJWK(pair.publicKey), 'sha256');
        assert.deepEqual(decodeJwt(tokens.access_token).cnf, { jkt });

        const whoami = new URL(`${f.issuer}/services/rest/whoami`);
        const res = await oidc.fetchProtectedResource(
          config,
          tokens.access_token,
          whoami,
          'GET',
          undefined,
          undefined,
          { DPoP },
        );
        assert.equal(res.status, 200);
        assert.equal(((await res.json()) as { client_id: string }).client_id, f.clientId);

        // Without its proof the same token is refused, whatever the scheme.
        const bare = await fetch(whoami, {
          headers: { authorization: `Bearer ${tokens.access_token}` },
        });
        assert.equal(bare.status, 401);
        assert.match(
          bare.headers.get('www-authenticate') ?? '',
          /^DPoP realm=.*error="invalid_token"/,
        );

        const details = (await f.audit()).filter((e) => e.type === 'token').map((e) => e.detail);
        assert.deepEqual(details, nonce ? [null, 'DpopNonceRequired'] : [null]);
      } finally {
        await f.close();
      }
    });
  }
});
