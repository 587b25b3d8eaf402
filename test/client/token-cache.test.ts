import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  createTokenClient,
  type TokenClientOptions,
  TokenRequestError,
} from '../../src/client/index.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { NetsuiteFake, RESOURCE_PATH } from '../support/netsuite-fake.ts';
import { type TestKey, testKey } from './support/keys.ts';

const CLIENT_ID = 'b'.repeat(64);

describe('token cache, single flight and client.fetch', () => {
  let key: TestKey;
  let fake: NetsuiteFake;
  // A clock of its own for each test (the tests move it forward by hours); the fake reads it.
  let clock = new FixedClock(Date.now());
  beforeEach(() => {
    clock = new FixedClock(Date.now());
  });

  before(async () => {
    key = await testKey('ES256');
    fake = await NetsuiteFake.start({
      account: '123456',
      clientId: CLIENT_ID,
      certificates: [key.certPem],
      now: () => clock.now(),
    });
  });
  after(() => fake.close());

  const client = (extra: Partial<TokenClientOptions> = {}) =>
    createTokenClient({
      tokenUrl: fake.tokenUrl,
      clientId: CLIENT_ID,
      certificateId: key.certificateId,
      privateKey: key.keyPem,
      scopes: ['rest_webservices'],
      clock,
      ...extra,
    } as TokenClientOptions);

  it('makes one request for 1 000 concurrent getToken() calls', async () => {
    const c = client();
    const before = fake.tokenRequests().length;
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getToken()));
    assert.equal(fake.tokenRequests().length - before, 1);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(tokens[0], fake.issued.at(-1));
  });

  it('keeps the token until expires_in minus the margin, by the injected clock', async () => {
    const c = client();
    const count = () => fake.tokenRequests().length;
    const before = count();
    const first = await c.getToken();
    clock.advance((3600 - 60) * 1000 - 1);
    assert.equal(await c.getToken(), first);
    assert.equal(count() - before, 1);
    clock.advance(1);
    const second = await c.getToken();
    assert.notEqual(second, first);
    assert.equal(count() - before, 2);
  });

  it('honours refreshMargin, and caps it at half a short lifetime', async () => {
    const count = () => fake.tokenRequests().length;
    const c = client({ refreshMargin: 300 });
    let before = count();
    await c.getToken();
    clock.advance(3300 * 1000 - 1);
    await c.getToken();
    assert.equal(count() - before, 1);
    clock.advance(1);
    await c.getToken();
    assert.equal(count() - before, 2);

    const short = await NetsuiteFake.start({
      account: '123456',
      clientId: CLIENT_ID,
      certificates: [key.certPem],
      expiresIn: 100,
      now: () => clock.now(),
    });
    try {
      const s = client({ tokenUrl: short.tokenUrl });
      await s.getToken();
      before = short.tokenRequests().length;
      clock.advance(50 * 1000 - 1);
      await s.getToken();
      assert.equal(short.tokenRequests().length, before);
      clock.advance(1);
      await s.getToken();
      assert.equal(short.tokenRequests().length, before + 1);
    } finally {
      await short.close();
    }
  });

  it('does not cache a failure, and invalidate() forces a new token', async () => {
    const c = client({ retry: { attempts: 1 } });
    fake.script('server_error');
    const err = await c.getToken().catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.attempts, 1);
    const before = fake.tokenRequests().length;
    const t1 = await c.getToken();
    c.invalidate();
    const t2 = await c.getToken();
    assert.notEqual(t1, t2);
    assert.equal(fake.tokenRequests().length - before, 2);
  });

  it('client.fetch adds the bearer token and replaces a token refused as invalid_token', async () => {
    const c = client();
    const url = `${fake.origin}${RESOURCE_PATH}`;
    const ok = await c.fetch(url, { headers: { accept: 'application/json' } });
    assert.equal(ok.status, 200);
    const seen = fake.requests.at(-1);
    assert.equal(seen?.headers.authorization, `Bearer ${await c.getToken()}`);
    assert.equal(seen?.headers.accept, 'application/json');

    fake.revokeIssued();
    const before = fake.tokenRequests().length;
    const retried = await c.fetch(url);
    assert.equal(retried.status, 200);
    assert.equal(fake.tokenRequests().length - before, 1);
    assert.equal(fake.requests.at(-1)?.headers.authorization, `Bearer ${fake.issued.at(-1)}`);
  });

  it('retries at most once, and only for error="invalid_token"', async () => {
    const c = client();
    const always = await challengeServer(
      'Bearer realm="123456", error="invalid_token", error_description="Invalid login attempt."',
    );
    const bare = await challengeServer('Bearer realm="123456"');
    try {
      const r1 = await c.fetch(always.url, { method: 'POST', body: 'x=1' });
      assert.equal(r1.status, 401);
      assert.equal(always.seen.length, 2);
      assert.notEqual(always.seen[0]?.authorization, always.seen[1]?.authorization);
      const r2 = await c.fetch(bare.url);
      assert.equal(r2.status, 401);
      assert.equal(bare.seen.length, 1);
      // A stream body cannot be sent twice: the 401 is handed back as is.
      const stream = new ReadableStream({
        start(ctl) {
          ctl.enqueue(new TextEncoder().encode('x'));
          ctl.close();
        },
      });
      const r3 = await c.fetch(always.url, {
        method: 'POST',
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal(r3.status, 401);
      assert.equal(always.seen.length, 3);
    } finally {
      await always.close();
      await bare.close();
    }
  });
});

async function challengeServer(challenge: string) {
  const seen: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => {
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    seen,
    url: `http://127.0.0.1:${port}/r`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
