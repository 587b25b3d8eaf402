/**
 * The token route on node:http (src/http/token-route.ts) answers exactly as Fastify's token
 * route: each request goes once over a real socket (the node:http route, when it takes it) and
 * once through `app.inject` (always Fastify), and status, headers, body and audit record must be
 * the same. Requests it must leave to Fastify are checked to reach Fastify.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, decodeJwt } from 'jose';
import type { TokenRoute } from '../../src/http/token-route.ts';
import { dpopKey } from '../support/dpop.ts';
import { Scrape } from '../support/prometheus.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, nowS, tokenFixture } from '../support/token-fixture.ts';

const FORM = 'application/x-www-form-urlencoded';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Per connection or per moment: not the answer's. */
const VOLATILE = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding']);
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const form = (assertion: string, extra: Record<string, string> = {}) =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: JWT_BEARER,
    client_assertion: assertion,
    ...extra,
  }).toString();

/** The access token differs per request by design: compare its presence, not its text. */
function comparable(a: Answer): Answer {
  const headers = Object.fromEntries(
    Object.entries(a.headers).filter(([k]) => !VOLATILE.has(k.toLowerCase())),
  );
  const body = a.body.replace(/"access_token":"[^"]+"/, '"access_token":"<token>"');
  return { status: a.status, headers, body };
}

function route(f: Fixture): TokenRoute {
  const r = f.app.tokenRoute;
  assert.ok(r, 'buildApp was asked for the node:http token route');
  return r;
}
const servedBy = (f: Fixture) => route(f).served;

interface Request {
  path?: string;
  headers?: Record<string, string>;
  body: string;
}

