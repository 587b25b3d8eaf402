import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  bearerAuth,
  createTokenVerifier,
  fastifyBearerAuth,
  type TokenVerifier,
  verifiedToken,
} from '../../src/client/index.ts';
import { ACCOUNT, type SigningKey, TestIssuer } from './support/issuer.ts';

const INVALID =
  'Bearer realm="TSTDRV1", error="invalid_token", error_description="Invalid login attempt."';
const MALFORMED =
  'Bearer realm="TSTDRV1", error="invalid_request", error_description="The request could not be understood by the server due to malformed syntax."';
const INSUFFICIENT =
  'Bearer realm="TSTDRV1", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token.", scope="suite_analytics"';

interface Answer {
  status: number;
  wwwAuthenticate: string | undefined;
  body: unknown;
}

/** The same cases for both adapters; `call` sends one request with that Authorization header. */
function cases(name: string, call: () => (authorization?: string) => Promise<Answer>) {
  let iss: TestIssuer;
  let key: SigningKey;
  before(async () => {
    iss = await TestIssuer.start();
    key = await iss.addKey();
    shared.verifier = createTokenVerifier({ issuer: iss.issuer });
  });
  after(() => iss.close());

  it(`${name}: lets a good token through and exposes its claims`, async () => {
    const r = await call()(`Bearer ${await iss.sign(key)}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { roleId: 3, entityId: -5, account: ACCOUNT });
  });

  it(`${name}: 401 with the bare challenge when there is no bearer token`, async () => {
    for (const h of [undefined, 'Basic dXNlcjpwYXNz']) {
      const r = await call()(h);
      assert.equal(r.status, 401);
      assert.equal(r.wwwAuthenticate, 'Bearer realm="TSTDRV1"');
    }
  });

  it(`${name}: 401 invalid_token, NetSuite's words, for a bad token`, async () => {
    const expired = await iss.sign(key, { exp: Math.floor(Date.now() / 1000) - 60 });
    for (const h of ['Bearer abc.def.ghi', `Bearer ${expired}`, `bearer ${expired}`]) {
      const r = await call()(h);
      assert.equal(r.status, 401);
      assert.equal(r.wwwAuthenticate, INVALID);
      assert.deepEqual(r.body, {
        error: 'invalid_token',
        error_description: 'Invalid login attempt.',
      });
    }
  });

  it(`${name}: 400 invalid_request for a malformed Authorization header`, async () => {
    for (const h of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer "x"']) {
      const r = await call()(h);
      assert.equal(r.status, 400, h);
      assert.equal(r.wwwAuthenticate, MALFORMED);
    }
  });

  it(`${name}: 403 insufficient_scope naming the scope`, async () => {
    const narrow = await iss.sign(key, { scope: ['restlets'] });
    shared.scopes = ['suite_analytics'];
    try {
      const r2 = await call()(`Bearer ${narrow}`);
      assert.equal(r2.status, 403);
      assert.equal(r2.wwwAuthenticate, INSUFFICIENT);
    } finally {
      shared.scopes = [];
    }
  });

  it(`${name}: 503 without a challenge when the key set cannot be fetched`, async () => {
    iss.mode = 'status500';
    const saved = shared.verifier;
    shared.verifier = createTokenVerifier({ issuer: iss.issuer });
    try {
      const r = await call()(`Bearer ${await iss.sign(key)}`);
      assert.equal(r.status, 503);
      assert.equal(r.wwwAuthenticate, undefined);
      assert.deepEqual(r.body, {
        error: 'temporarily_unavailable',
        error_description: 'The access token cannot be checked right now.',
      });
    } finally {
      iss.mode = 'ok';
      shared.verifier = saved;
    }
  });
}

/** Read by the route at request time, so one app serves every case. */
const shared: { verifier?: TokenVerifier; scopes: string[] } = { scopes: [] };
const current = (): TokenVerifier => shared.verifier as TokenVerifier;
const lazy: TokenVerifier = {
  get issuer() {
    return current().issuer;
  },
  get jwksUrl() {
    return current().jwksUrl;
  },
  get realm() {
    return current().realm;
  },
  verify: (token, o) =>
    current().verify(token, {
      requiredScopes: [...(o?.requiredScopes ?? []), ...shared.scopes],
    }),
};

describe('fastifyBearerAuth', () => {
  let app: FastifyInstance;
  before(async () => {
    app = Fastify();
    app.addHook('onRequest', fastifyBearerAuth(lazy));
    app.get('/whoami', async (request) => {
      const t = verifiedToken(request);
      return { roleId: t?.roleId, entityId: t?.entityId, account: t?.accountId };
    });
    await app.ready();
  });
  after(() => app.close());

  cases('fastify', () => async (authorization) => {
    const res = await app.inject({
      method: 'GET',
      url: '/whoami',
      headers: authorization === undefined ? {} : { authorization },
    });
    const h = res.headers['www-authenticate'];
    return {
      status: res.statusCode,
      wwwAuthenticate: typeof h === 'string' ? h : undefined,
      body: res.body ? JSON.parse(res.body) : undefined,
    };
  });
});

describe('bearerAuth (node http / Express style)', () => {
  let server: Server;
  let url = '';
  before(async () => {
    const mw = bearerAuth(lazy);
    server = createServer((req, res) => {
      mw(req, res, (err) => {
        if (err) {
          res.writeHead(500).end();
          return;
        }
        const t = verifiedToken(req);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ roleId: t?.roleId, entityId: t?.entityId, account: t?.accountId }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/whoami`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  cases('node', () => async (authorization) => {
    const res = await fetch(url, {
      headers: authorization === undefined ? {} : { authorization },
    });
    const text = await res.text();
    return {
      status: res.status,
      wwwAuthenticate: res.headers.get('www-authenticate') ?? undefined,
      body: text ? JSON.parse(text) : undefined,
    };
  });
});
