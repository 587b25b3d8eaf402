/**
 * Certificate-bound tokens behind a TLS-terminating proxy: the certificate arrives in the header
 * the operator configured (URL-encoded PEM, as nginx's `$ssl_client_escaped_cert`), and only
 * then; a header the server was not told about is never believed.
 */
import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { MtlsBinding } from '../../src/domain/integration.ts';
import { SYSTEM, updateIntegration } from '../../src/service/index.ts';
import { describeEachStore, sqliteStores } from '../support/stores.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';

const HEADER = 'x-ssl-client-cert';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const cnfOf = (res: LightMyRequestResponse): unknown => {
  const token = (res.json() as { access_token: string }).access_token;
  return (
    JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
      cnf?: unknown;
    }
  ).cnf;
};

function suite(f: () => Fixture) {
  const setBinding = (mtlsBinding: MtlsBinding) =>
    updateIntegration({ store: f().store, clock: f().clock }, SYSTEM, f().accountId, f().clientId, {
      mtlsBinding,
    });
  const token = async (headers: Record<string, string>) =>
    f().app.inject({
      method: 'POST',
      url: `/accounts/${f().accountId}/services/rest/auth/oauth2/v1/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: await f().sign(),
      }).toString(),
    });
  const whoami = (bearer: string, headers: Record<string, string>) =>
    f().app.inject({
      url: `/accounts/${f().accountId}/services/rest/whoami`,
      headers: { authorization: `Bearer ${bearer}`, ...headers },
    });
  const lastDetail = async () => (await f().audit())[0]?.detail;
  return { setBinding, token, whoami, lastDetail };
}

describeEachStore('mTLS behind a proxy (configured header)', (factory) => {
  let f: Fixture;
  let other: string;
  before(async () => {
    f = await tokenFixture(factory.open, { app: { clientCertificateHeader: 'X-SSL-Client-Cert' } });
    other = (await generateCertificate({ alg: 'ES256', now: f.clock.now() - 60_000 }))
      .certificatePem;
  });
  after(async () => {
    await f.close();
  });
  const s = () => suite(() => f);
  const escaped = (pem: string) => ({ [HEADER]: encodeURIComponent(pem) });

  it('metadata advertises certificate-bound tokens', async () => {
    const res = await f.app.inject(
      `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
    );
    assert.equal(
      (res.json() as Record<string, unknown>).tls_client_certificate_bound_access_tokens,
      true,
    );
  });

  it('binds the token to the forwarded mapped certificate; resources check the header', async () => {
    await s().setBinding('required');
    const res = await s().token(escaped(f.cred.certificatePem));
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(cnfOf(res), { 'x5t#S256': f.cred.certificateId });
    const bearer = (res.json() as { access_token: string }).access_token;
    assert.equal((await s().whoami(bearer, escaped(f.cred.certificatePem))).statusCode, 200);
    // PEM whose line breaks a proxy folded into spaces is the same certificate.
    const folded = { [HEADER]: f.cred.certificatePem.trim().replace(/\n/g, ' ') };
    assert.equal((await s().whoami(bearer, folded)).statusCode, 200);
    for (const headers of [{}, escaped(other)]) {
      const refused = await s().whoami(bearer, headers);
      assert.equal(refused.statusCode, 401);
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
  });

  it('required: an empty or unparsable header is no certificate (ClientCertificateMissing)', async () => {
    await s().setBinding('required');
    for (const value of [
      '',
      '-',
      '%E0%A4%A',
      '-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----',
    ]) {
      const res = await s().token({ [HEADER]: value });
      assert.equal(res.statusCode, 401, value);
      assert.deepEqual(res.json(), {
        error: 'invalid_client',
        error_description:
          'this integration requires mutual TLS: present the mapped certificate on the connection',
      });
      assert.equal(await s().lastDetail(), 'ClientCertificateMissing');
    }
  });

  it('required: another forwarded certificate is refused (ClientCertificateMismatch)', async () => {
    await s().setBinding('required');
    const res = await s().token(escaped(other));
    assert.equal(res.statusCode, 401);
    assert.deepEqual(res.json(), {
      error: 'invalid_client',
      error_description:
        'the TLS client certificate is not the certificate mapped to the assertion key',
    });
    assert.equal(await s().lastDetail(), 'ClientCertificateMismatch');
  });
});

it('without a configured header, a client-sent certificate header is ignored', async () => {
  const f = await tokenFixture(sqliteStores.open);
  try {
    const s = suite(() => f);
    const meta = await f.app.inject(
      `/.well-known/oauth-authorization-server/accounts/${f.accountId}`,
    );
    assert.equal('tls_client_certificate_bound_access_tokens' in (meta.json() as object), false);
    const forged = { [HEADER]: encodeURIComponent(f.cred.certificatePem) };
    await s.setBinding('allowed');
    const plain = await s.token(forged);
    assert.equal(plain.statusCode, 200, plain.body);
    assert.equal(cnfOf(plain), undefined);
    await s.setBinding('required');
    const refused = await s.token(forged);
    assert.equal(refused.statusCode, 401);
    assert.equal((refused.json() as { error: string }).error, 'invalid_client');
    assert.equal(await s.lastDetail(), 'ClientCertificateMissing');
  } finally {
    await f.close();
  }
});
