/**
 * The floor: the least work any token endpoint must do per request — parse the form, verify the
 * assertion's signature with the key named by `kid`, sign a JWT access token. No framework, no
 * storage, no replay check, no audit, no claim checks beyond `exp`. Nothing correct can be
 * faster; certmint's target is to come close. Env: BENCH_PORT, BENCH_KEYS (JSON {kid: SPKI or
 * certificate PEM}), BENCH_ALG.
 */

import {
  constants,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { createServer } from 'node:http';
import { env, serveChild } from './ipc.ts';

const port = Number(env('BENCH_PORT'));
const alg = env('BENCH_ALG');
const keys = new Map<string, KeyObject>(
  Object.entries(JSON.parse(env('BENCH_KEYS')) as Record<string, string>).map(([kid, pem]) => [
    kid,
    createPublicKey(pem),
  ]),
);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const tokenHeader = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'floor' }));

function refuse(res: import('node:http').ServerResponse): void {
  const body = '{"error":"invalid_client"}';
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => {
    body += d;
  });
  req.on('end', () => {
    try {
      const form = new URLSearchParams(body);
      const [h = '', c = '', s = ''] = (form.get('client_assertion') ?? '').split('.');
      const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid?: string };
      const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as {
        iss?: string;
        exp?: number;
      };
      const key = keys.get(header.kid ?? '');
      const data = Buffer.from(`${h}.${c}`);
      const sig = Buffer.from(s, 'base64url');
      const valid =
        key !== undefined &&
        (alg === 'ES256'
          ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig)
          : verify(
              'sha256',
              data,
              { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
              sig,
            ));
      const now = Math.floor(Date.now() / 1000);
      if (!valid || typeof claims.exp !== 'number' || claims.exp < now) return refuse(res);
      const payload = b64(
        JSON.stringify({
          iss: 'floor',
          sub: claims.iss,
          iat: now,
          exp: now + 3600,
          scope: form.get('scope'),
          jti: randomUUID(),
        }),
      );
      const input = `${tokenHeader}.${payload}`;
      const signature = sign('sha256', Buffer.from(input), {
        key: privateKey,
        dsaEncoding: 'ieee-p1363',
      }).toString('base64url');
      const out = JSON.stringify({
        access_token: `${input}.${signature}`,
        token_type: 'Bearer',
        expires_in: 3600,
      });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
        'cache-control': 'no-store',
      });
      res.end(out);
    } catch {
      refuse(res);
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () =>
  serveChild(port, () => new Promise<void>((resolve) => server.close(() => resolve()))),
);
