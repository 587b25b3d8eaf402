import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  createTokenClient,
  NetworkError,
  type TokenClientOptions,
  TokenRequestError,
} from '../../src/client/index.ts';
import { NetsuiteFake } from '../support/netsuite-fake.ts';
import { type KeyKind, type TestKey, testKey } from './support/keys.ts';

const CLIENT_ID = 'a'.repeat(64);
const KINDS: KeyKind[] = ['ES256', 'ES384', 'ES512', 'RSA3072', 'RSAPSS3072'];
const EXPECTED_ALG: Record<string, string> = {
  ES256: 'ES256',
  ES384: 'ES384',
  ES512: 'ES512',
  RSA3072: 'PS256',
  RSAPSS3072: 'PS256',
};

function decode(jwt: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h, p] = jwt.split('.');
  return {
    header: JSON.parse(Buffer.from(h ?? '', 'base64url').toString('utf8')),
    claims: JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8')),
  };
}

/** Records the backoff delays instead of sleeping; random fixed at 0.5. */
function recordingRetry(attempts = 3) {
  const sleeps: number[] = [];
  return {
    sleeps,
    retry: {
      attempts,
      baseDelayMs: 200,
      maxDelayMs: 5_000,
      random: () => 0.5,
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
    },
  };
}

describe('token request against a NetSuite-like endpoint', () => {
  const keys = new Map<KeyKind, TestKey>();
  let fake: NetsuiteFake;

  before(async () => {
    for (const k of KINDS) keys.set(k, await testKey(k));
    fake = await NetsuiteFake.start({
      account: '123456_SB1',
      clientId: CLIENT_ID,
      certificates: [...keys.values()].map((k) => k.certPem),
    });
  });
  after(() => fake.close());

  const opts = (kind: KeyKind, extra: Partial<TokenClientOptions> = {}): TokenClientOptions => {
    const k = keys.get(kind) as TestKey;
    return {
      tokenUrl: fake.tokenUrl,
      clientId: CLIENT_ID,
      certificateId: k.certificateId,
      privateKey: k.keyPem,
      scopes: ['restlets', 'rest_webservices'],
      ...extra,
    } as TokenClientOptions;
  };

  for (const kind of KINDS) {
    it(`sends exactly the documented request (${kind})`, async () => {
      const before = fake.requests.length;
      const client = createTokenClient(opts(kind));
      const started = Math.floor(Date.now() / 1000);
      const token = await client.getToken();
      assert.equal(token, fake.issued.at(-1));
      const reqs = fake.requests.slice(before);
      assert.equal(reqs.length, 1);
      const r = reqs[0];
      assert.ok(r);
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/services/rest/auth/oauth2/v1/token');
      assert.equal(r.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.equal(r.headers.authorization, undefined);
      const form = [...new URLSearchParams(r.body)];
      assert.deepEqual(
        form.map(([k]) => k),
        ['grant_type', 'client_assertion_type', 'client_assertion'],
      );
      assert.equal(form[0]?.[1], 'client_credentials');
      assert.equal(form[1]?.[1], 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
      const { header, claims } = decode(form[2]?.[1] ?? '');
      assert.deepEqual(header, {
        typ: 'JWT',
        alg: EXPECTED_ALG[kind],
        kid: keys.get(kind)?.certificateId,
      });
      assert.deepEqual(Object.keys(claims).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'scope']);
      assert.equal(claims.iss, CLIENT_ID);
      assert.equal(claims.aud, fake.tokenUrl);
      assert.deepEqual(claims.scope, ['restlets', 'rest_webservices']);
      const iat = claims.iat as number;
      // iat is backdated 5 s; the clock may tick once between our reading and the client's.
      assert.ok(iat === started - 5 || iat === started - 4, `iat ${iat} vs now ${started}`);
      assert.equal(claims.exp, iat + 300);
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
      assert.equal(client.alg, EXPECTED_ALG[kind]);
    });
  }

  it('sends scope as a comma string with scopeFormat: comma, and a fresh jti each time', async () => {
    const before = fake.tokenRequests().length;
    const a = createTokenClient(opts('ES256', { scopeFormat: 'comma' }));
    const b = createTokenClient(opts('ES256', { scopeFormat: 'comma' }));
    await a.getToken();
    await b.getToken();
    const sent = fake
      .tokenRequests()
      .slice(before)
      .map((r) => decode(new URLSearchParams(r.body).get('client_assertion') ?? '').claims);
    assert.equal(sent.length, 2);
    assert.equal(sent[0]?.scope, 'restlets,rest_webservices');
    assert.notEqual(sent[0]?.jti, sent[1]?.jti);
  });

  it('returns the whole token response', async () => {
    const r = await createTokenClient(opts('ES384')).getTokenResponse();
    assert.equal(r.token_type, 'Bearer');
    assert.equal(r.expires_in, 3600);
    assert.equal(r.access_token, fake.issued.at(-1));
  });

  it('surfaces 400 invalid_client as a TokenRequestError, not retried', async () => {
    fake.script('invalid_client_400');
    const { sleeps, retry } = recordingRetry();
    const before = fake.tokenRequests().length;
    const err = await createTokenClient(opts('ES256', { retry }))
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.code, 'ERR_TOKEN_REQUEST');
    assert.equal(err.error, 'invalid_client');
    assert.equal(err.status, 400);
    assert.equal(err.attempts, 1);
    assert.equal(err.hint, 'see `certmint audit list --account <account>`');
    assert.equal(
      err.message,
      'token request failed: invalid_client, HTTP 400; see `certmint audit list --account <account>`',
    );
    assert.deepEqual(sleeps, []);
    assert.equal(fake.tokenRequests().length - before, 1);
  });

  it('surfaces 401 invalid_client (a refused assertion) without retrying', async () => {
    const { sleeps, retry } = recordingRetry();
    const auditBefore = fake.audit.length;
    // Signed by a key whose certificate is not mapped: the fake refuses it as NetSuite does.
    const err = await createTokenClient(
      opts('ES256', { certificateId: 'not-a-mapped-certificate', retry }),
    )
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.error, 'invalid_client');
    assert.equal(err.status, 401);
    assert.equal(err.attempts, 1);
    assert.deepEqual(sleeps, []);
    assert.deepEqual(fake.audit.slice(auditBefore), ['MissingKey']);
  });

  it('is refused (SignatureValidation) when the key does not belong to the certificate id', async () => {
    const auditBefore = fake.audit.length;
    const err = await createTokenClient(
      opts('RSA3072', { certificateId: keys.get('RSAPSS3072')?.certificateId ?? '' }),
    )
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.status, 401);
    assert.deepEqual(fake.audit.slice(auditBefore), ['SignatureValidation']);
  });

  it('retries 500 server_error with backoff and full jitter, then reports the attempts', async () => {
    fake.script('server_error', 'server_error', 'server_error');
    const { sleeps, retry } = recordingRetry(3);
    const before = fake.tokenRequests().length;
    const err = await createTokenClient(opts('ES256', { retry }))
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.error, 'server_error');
    assert.equal(err.status, 500);
    assert.equal(err.attempts, 3);
    // random 0.5 × min(5000, 200·2^(n−1)).
    assert.deepEqual(sleeps, [100, 200]);
    const sent = fake.tokenRequests().slice(before);
    assert.equal(sent.length, 3);
    const jtis = sent.map(
      (r) => decode(new URLSearchParams(r.body).get('client_assertion') ?? '').claims.jti,
    );
    assert.equal(new Set(jtis).size, 3, 'a fresh assertion per attempt');
  });

  it('recovers when a retry succeeds after a 500 and a dropped connection', async () => {
    fake.script('server_error', 'reset');
    const { sleeps, retry } = recordingRetry(3);
    const token = await createTokenClient(opts('ES512', { retry })).getToken();
    assert.equal(token, fake.issued.at(-1));
    assert.deepEqual(sleeps, [100, 200]);
  });

  it('caps the backoff at maxDelayMs', async () => {
    fake.script('server_error', 'server_error', 'server_error', 'server_error');
    const sleeps: number[] = [];
    await createTokenClient(
      opts('ES256', {
        retry: {
          attempts: 5,
          baseDelayMs: 1_000,
          maxDelayMs: 3_000,
          random: () => 0.999,
          sleep: async (ms) => {
            sleeps.push(ms);
          },
        },
      }),
    ).getToken();
    assert.deepEqual(sleeps, [999, 1998, 2997, 2997]);
  });

  it('reports a NetworkError after retrying an unreachable endpoint', async () => {
    const port = await closedPort();
    const { sleeps, retry } = recordingRetry(3);
    const err = await createTokenClient({
      ...opts('ES256', { retry }),
      tokenUrl: `http://127.0.0.1:${port}/services/rest/auth/oauth2/v1/token`,
    } as TokenClientOptions)
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof NetworkError);
    assert.equal(err.code, 'ERR_NETWORK');
    assert.equal(err.attempts, 3);
    assert.match(err.message, /^token request to http:\/\/127\.0\.0\.1:\d+ failed after 3 attempt/);
    assert.match(err.message, /ECONNREFUSED/);
    assert.deepEqual(sleeps, [100, 200]);
  });

  it('refuses a 2xx answer that carries no bearer token, without retrying', async () => {
    fake.script('no_token');
    const { sleeps, retry } = recordingRetry();
    const err = await createTokenClient(opts('ES256', { retry }))
      .getToken()
      .catch((e: unknown) => e);
    assert.ok(err instanceof TokenRequestError);
    assert.equal(err.status, 200);
    assert.equal(err.error, 'unexpected_response');
    assert.equal(err.errorDescription, 'a 2xx answer without a usable bearer token');
    assert.deepEqual(sleeps, []);
  });

  it('does not follow a redirect, which would carry the assertion elsewhere', async () => {
    const target = fake.requests.length;
    const server = await import('node:http').then(({ createServer }) =>
      createServer((_req, res) => {
        res.writeHead(307, { location: fake.tokenUrl }).end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const err = await createTokenClient({
        ...opts('ES256'),
        tokenUrl: `http://127.0.0.1:${port}/services/rest/auth/oauth2/v1/token`,
      } as TokenClientOptions)
        .getToken()
        .catch((e: unknown) => e);
      assert.ok(err instanceof TokenRequestError);
      assert.equal(err.status, 307);
      assert.equal(err.error, 'unexpected_response');
      assert.equal(err.attempts, 1);
      assert.equal(fake.requests.length, target, 'nothing reached the redirect target');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('builds the NetSuite host from 123456_SB1 and hints at the Login Audit Trail', async () => {
    const urls: string[] = [];
    const netsuiteUrl =
      'https://123456-sb1.suitetalk.api.netsuite.com/services/rest/auth/oauth2/v1/token';
    const strict = await NetsuiteFake.start({
      account: '123456_SB1',
      clientId: CLIENT_ID,
      certificates: [keys.get('ES256')?.certPem ?? ''],
      audience: netsuiteUrl,
    });
    try {
      const k = keys.get('ES256') as TestKey;
      const client = createTokenClient({
        accountId: '123456_SB1',
        clientId: CLIENT_ID,
        certificateId: k.certificateId,
        privateKey: k.keyPem,
        scopes: ['rest_webservices'],
        // Send to the local stand-in, but record where the SDK meant to go.
        fetch: (url, init) => {
          urls.push(String(url));
          return fetch(strict.tokenUrl, init);
        },
      });
      assert.equal(client.tokenUrl, netsuiteUrl);
      await client.getToken();
      assert.deepEqual(urls, [netsuiteUrl]);
      strict.script('invalid_client_401');
      client.invalidate();
      const err = await client.getToken().catch((e: unknown) => e);
      assert.ok(err instanceof TokenRequestError);
      assert.equal(err.status, 401);
      assert.equal(err.hint, 'see Setup > Users/Roles > View Login Audit Trail, column Detail');
    } finally {
      await strict.close();
    }
  });
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const addr = s.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
