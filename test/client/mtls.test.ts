/**
 * The SDK and certificate-bound tokens (RFC 8705) against a running certmint over real mutual
 * TLS: the token client's `tls` option gets a bound token and presents the certificate again on
 * its calls; the verifier and both middlewares accept the token only with that certificate,
 * read from a Node https socket or from a proxy's header. Plain bearer tokens are unchanged.
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  get as httpGet,
  type IncomingMessage,
  type Server,
} from 'node:http';
import { Agent, createServer as createHttpsServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import {
  bearerAuth,
  ConfigurationError,
  certificateThumbprint,
  createTokenClient,
  createTokenVerifier,
  InvalidTokenError,
  type TokenVerifier,
} from '../../src/client/index.ts';
import { httpsFetch } from '../../src/client/tls-fetch.ts';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { freePort } from '../support/net.ts';
import { runOpenssl } from '../support/openssl.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

/** A server certificate for 127.0.0.1 (IP SAN), so clients verify it like any other. */
async function localhostCertificate(): Promise<{ cert: string; key: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'certmint-mtls-'));
  await runOpenssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
      .concat(['-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'])
      .concat(['-keyout', 'key.pem', '-out', 'cert.pem']),
    { cwd: dir },
  );
  return {
    cert: await readFile(join(dir, 'cert.pem'), 'utf8'),
    key: await readFile(join(dir, 'key.pem'), 'utf8'),
  };
}

interface Answer {
  status: number;
  body: string;
}
function call(
  port: number,
  o: { headers?: Record<string, string>; tls?: object },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/', headers: o.headers ?? {}, agent: false, ...o.tls },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const listen = async (s: Server): Promise<number> => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
};
const close = (s: Server) => new Promise<void>((r) => s.close(() => r()));

