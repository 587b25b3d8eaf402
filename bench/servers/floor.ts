/**
 * The floor: the least work any token endpoint must do per request — parse the form, verify the
 * assertion's signature with the key named by `kid`, sign a JWT access token. No framework, no
 * storage, no replay check, no audit, no claim checks beyond `exp`. Nothing correct can be
 * faster; certmint's target is to come close. Env: BENCH_PORT, BENCH_KEYS (JSON {kid: SPKI or
 * certificate PEM}), BENCH_ALG; BENCH_RECORDS=1 for the floor with records: the same work plus
 * the durable replay claim and audit row of records-store.ts, one commit per event-loop turn,
 * the answers of a turn sent after its commit.
 */

import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
} from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { openRecordStore, type RecordRequest, turnBatcher } from '../records-store.ts';
import { verifyFloorSignature } from './floor-verify.ts';
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

const store = process.env.BENCH_RECORDS === '1' ? openRecordStore() : null;

function refuse(res: ServerResponse, status = 401, error = 'invalid_client'): void {
  const body = `{"error":"${error}"}`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

function issue(res: ServerResponse, subject: string | undefined, scope: string | null): void {
  const now = Math.floor(Date.now() / 1000);
  const payload = b64(
    JSON.stringify({
      iss: 'floor',
      sub: subject,
      iat: now,
      exp: now + 3600,
      scope,
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
}

interface Pending extends RecordRequest {
  scope: string | null;
  res: ServerResponse;
}

/** The records of an event-loop turn's requests in one commit, then their answers. */
const enqueue = turnBatcher<Pending>(store, (p, won) => {
  if (won) issue(p.res, p.clientId, p.scope);
  else refuse(p.res, 400, 'invalid_grant');
});

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
        jti?: string;
      };
      const key = keys.get(header.kid ?? '');
      const valid = verifyFloorSignature(alg, key, [h, c, s]);
      const now = Math.floor(Date.now() / 1000);
      if (!valid || typeof claims.exp !== 'number' || claims.exp < now) return refuse(res);
      if (!store) return issue(res, claims.iss, form.get('scope'));
      enqueue({
        clientId: String(claims.iss),
        jti: String(claims.jti),
        exp: claims.exp,
        kid: header.kid ?? '',
        address: req.socket.remoteAddress,
        scope: form.get('scope'),
        res,
      });
    } catch {
      refuse(res);
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () =>
  serveChild(
    port,
    () =>
      new Promise<void>((resolve) =>
        server.close(() => {
          store?.close();
          resolve();
        }),
      ),
  ),
);
