/**
 * Slow and idle clients against a listening server (real sockets, loopback): headers that never
 * finish, a body that stops halfway and an idle keep-alive connection are each cut off after
 * their timeout; connections beyond the cap are closed at once, and a normal client is served
 * as soon as a slot is free. The limits are shortened through buildApp's options.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import type { ServerLimits } from '../../src/http/server-limits.ts';
import { createAccount, SYSTEM } from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { sqliteStores } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';

const LIMITS: ServerLimits = {
  headersTimeoutMs: 300,
  requestTimeoutMs: 600,
  keepAliveTimeoutMs: 300,
  idleTimeoutMs: 10_000,
  maxConnections: 4,
};
const ACCOUNT = 'TSTDRV7100001';
const TOKEN_PATH = `/accounts/${ACCOUNT}/services/rest/auth/oauth2/v1/token`;
/** Upper bound for any wait below: far above every limit, so only a broken limit reaches it. */
const DEADLINE_MS = 8_000;

interface Client {
  socket: Socket;
  /** What the server sent, once it closed the connection, and when (ms since opening). */
  closed: Promise<{ data: string; afterMs: number }>;
}

/** Opens a raw connection and sends `text` (nothing more unless the test writes it). */
function open(port: number, text: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('error', () => {}); // a reset is one way of being closed
    const closed = new Promise<{ data: string; afterMs: number }>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('the server never closed it')), DEADLINE_MS);
      socket.once('close', () => {
        clearTimeout(timer);
        done({ data, afterMs: performance.now() - started });
      });
    });
    socket.once('connect', () => {
      if (text !== '') socket.write(text);
      resolve({ socket, closed });
    });
    socket.once('error', reject);
  });
}

/** GET /healthz as a well-behaved client (its own connection, closed after the answer). */
function health(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/healthz', agent: false, headers: { connection: 'close' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface Server {
  app: FastifyInstance;
  store: Store;
  port: number;
}

/** An app with these limits listening on a loopback port of its own. */
async function listening(limits: ServerLimits): Promise<Server> {
  const store = await sqliteStores.open();
  await createAccount({ store, clock: { now: () => Date.now() } }, SYSTEM, { id: ACCOUNT });
  const { app } = await testApp({
    store,
    secret: 'slow-client-test-secret-0123456789',
    publicUrl: 'http://127.0.0.1',
    app: { limits },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, store, port: typeof address === 'object' && address ? address.port : 0 };
}

async function stop(s: Server): Promise<void> {
  await s.app.close();
  await s.store.close();
}

describe('slow clients are cut off', () => {
  let s: Server;
  let port: number;
  before(async () => {
    s = await listening(LIMITS);
    port = s.port;
  });
  after(() => stop(s));

  it('headers that never finish: 408 and closed after the headers timeout', async () => {
    const c = await open(port, `POST ${TOKEN_PATH} HTTP/1.1\r\nHost: x\r\nContent-Ty`);
    const { data, afterMs } = await c.closed;
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.ok(afterMs >= LIMITS.headersTimeoutMs - 20, `closed after ${afterMs} ms`);
  });

  it('headers and half a body: 408 and closed after the request timeout', async () => {
    const c = await open(
      port,
      `POST ${TOKEN_PATH} HTTP/1.1\r\nHost: x\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n' +
        'grant_type=client_credentials&client_assertion=',
    );
    const { data, afterMs } = await c.closed;
    assert.match(data, /^HTTP\/1\.1 408 /);
    assert.ok(afterMs >= LIMITS.requestTimeoutMs - 20, `closed after ${afterMs} ms`);
  });

  it('an idle keep-alive connection is closed after the keep-alive timeout', async () => {
    const c = await open(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const { data, afterMs } = await c.closed;
    assert.match(data, /^HTTP\/1\.1 200 /);
    assert.match(data, /keep-alive/i);
    assert.ok(afterMs >= LIMITS.keepAliveTimeoutMs - 20, `closed after ${afterMs} ms`);
  });
});

describe('the connection cap', () => {
  // Timeouts long enough that no slow connection is cut while the test fills the slots.
  const limits: ServerLimits = { ...LIMITS, headersTimeoutMs: 1500, requestTimeoutMs: 3000 };
  let s: Server;
  let port: number;
  const connections = () =>
    new Promise<number>((resolve, reject) =>
      s.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
    );
  before(async () => {
    s = await listening(limits);
    port = s.port;
  });
  after(() => stop(s));

  it('connections beyond the cap are refused; /healthz answers once slots are free', async () => {
    const slow: Client[] = [];
    const partial = 'GET /healthz HTTP/1.1\r\nHost: x\r\n';
    for (let i = 0; i < LIMITS.maxConnections - 1; i++) slow.push(await open(port, partial));
    await eventually(
      'the server holds the slow connections',
      async () => (await connections()) === 3,
    );
    // Below the cap a normal client is still served.
    assert.equal(await health(port), 200);
    slow.push(await open(port, partial));
    await eventually('the cap is reached', async () => (await connections()) === 4);
    // One more: closed at once, unanswered, long before any timeout could have cut it.
    const refused = await open(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await refused.closed;
    assert.equal(r.data, '');
    assert.ok(r.afterMs < limits.headersTimeoutMs, `refused after ${r.afterMs} ms`);
    await assert.rejects(health(port));
    // The slow ones are cut by the headers timeout; then everyone is served again.
    for (const c of slow) assert.match((await c.closed).data, /^HTTP\/1\.1 408 /);
    await eventually(
      '/healthz answers again',
      async () => (await health(port).catch(() => 0)) === 200,
    );
  });
});
