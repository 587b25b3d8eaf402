/**
 * The yardstick's floor (its floor-server.mjs: parse the form, verify the ES256 or PS256
 * assertion with the key named by `kid`, sign an ES256 access token; nothing else) plus the two
 * durable records of records-store.ts, written in one commit per event-loop turn before the
 * answers of that turn are sent. bench/yardstick-targets.sh runs it beside the floor as
 * `floor-records`: the least any server pays that keeps "each jti accepted once" as a unique-key
 * insert and an audit record of every token, on this machine.
 *
 * Usage: node --import tsx bench/floor-records.ts PORT CERT_DIR [records|none]
 *   CERT_DIR holds es256.pem and ps256.pem (the yardstick directory). `none` skips the store
 *   calls and keeps the rest, the batched answers included: a control for what the batching
 *   alone changes.
 */
import { createPublicKey, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { openRecordStore, type RecordRequest, turnBatcher } from './records-store.ts';
import { verifyFloorSignature } from './servers/floor-verify.ts';

const [portArg, dir = '.', mode = 'records'] = process.argv.slice(2);
if (!portArg || (mode !== 'records' && mode !== 'none')) {
  process.stderr.write(
    'usage: node --import tsx bench/floor-records.ts PORT CERT_DIR [records|none]\n',
  );
  process.exit(2);
}
const pubs = new Map<string, KeyObject>(
  ['es256', 'ps256'].map((k) => [k, createPublicKey(readFileSync(`${dir}/${k}.pem`))]),
);
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const b64 = (v: string | Buffer): string => Buffer.from(v).toString('base64url');
const tokenHeader = b64(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'k1' }));
const store = mode === 'records' ? openRecordStore() : null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    store?.close();
    process.exit(0);
  });
}

interface Pending extends RecordRequest {
  scope: string | null;
  res: ServerResponse;
}

function answer(p: Pending, won: boolean): void {
  if (!won) {
    p.res.writeHead(400, { 'content-type': 'application/json' });
    p.res.end('{"error":"invalid_grant"}');
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  const payload = b64(
    JSON.stringify({
      iss: 'x',
      sub: p.clientId,
      iat: now,
      exp: now + 3600,
      scope: p.scope,
      jti: now,
    }),
  );
  const signature = sign('sha256', Buffer.from(`${tokenHeader}.${payload}`), {
    key: privateKey,
    dsaEncoding: 'ieee-p1363',
  });
  p.res.writeHead(200, { 'content-type': 'application/json' });
  p.res.end(
    JSON.stringify({
      access_token: `${tokenHeader}.${payload}.${b64(signature)}`,
      token_type: 'Bearer',
      expires_in: 3600,
    }),
  );
}

const enqueue = turnBatcher<Pending>(store, answer);

function refuse(res: ServerResponse): void {
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end('{"error":"invalid_client"}');
}

/** The floor's checks: the signature by the key named by `kid`, and `exp`. */
function verified(body: string, res: ServerResponse, address: string | undefined): Pending | null {
  const form = new URLSearchParams(body);
  const [h = '', c = '', s = ''] = (form.get('client_assertion') ?? '').split('.');
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string; kid?: string };
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString()) as Record<string, unknown>;
  const key = pubs.get(head.kid ?? '');
  const ok = verifyFloorSignature(head.alg, key, [h, c, s]);
  const exp = Number(claims.exp);
  if (!ok || !(exp >= Date.now() / 1000)) return null;
  const scope = form.get('scope');
  return {
    clientId: String(claims.iss),
    jti: String(claims.jti),
    exp,
    kid: head.kid ?? '',
    address,
    scope,
    res,
  };
}

createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d: string) => {
    body += d;
  });
  req.on('end', () => {
    let p: Pending | null = null;
    try {
      p = verified(body, res, req.socket.remoteAddress);
    } catch {
      // Junk (not a JWT, not JSON): refused like a bad signature.
    }
    if (!p) return refuse(res);
    enqueue(p);
  });
}).listen(Number(portArg), '127.0.0.1');
