/**
 * Interop: the independent `openid-client` library gets a token with private_key_jwt after
 * discovering the server through RFC 8414 metadata, for ES256 and PS256.
 */
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { describe, it } from 'node:test';
import * as oidc from 'openid-client';
import { freePort } from '../support/net.ts';
import { sqliteStores } from '../support/stores.ts';
import { tokenFixture } from '../support/token-fixture.ts';

function pkcs8Der(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

describe('interop: openid-client (private_key_jwt, RFC 8414 discovery)', () => {
  for (const alg of ['ES256', 'PS256'] as const) {
    it(`gets a token with ${alg}`, async () => {
      const port = await freePort();
      const publicUrl = `http://127.0.0.1:${port}`;
      const f = await tokenFixture(sqliteStores.open, { alg, publicUrl, startAt: Date.now() });
      try {
        await f.app.listen({ port, host: '127.0.0.1' });
        const key = await webcrypto.subtle.importKey(
          'pkcs8',
          pkcs8Der(f.cred.privateKeyPem),
          alg === 'ES256'
            ? { name: 'ECDSA', namedCurve: 'P-256' }
            : { name: 'RSA-PSS', hash: 'SHA-256' },
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
        assert.equal(config.serverMetadata().token_endpoint, f.tokenUrl);
        const tokens = await oidc.clientCredentialsGrant(config, { scope: 'restlets' });
        assert.equal(tokens.token_type.toLowerCase(), 'bearer');
        assert.equal(tokens.expires_in, 3600);
        const [last] = await f.audit();
        assert.equal(last?.result, 'success');
      } finally {
        await f.close();
      }
    });
  }
});