describeEachStore('SDK with certificate-bound tokens', (factory) => {
  let f: Fixture;
  let server: { cert: string; key: string };
  let base: string;
  let verifier: TokenVerifier;
  let other: { cert: string; key: string };
  before(async () => {
    server = await localhostCertificate();
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    f = await tokenFixture(factory.open, {
      publicUrl: base,
      app: { tls: { ...server, clientCertificates: 'request' } },
    });
    await f.app.listen({ port, host: '127.0.0.1' });
    await updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
      mtlsBinding: 'required',
    });
    verifier = createTokenVerifier({
      issuer: f.issuer,
      clock: f.clock,
      fetch: httpsFetch(new Agent({ ca: server.cert })),
    });
    const g = await generateCertificate({ alg: 'ES256', now: f.clock.now() - 60_000 });
    other = { cert: g.certificatePem, key: g.privateKeyPem };
  });
  after(async () => {
    await f.close();
  });

  const boundClient = () =>
    createTokenClient({
      tokenUrl: f.tokenUrl,
      clientId: f.clientId,
      certificateId: f.cred.certificateId,
      privateKey: f.cred.privateKeyPem,
      scopes: ['restlets'],
      clock: f.clock,
      tls: { cert: f.cred.certificatePem, key: f.cred.privateKeyPem, ca: server.cert },
    });

  it('the tls option gets a bound token and presents the certificate on client.fetch', async () => {
    const client = boundClient();
    const res = await client.getTokenResponse();
    const claims = JSON.parse(
      Buffer.from(res.access_token.split('.')[1] ?? '', 'base64url').toString(),
    ) as { cnf?: unknown };
    assert.deepEqual(claims.cnf, { 'x5t#S256': f.cred.certificateId });
    const whoami = await client.fetch(`${f.issuer}/services/rest/whoami`);
    assert.equal(whoami.status, 200, await whoami.clone().text());
    assert.equal(
      ((await whoami.json()) as { certificate_id: string }).certificate_id,
      f.cred.certificateId,
    );
  });

  it('without tls the same integration refuses the token request (required binding)', async () => {
    const client = createTokenClient({
      tokenUrl: f.tokenUrl,
      clientId: f.clientId,
      certificateId: f.cred.certificateId,
      privateKey: f.cred.privateKeyPem,
      scopes: ['restlets'],
      clock: f.clock,
      fetch: httpsFetch(new Agent({ ca: server.cert })),
    });
    await assert.rejects(client.getToken(), (e: unknown) => {
      assert.equal((e as { error?: string }).error, 'invalid_client');
      assert.equal((e as { status?: number }).status, 401);
      return true;
    });
  });

  it('the verifier checks x5t#S256 against the certificate given as PEM, DER or X509Certificate', async () => {
    const token = await boundClient().getToken();
    const x509 = new X509Certificate(f.cred.certificatePem);
    for (const clientCertificate of [f.cred.certificatePem, x509.raw, x509, () => x509]) {
      const v = await verifier.verify(token, { clientCertificate });
      assert.equal(v.certificateThumbprint, f.cred.certificateId);
      assert.equal(
        certificateThumbprint(clientCertificate instanceof Function ? x509 : clientCertificate),
        f.cred.certificateId,
      );
    }
    for (const clientCertificate of [undefined, other.cert]) {
      await assert.rejects(
        verifier.verify(token, clientCertificate === undefined ? {} : { clientCertificate }),
        (e: unknown) => e instanceof InvalidTokenError && e.reason === 'certificate',
      );
    }
    await assert.rejects(
      verifier.verify(token, { clientCertificate: 'not a certificate' }),
      ConfigurationError,
    );
  });

  it('bearerAuth on a Node https server reads the certificate from the socket', async () => {
    const token = await boundClient().getToken();
    const middleware = bearerAuth(verifier);
    const s = createHttpsServer(
      { ...server, requestCert: true, rejectUnauthorized: false },
      (req: IncomingMessage, res) => middleware(req, res, () => res.end('ok')),
    );
    const port = await listen(s);
    try {
      const tls = (c?: { cert: string; key: string }) => ({ ca: server.cert, ...c });
      const headers = { authorization: `Bearer ${token}` };
      const mapped = { cert: f.cred.certificatePem, key: f.cred.privateKeyPem };
      assert.deepEqual(await call(port, { headers, tls: tls(mapped) }), {
        status: 200,
        body: 'ok',
      });
      for (const c of [undefined, other]) {
        const refused = await call(port, { headers, tls: tls(c) });
        assert.equal(refused.status, 401);
        assert.deepEqual(JSON.parse(refused.body), {
          error: 'invalid_token',
          error_description: 'Invalid login attempt.',
        });
      }
    } finally {
      await close(s);
    }
  });

  it('bearerAuth behind a proxy reads the configured header; bearer tokens are unchanged', async () => {
    const token = await boundClient().getToken();
    const middleware = bearerAuth(verifier, { clientCertificateHeader: 'X-SSL-Client-Cert' });
    const s = createHttpServer((req, res) => middleware(req, res, () => res.end('ok')));
    const port = await listen(s);
    // Plain HTTP to the app: the proxy in front terminated TLS.
    const get = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    try {
      const auth = { authorization: `Bearer ${token}` };
      assert.equal(
        await get({ ...auth, 'x-ssl-client-cert': encodeURIComponent(f.cred.certificatePem) }),
        200,
      );
      assert.equal(await get(auth), 401);
      assert.equal(
        await get({ ...auth, 'x-ssl-client-cert': encodeURIComponent(other.cert) }),
        401,
      );
      // A plain bearer token (binding off) needs no certificate, as before.
      await updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
        mtlsBinding: 'off',
      });
      const plain = await boundClient().getToken();
      assert.equal(await get({ authorization: `Bearer ${plain}` }), 200);
    } finally {
      await updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
        mtlsBinding: 'required',
      });
      await close(s);
    }
  });

  it('refuses a tls option with fetch, or with an http token URL', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const common = {
      clientId: f.clientId,
      certificateId: f.cred.certificateId,
      privateKey,
      scopes: ['restlets'],
      tls: { cert: f.cred.certificatePem, key: f.cred.privateKeyPem },
    };
    assert.throws(
      () => createTokenClient({ ...common, tokenUrl: f.tokenUrl, fetch: (u, i) => fetch(u, i) }),
      /give either fetch or tls/,
    );
    assert.throws(
      () => createTokenClient({ ...common, tokenUrl: 'http://127.0.0.1:1/token' }),
      /with tls, the token URL must be https/,
    );
  });
});