describeEachStore('token route on node:http', (factory) => {
  let f: Fixture;
  let base: string;
  before(async () => {
    f = await tokenFixture(factory.open, {
      metrics: { token: METRICS_TOKEN },
      dpop: 'allowed',
      app: { nodeTokenRoute: true },
    });
    base = await f.app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await f.close();
  });
  const tokenPath = () => `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`;

  async function overSocket(r: Request): Promise<Answer> {
    const res = await fetch(`${base}${r.path ?? tokenPath()}`, {
      method: 'POST',
      headers: { 'content-type': FORM, ...r.headers },
      body: r.body,
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
  }

  async function injected(r: Request): Promise<Answer> {
    const res = await f.app.inject({
      method: 'POST',
      url: r.path ?? tokenPath(),
      headers: { 'content-type': FORM, ...r.headers },
      payload: r.body,
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = String(v);
    return { status: res.statusCode, headers, body: res.body };
  }

  /**
   * `make` builds a request (a fresh assertion each time where it signs one); it is sent over
   * the socket and injected, and both answers and both audit records must be equal. `taken`:
   * whether the node:http route must answer the socket's copy.
   */
  async function same(make: () => Promise<Request>, taken: boolean): Promise<Answer> {
    const served = servedBy(f);
    const socket = await overSocket(await make());
    assert.equal(servedBy(f) - served, taken ? 1 : 0, 'taken by the node:http route');
    const [socketRecord] = await f.audit();
    const inject = await injected(await make());
    assert.equal(servedBy(f) - served, taken ? 1 : 0, 'inject goes to Fastify');
    const [injectRecord] = await f.audit();
    assert.deepEqual(comparable(socket), comparable(inject));
    assert.equal(socketRecord?.result, injectRecord?.result);
    assert.equal(socketRecord?.detail, injectRecord?.detail);
    return socket;
  }

  it('a token: the same 200, headers and success record', async () => {
    const a = await same(async () => ({ body: form(await f.sign()) }), true);
    assert.equal(a.status, 200, a.body);
    assert.equal(a.headers['cache-control'], 'no-store');
    assert.equal(a.headers.pragma, 'no-cache');
    const [last] = await f.audit();
    assert.equal(last?.result, 'success');
  });

  it('a DPoP-bound token (RFC 9449): the same 200, token type and binding', async () => {
    const key = await dpopKey('ES256');
    const a = await same(
      async () => ({
        headers: { dpop: await key.proof('POST', f.tokenUrl, nowS(f.clock)) },
        body: form(await f.sign()),
      }),
      true,
    );
    assert.equal(a.status, 200, a.body);
    const { access_token, token_type } = JSON.parse(a.body) as Record<string, string>;
    assert.equal(token_type, 'DPoP');
    assert.deepEqual(decodeJwt(access_token ?? '').cnf, {
      jkt: await calculateJwkThumbprint(key.jwk, 'sha256'),
    });
  });

  it('each refusal: the same status, body, WWW-Authenticate and audit reason', async () => {
    const key = await dpopKey('ES256');
    const proofFor = (method: string, url: string) => key.proof(method, url, nowS(f.clock));
    const cases: Array<[string, () => Promise<Request>, number, string | null]> = [
      ['replay', async () => replayed(), 401, 'AssertionReplayed'],
      ['bad signature', async () => ({ body: form(tampered(await f.sign())) }), 401, null],
      ['wrong grant', async () => ({ body: 'grant_type=password' }), 400, null],
      ['no grant', async () => ({ body: 'scope=restlets' }), 400, 'InvalidRequest'],
      ['junk', async () => ({ body: '%%%' }), 400, null],
      [
        'a scope not on the integration',
        async () => ({ body: form(await f.sign({ scope: ['suite_analytics'] })) }),
        400,
        'ScopeMismatched',
      ],
      [
        'a malformed DPoP proof',
        async () => ({ headers: { dpop: 'x.y.z' }, body: form(await f.sign()) }),
        400,
        'DpopProofMalformed',
      ],
      [
        'a DPoP proof for another URL',
        async () => ({
          headers: { dpop: await proofFor('POST', `${f.issuer}/elsewhere`) },
          body: form(await f.sign()),
        }),
        400,
        'DpopWrongUrl',
      ],
      [
        'a DPoP proof for another method',
        async () => ({
          headers: { dpop: await proofFor('GET', f.tokenUrl) },
          body: form(await f.sign()),
        }),
        400,
        'DpopWrongMethod',
      ],
    ];
    for (const [name, make, status, detail] of cases) {
      const a = await same(make, true);
      assert.equal(a.status, status, `${name}: ${a.body}`);
      if (status === 401)
        assert.equal(a.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
      const [last] = await f.audit();
      assert.equal(last?.result, 'failure', name);
      if (detail) assert.equal(last?.detail, detail, name);
    }
  });

  /** A fresh assertion already used once: its copy is refused as a replay. */
  async function replayed(): Promise<Request> {
    const body = form(await f.sign());
    assert.equal((await injected({ body })).status, 200);
    return { body };
  }

  it('an unknown account: the same 404, nothing audited', async () => {
    const before = (await f.audit()).length;
    const path = '/accounts/NOSUCH1/services/rest/auth/oauth2/v1/token';
    const a = await same(async () => ({ path, body: form(await f.sign()) }), true);
    assert.equal(a.status, 404);
    assert.deepEqual(JSON.parse(a.body), { error: 'not_found', message: 'no such account' });
    assert.equal((await f.audit()).length, before);
  });

  it('leaves to Fastify what it does not take, and the answers are Fastify’s', async () => {
    const leave: Array<[string, () => Promise<Request>]> = [
      ['a query string', async () => ({ path: `${tokenPath()}?a=1`, body: form(await f.sign()) })],
      ['JSON', async () => ({ headers: { 'content-type': 'application/json' }, body: '{}' })],
      ['no body', async () => ({ body: '' })],
      [
        'an account id the schema refuses',
        async () => ({ path: '/accounts/a.b/services/rest/auth/oauth2/v1/token', body: 'x=1' }),
      ],
      [
        'percent-encoding',
        async () => ({
          path: `/accounts/${encodeURIComponent(f.accountId).replace('T', '%54')}/services/rest/auth/oauth2/v1/token`,
          body: form(await f.sign()),
        }),
      ],
      [
        'another endpoint',
        async () => ({ path: tokenPath().replace(/token$/, 'revoke'), body: form(await f.sign()) }),
      ],
    ];
    for (const [name, make] of leave) {
      const served = servedBy(f);
      await same(make, false).catch((e: unknown) => {
        throw new Error(`${name}: ${String(e)}`);
      });
      assert.equal(servedBy(f), served, name);
    }
  });

  it('a chunked body goes to Fastify', async () => {
    const served = servedBy(f);
    const body = form(await f.sign());
    const res = await fetch(`${base}${tokenPath()}`, {
      method: 'POST',
      headers: { 'content-type': FORM },
      body: new Blob([body]).stream(),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 200, await res.text());
    assert.equal(servedBy(f), served);
  });

  it('a client that leaves mid-body costs nothing; the next request is answered', async () => {
    const url = new URL(base);
    await new Promise<void>((resolve, reject) => {
      const s = connect(Number(url.port), url.hostname, () => {
        s.write(
          `POST ${tokenPath()} HTTP/1.1\r\nhost: x\r\ncontent-type: ${FORM}\r\ncontent-length: 500\r\n\r\ngrant_type=cl`,
        );
        setTimeout(() => s.destroy(), 50);
      });
      s.on('close', () => resolve());
      s.on('error', reject);
    });
    const a = await overSocket({ body: form(await f.sign()) });
    assert.equal(a.status, 200, a.body);
  });

  it('a body that arrives in pieces, a character split between them: decoded whole', async () => {
    // A repeated parameter's name is quoted in the refusal: é (C3 A9) must come back as é,
    // not as two replacement characters from decoding each piece alone.
    const body = Buffer.from(`${form(await f.sign())}&é=1&é=2`, 'utf8');
    const cut = body.indexOf(Buffer.from('é', 'utf8')) + 1;
    const served = servedBy(f);
    const url = new URL(base);
    const raw = await new Promise<string>((resolve, reject) => {
      let got = '';
      const s = connect(Number(url.port), url.hostname, () => {
        s.write(
          `POST ${tokenPath()} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: ${FORM}\r\ncontent-length: ${body.length}\r\n\r\n`,
        );
        s.write(body.subarray(0, cut));
        // The rest later, and no end of our side: the server closes once it has answered.
        setTimeout(() => s.write(body.subarray(cut)), 50);
      });
      s.setEncoding('utf8');
      s.on('data', (d: string) => {
        got += d;
      });
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
    assert.equal(servedBy(f) - served, 1, 'taken by the node:http route');
    assert.match(raw, /^HTTP\/1\.1 400 /);
    assert.match(raw, /parameter \\"é\\" is repeated/);
  });

  it('latency is measured under the route pattern, as for Fastify’s routes', async () => {
    const read = async () => {
      const res = await f.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      return (
        new Scrape(res.body).histogram('certmint_http_request_duration_seconds', {
          route: '/accounts/:accountId/services/rest/auth/oauth2/v1/token',
          method: 'POST',
        })?.count ?? 0
      );
    };
    const before = await read();
    await overSocket({ body: form(await f.sign()) });
    await injected({ body: form(await f.sign()) });
    assert.equal(await read(), before + 2);
  });

  it('once closing, every request goes to Fastify', async () => {
    const g = await tokenFixture(factory.open, {
      accountId: 'TSTDRV7000002',
      app: { nodeTokenRoute: true },
    });
    try {
      const url = await g.app.listen({ port: 0, host: '127.0.0.1' });
      route(g).close();
      const res = await fetch(`${url}/accounts/${g.accountId}/services/rest/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: form(await g.sign()),
      });
      assert.equal(res.status, 200);
      assert.equal(servedBy(g), 0);
    } finally {
      await g.close();
    }
  });
});

describe('token route on node:http: settings that keep Fastify', () => {
  it('buildApp leaves it off unless asked: hooks added to the app see every request', async () => {
    const { sqliteStores } = await import('../support/stores.ts');
    const g = await tokenFixture(sqliteStores.open);
    try {
      assert.equal(g.app.tokenRoute, null);
      let seen = 0;
      g.app.addHook('onRequest', (_req, _reply, done) => {
        seen++;
        done();
      });
      const url = await g.app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${url}/accounts/${g.accountId}/services/rest/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': FORM },
        body: form(await g.sign()),
      });
      assert.equal(res.status, 200);
      assert.equal(seen, 1);
    } finally {
      await g.close();
    }
  });

  it('behind a trusted proxy the address is Fastify’s to work out', async () => {
    const { sqliteStores } = await import('../support/stores.ts');
    const g = await tokenFixture(sqliteStores.open, {
      app: { trustProxy: true, nodeTokenRoute: true },
    });
    try {
      const url = await g.app.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${url}/accounts/${g.accountId}/services/rest/auth/oauth2/v1/token`, {
        method: 'POST',
        headers: { 'content-type': FORM, 'x-forwarded-for': '203.0.113.9' },
        body: form(await g.sign()),
      });
      assert.equal(res.status, 200);
      assert.equal(servedBy(g), 0);
      const [last] = await g.audit();
      assert.equal(last?.remoteAddress, '203.0.113.9');
    } finally {
      await g.close();
    }
  });
});

/** The assertion with a character in the middle of its signature changed (a real change:
 * the last character of a base64url signature may carry only padding bits). */
function tampered(jwt: string): string {
  const at = jwt.lastIndexOf('.') + 10;
  return `${jwt.slice(0, at)}${jwt[at] === 'A' ? 'B' : 'A'}${jwt.slice(at + 1)}`;
}
