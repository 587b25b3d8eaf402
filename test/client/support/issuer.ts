/**
 * A minimal certmint-shaped issuer for verifier tests: serves the JWKS at
 * `{issuer}/services/rest/auth/oauth2/v1/keys` and signs `at+jwt` access tokens. The key set,
 * and how the JWKS endpoint misbehaves, can be changed between requests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

export const ACCOUNT = 'TSTDRV1';

export interface SigningKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export type JwksMode = 'ok' | 'huge-declared' | 'huge-chunked' | 'hang' | 'status500';

export class TestIssuer {
  keys: SigningKey[] = [];
  mode: JwksMode = 'ok';
  /** JWKS requests served (or hung). */
  jwksHits = 0;
  readonly issuer: string;

  private constructor(private readonly server: Server) {
    const { port } = server.address() as AddressInfo;
    this.issuer = `http://127.0.0.1:${port}/accounts/${ACCOUNT}`;
  }

  static async start(): Promise<TestIssuer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const t = new TestIssuer(server);
    server.on('request', (req, res) => {
      if (req.url !== `/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/keys`) {
        res.writeHead(404).end();
        return;
      }
      t.jwksHits++;
      if (t.mode === 'hang') return; // never answers
      if (t.mode === 'status500') {
        res.writeHead(500).end();
        return;
      }
      const body = JSON.stringify({ keys: t.keys.map((k) => k.jwk) });
      if (t.mode === 'huge-declared') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': 70_000 });
        res.end(' '.repeat(70_000));
        return;
      }
      if (t.mode === 'huge-chunked') {
        // No Content-Length: the limit must be enforced while reading.
        res.writeHead(200, { 'content-type': 'application/json' });
        for (let i = 0; i < 20; i++) res.write(' '.repeat(4096));
        res.end(body);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(body);
    });
    return t;
  }

  async addKey(alg = 'ES256'): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair(alg);
    const kid = randomUUID();
    const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
    const k = { kid, alg, privateKey, publicKey, jwk };
    this.keys.push(k);
    return k;
  }

  /** A certmint-shaped access token; override anything through `claims` and `header`. */
  sign(
    key: SigningKey,
    claims: JWTPayload = {},
    header: Record<string, unknown> = {},
    nowSeconds = Math.floor(Date.now() / 1000),
  ): Promise<string> {
    return new SignJWT({
      sub: '3;-5',
      client_id: 'c'.repeat(64),
      scope: ['restlets', 'rest_webservices'],
      jti: randomUUID(),
      iss: this.issuer,
      iat: nowSeconds,
      exp: nowSeconds + 3600,
      ...claims,
    })
      .setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })
      .sign(key.privateKey);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
