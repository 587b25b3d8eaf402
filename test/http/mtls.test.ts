/**
 * Certificate-bound access tokens over mutual TLS (RFC 8705 §3), end to end on a real HTTPS
 * listener with Node's https client presenting the mapped certificate, another one, or none.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { Agent } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { MtlsBinding } from '../../src/domain/integration.ts';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { listenTls, serverTls, type TlsAnswer, type TlsClient } from '../support/mtls.ts';
import { describeEachStore } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const thumbprint = (pem: string) =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describeEachStore('mTLS certificate-bound tokens', (factory) => {
  let f: Fixture;
  let send: Awaited<ReturnType<typeof listenTls>>;
  let mapped: TlsClient;
  let other: TlsClient;
  before(async () => {
    const tls = await serverTls('request');
    f = await tokenFixture(factory.open, { app: { tls } });
    send = await listenTls(f.app, tls.ca);
    mapped = { cert: f.cred.certificatePem, key: f.cred.privateKeyPem };
    // A valid certificate and key, just not the mapped one.
    const g = await generateCertificate({ alg: 'ES256', now: f.clock.now() - 60_000 });
    other = { cert: g.certificatePem, key: g.privateKeyPem };
  });
  after(async () => {
    await f.close();
  });

  const oauthPath = (endpoint: string) =>
    `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/${endpoint}`;
  const setBinding = (mtlsBinding: MtlsBinding) =>
    updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
      mtlsBinding,
    });
  const tokenOver = async (client: TlsClient): Promise<TlsAnswer> =>
    send(
      {
        method: 'POST',
        path: oauthPath('token'),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: await f.sign(),
        }).toString(),
      },
      client,
    );
  const whoamiOver = (token: string, client: TlsClient) =>
    send(
      {
        path: `/accounts/${f.accountId}/services/rest/whoami`,
        headers: { authorization: `Bearer ${token}` },
      },
      client,
    );
  const lastAudit = async () => {
    const [e] = await f.audit();
    assert.ok(e);
    return e;
  };

  it('metadata advertises certificate-bound tokens when TLS asks for client certificates', async () => {
    const res = await send({
      path: `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
    });
    assert.equal(res.status, 200);
    assert.equal(res.json().tls_client_certificate_bound_access_tokens, true);
  });

  it('allowed: the mapped certificate on the connection binds the token (cnf x5t#S256)', async () => {
    await setBinding('allowed');
    const res = await tokenOver(mapped);
    assert.equal(res.status, 200, res.body);
    const token = res.json().access_token as string;
    const x5t = thumbprint(f.cred.certificatePem);
    assert.deepEqual(claimsOf(token).cnf, { 'x5t#S256': x5t });
    // Our certificate id is the same thumbprint (NetSuite's id is base64url SHA-256 of DER).
    assert.equal(x5t, f.cred.certificateId);
    assert.equal((await lastAudit()).result, 'success');

    const ok = await whoamiOver(token, mapped);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json().certificate_id, f.cred.certificateId);

    // RFC 8705 §3: the same token over a connection without the certificate, or another one.
    for (const client of [{}, other]) {
      const refused = await whoamiOver(token, client);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.json(), {
        error: 'invalid_token',
        error_description:
          'the access token is bound to a client certificate this connection did not present',
      });
      assert.equal(
        refused.headers['www-authenticate'],
        `Bearer realm="${f.accountId}", error="invalid_token"`,
      );
    }

    // RFC 8705 §3.2: introspection reports the confirmation.
    const introspection = await send({
      method: 'POST',
      path: oauthPath('introspect'),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_assertion_type: JWT_BEARER,
        client_assertion: await f.sign({
          aud: `${f.issuer}/services/rest/auth/oauth2/v1/introspect`,
        }),
        token,
      }).toString(),
    });
    assert.equal(introspection.status, 200, introspection.body);
    assert.equal(introspection.json().active, true);
    assert.deepEqual(introspection.json().cnf, { 'x5t#S256': x5t });
  });

  it('allowed: no certificate or another certificate gets a plain bearer token', async () => {
    await setBinding('allowed');
    for (const client of [{}, other]) {
      const res = await tokenOver(client);
      assert.equal(res.status, 200, res.body);
      const token = res.json().access_token as string;
      assert.equal(claimsOf(token).cnf, undefined);
      const ok = await whoamiOver(token, {});
      assert.equal(ok.status, 200, ok.body);
    }
  });

  it('off: a presented mapped certificate binds nothing', async () => {
    await setBinding('off');
    const res = await tokenOver(mapped);
    assert.equal(res.status, 200, res.body);
    assert.equal(claimsOf(res.json().access_token as string).cnf, undefined);
  });

  it('required: refuses a token request without a certificate (invalid_client, ClientCertificateMissing)', async () => {
    await setBinding('required');
    const res = await tokenOver({});
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), {
      error: 'invalid_client',
      error_description:
        'this integration requires mutual TLS: present the mapped certificate on the connection',
    });
    assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
    assert.equal(res.headers['cache-control'], 'no-store');
    const e = await lastAudit();
    assert.deepEqual(
      [e.type, e.result, e.detail, e.clientId, e.certificateId],
      ['token', 'failure', 'ClientCertificateMissing', f.clientId, f.cred.certificateId],
    );
  });

  it('required: refuses another certificate (invalid_client, ClientCertificateMismatch)', async () => {
    await setBinding('required');
    const res = await tokenOver(other);
    assert.equal(res.status, 401);
    assert.deepEqual(res.json(), {
      error: 'invalid_client',
      error_description:
        'the TLS client certificate is not the certificate mapped to the assertion key',
    });
    assert.equal(res.headers['www-authenticate'], `Basic realm="${f.accountId}"`);
    const e = await lastAudit();
    assert.deepEqual(
      [e.type, e.result, e.detail, e.clientId],
      ['token', 'failure', 'ClientCertificateMismatch', f.clientId],
    );
  });

  it('a resumed TLS session still carries the certificate (no full handshake needed)', async () => {
    await setBinding('required');
    const token = (await tokenOver(mapped)).json().access_token as string;
    // Sessions cached, connections not kept: the second request resumes the first's session.
    const agent = new Agent({ keepAlive: false, maxCachedSessions: 4, ...mapped });
    try {
      const first = await whoamiOver(token, { ...mapped, agent });
      const second = await whoamiOver(token, { ...mapped, agent });
      assert.equal(first.status, 200, first.body);
      assert.equal(second.resumed, true, 'the second connection resumed the TLS session');
      assert.equal(second.status, 200, second.body);
    } finally {
      agent.destroy();
    }
  });

  it('required: the mapped certificate gets a bound token, refused elsewhere', async () => {
    await setBinding('required');
    const res = await tokenOver(mapped);
    assert.equal(res.status, 200, res.body);
    const token = res.json().access_token as string;
    assert.deepEqual(claimsOf(token).cnf, { 'x5t#S256': f.cred.certificateId });
    assert.equal((await whoamiOver(token, mapped)).status, 200);
    assert.equal((await whoamiOver(token, other)).status, 401);
  });
});

describe('mTLS: servers that cannot see client certificates', () => {
  it('TLS without --client-certs request: metadata does not advertise bound tokens', async () => {
    const { sqliteStores } = await import('../support/stores.ts');
    const tls = await serverTls('none');
    const f = await tokenFixture(sqliteStores.open, { app: { tls } });
    try {
      const send = await listenTls(f.app, tls.ca);
      const res = await send({
        path: `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
      });
      assert.equal(res.status, 200);
      assert.equal('tls_client_certificate_bound_access_tokens' in res.json(), false);
      // A client offering a certificate is not asked for it: nothing binds, required refuses.
      await updateIntegration({ store: f.store, clock: f.clock }, SYSTEM, f.accountId, f.clientId, {
        mtlsBinding: 'required',
      });
      const token = await send(
        {
          method: 'POST',
          path: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: JWT_BEARER,
            client_assertion: await f.sign(),
          }).toString(),
        },
        { cert: f.cred.certificatePem, key: f.cred.privateKeyPem },
      );
      assert.equal(token.status, 401);
      assert.equal(token.json().error, 'invalid_client');
      const [e] = await f.audit();
      assert.equal(e?.detail, 'ClientCertificateMissing');
    } finally {
      await f.close();
    }
  });
});

describe('mTLS with OpenSSL-made mapped certificates (Oracle’s commands)', () => {
  for (const kind of ['ec-p384', 'rsa-3072'] as const) {
    it(`${kind}: the certificate as uploaded binds the token over TLS`, async () => {
      const { sqliteStores } = await import('../support/stores.ts');
      const { makeCert } = await import('../support/openssl.ts');
      const { createMapping } = await import('../../src/service/index.ts');
      const tls = await serverTls('request');
      const m = await makeCert(kind);
      // The clock starts now, after openssl made the certificate (valid from its making).
      const f = await tokenFixture(sqliteStores.open, { app: { tls }, startAt: Date.now() });
      try {
        const send = await listenTls(f.app, tls.ca);
        const deps = { store: f.store, clock: f.clock };
        const mapping = await createMapping(deps, SYSTEM, {
          accountId: f.accountId,
          clientId: f.clientId,
          entityId: f.entityId,
          roleId: f.roleId,
          certificate: m.certPem,
        });
        await updateIntegration(deps, SYSTEM, f.accountId, f.clientId, { mtlsBinding: 'required' });
        const cred = {
          certificateId: mapping.certificateId,
          alg: kind === 'ec-p384' ? ('ES384' as const) : ('PS256' as const),
          privateKeyPem: m.keyPem,
          certificatePem: m.certPem,
        };
        const res = await send(
          {
            method: 'POST',
            path: `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/token`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'client_credentials',
              client_assertion_type: JWT_BEARER,
              client_assertion: await f.sign({}, {}, cred),
            }).toString(),
          },
          { cert: m.certPem, key: m.keyPem },
        );
        assert.equal(res.status, 200, res.body);
        const token = res.json().access_token as string;
        assert.deepEqual(claimsOf(token).cnf, { 'x5t#S256': thumbprint(m.certPem) });
        const ok = await send(
          {
            path: `/accounts/${f.accountId}/services/rest/whoami`,
            headers: { authorization: `Bearer ${token}` },
          },
          { cert: m.certPem, key: m.keyPem },
        );
        assert.equal(ok.status, 200, ok.body);
      } finally {
        await f.close();
      }
    });
  }
});
