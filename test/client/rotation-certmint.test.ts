/**
 * rotateCertificate end to end against a running certmint (listening on a free port), for an EC
 * and an RSA certificate: afterwards the old certificate is refused (audit CertificateRevoked) and
 * the new one accepted. A failure injected at each step leaves the old certificate working.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  type FetchLike,
  type RotateCertificateOptions,
  RotationError,
  type RotationStep,
  rotateCertificate,
} from '../../src/client/index.ts';
import type { AssertionAlg } from '../../src/crypto/algorithms.ts';
import {
  assignRole,
  createEntity,
  createIntegration,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import { freePort } from '../support/net.ts';
import { sqliteStores } from '../support/stores.ts';
import { type Credential, type Fixture, tokenFixture } from '../support/token-fixture.ts';

/** A network failure, the way undici reports one. */
const injected = () =>
  new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED (injected)') });

describe('certificate rotation against a running certmint', () => {
  let f: Fixture;
  let role: number;
  let entity: number;
  before(async () => {
    const port = await freePort();
    f = await tokenFixture(sqliteStores.open, { publicUrl: `http://127.0.0.1:${port}` });
    await f.app.listen({ port, host: '127.0.0.1' });
    const deps = { store: f.store, clock: f.clock };
    const r = await createRole(deps, SYSTEM, {
      accountId: f.accountId,
      name: 'Rotator',
      permissions: ['oauth2_access_token_login', 'oauth2_manage_own_certificates'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'rotating svc' });
    await assignRole(deps, SYSTEM, { accountId: f.accountId, entityId: e.id, roleId: r.id });
    role = r.id;
    entity = e.id;
  });
  after(() => f.close());

  /** A fresh integration (so the five-certificate limit never interferes) with one mapping. */
  async function mapped(alg: AssertionAlg = 'ES256', scopes = ['restlets', 'rest_webservices']) {
    const { integration } = await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.accountId,
      name: `rotation ${alg}`,
      m2mGrant: true,
      scopes: scopes as ['restlets'],
    });
    const cred = await f.newCredential(alg, {
      clientId: integration.clientId,
      entityId: entity,
      roleId: role,
    });
    return { clientId: integration.clientId, integrationId: integration.id, cred };
  }

  const options = (m: Awaited<ReturnType<typeof mapped>>): RotateCertificateOptions => ({
    tokenUrl: f.tokenUrl,
    clientId: m.clientId,
    certificateId: m.cred.certificateId,
    privateKey: m.cred.privateKeyPem,
    role,
    entity,
    clock: f.clock,
    retry: { attempts: 1 },
  });

  const tokenStatus = async (clientId: string, c: Credential) =>
    (await f.token(await f.sign({ iss: clientId }, {}, c))).statusCode;

  const active = async (integrationId: number) =>
    (await f.store.mappings.list(f.accountId)).filter(
      (m) => m.integrationId === integrationId && m.revokedAt === null,
    );

  for (const [alg, keyCheck] of [
    [
      'ES256',
      (x: X509Certificate) => x.publicKey.asymmetricKeyDetails?.namedCurve === 'prime256v1',
    ],
    ['PS256', (x: X509Certificate) => x.publicKey.asymmetricKeyDetails?.modulusLength === 3072],
  ] as const) {
    it(`rotates an ${alg} certificate: the old one is refused, the new one accepted`, async () => {
      const m = await mapped(alg);
      const r = await rotateCertificate(options(m));
      assert.notEqual(r.certificateId, m.cred.certificateId);
      assert.ok(
        keyCheck(new X509Certificate(r.certificatePem)),
        'same algorithm as the current key',
      );
      assert.match(r.privateKey, /^-----BEGIN PRIVATE KEY-----/);

      assert.equal(await tokenStatus(m.clientId, m.cred), 401);
      assert.equal((await f.audit())[0]?.detail, 'CertificateRevoked');
      const fresh: Credential = {
        certificateId: r.certificateId,
        alg,
        privateKeyPem: r.privateKey,
        certificatePem: r.certificatePem,
      };
      assert.equal(await tokenStatus(m.clientId, fresh), 200);
      const [now] = await active(m.integrationId);
      assert.equal(now?.certificateId, r.certificateId);
      assert.equal(r.validUntil.getTime(), now?.validUntil);
      // Both changes are in the trail, made by the rotating entity itself.
      const changes = (await f.audit()).filter(
        (e) => e.type.startsWith('mapping.') && e.clientId === m.clientId && e.actor === entity,
      );
      assert.deepEqual(
        changes.map((e) => `${e.type} ${e.certificateId}`).sort(),
        [`mapping.create ${r.certificateId}`, `mapping.revoke ${m.cred.certificateId}`].sort(),
      );
    });
  }

  it('the server says which scope and which permissions the rotation API needs', async () => {
    const m = await mapped();
    const bearer = async (c: Credential, scope: string[]) => {
      const res = await f.token(await f.sign({ iss: m.clientId, scope }, {}, c));
      return (res.json() as { access_token: string }).access_token;
    };
    const url = `/accounts/${f.accountId}/services/rest/auth/oauth2/v1/clients/${m.clientId}/certificates`;
    const noScope = await f.app.inject({
      url,
      headers: { authorization: `Bearer ${await bearer(m.cred, ['restlets'])}` },
    });
    assert.equal(noScope.statusCode, 403);
    assert.deepEqual(noScope.json(), {
      error: 'insufficient_scope',
      error_description: 'this resource needs an access token with the rest_webservices scope',
    });
    const plain = await f.newCredential('ES256', { clientId: m.clientId });
    const noPermission = await f.app.inject({
      url,
      headers: { authorization: `Bearer ${await bearer(plain, ['rest_webservices'])}` },
    });
    assert.equal(noPermission.statusCode, 403);
    assert.deepEqual(noPermission.json(), {
      error: 'permission.missing',
      message:
        'the certificate rotation API needs a role with "Manage own OAuth 2.0 Client Credentials Certificates" or "OAuth 2.0 Authorized Applications Management"',
    });
  });

  /** Runs a rotation that must fail at `step`; the old certificate must still work after it. */
  async function failsAt(
    step: RotationStep,
    m: Awaited<ReturnType<typeof mapped>>,
    over: Partial<RotateCertificateOptions>,
  ): Promise<RotationError> {
    const e = await rotateCertificate({ ...options(m), ...over } as RotateCertificateOptions).then(
      () => assert.fail(`expected a failure at ${step}`),
      (x: unknown) => x,
    );
    assert.ok(e instanceof RotationError, String(e));
    assert.equal(e.step, step, e.message);
    assert.match(e.message, new RegExp(`^certificate rotation failed at step ${step}: `));
    assert.equal(await tokenStatus(m.clientId, m.cred), 200, 'the old certificate still works');
    return e;
  }

  it('prepare: bad options fail before anything is sent', async () => {
    const m = await mapped();
    let sent = 0;
    const counting: FetchLike = (i, init) => {
      sent += 1;
      return fetch(i, init);
    };
    const e = await failsAt('prepare', m, { role: 'admin', fetch: counting });
    assert.match(e.message, /role must be the role's integer id/);
    await failsAt('prepare', m, { days: 731, fetch: counting });
    await failsAt('prepare', m, { privateKey: 'not a key', fetch: counting });
    assert.equal(sent, 0);
  });

  it('authenticate: no token with the current certificate; nothing uploaded', async () => {
    const m = await mapped();
    const e = await failsAt('authenticate', m, {
      fetch: (i, init) =>
        String(i).endsWith('/token') ? Promise.reject(injected()) : fetch(i, init),
    });
    assert.match(e.message, /ECONNREFUSED \(injected\)/);
    assert.equal((await active(m.integrationId)).length, 1);
  });

  it('authenticate: an integration without rest_webservices says the rotation API needs it', async () => {
    const m = await mapped('ES256', ['restlets']);
    const e = await failsAt('authenticate', m, {});
    assert.equal(e.error, 'invalid_scope');
    assert.match(
      e.message,
      /the rotation API needs the rest_webservices scope on the integration record/,
    );
  });

  it('upload: a role without either permission is told which it needs', async () => {
    const m = await mapped();
    const plain = await f.newCredential('ES256', { clientId: m.clientId });
    const e = await failsAt(
      'upload',
      { ...m, cred: plain },
      {
        certificateId: plain.certificateId,
        privateKey: plain.privateKeyPem,
        role: f.roleId,
        entity: f.entityId,
      },
    );
    assert.equal(e.status, 403);
    assert.equal(e.error, 'permission.missing');
    assert.match(
      e.message,
      /needs a role with "Manage own OAuth 2\.0 Client Credentials Certificates" or "OAuth 2\.0 Authorized Applications Management"/,
    );
    assert.equal((await active(m.integrationId)).length, 2, 'nothing added');
  });

  it('upload: a network failure leaves nothing behind', async () => {
    const m = await mapped();
    await failsAt('upload', m, {
      fetch: (i, init) =>
        String(i).endsWith('/certificates') ? Promise.reject(injected()) : fetch(i, init),
    });
    assert.equal((await active(m.integrationId)).length, 1);
  });

  it('verify: the new certificate gets no token; it is revoked again', async () => {
    const m = await mapped();
    let tokens = 0;
    const e = await failsAt('verify', m, {
      fetch: (i, init) =>
        String(i).endsWith('/token') && ++tokens === 2
          ? Promise.reject(injected())
          : fetch(i, init),
    });
    assert.ok(e.newCertificateId);
    assert.equal(e.cleanedUp, true);
    assert.notEqual((await f.store.mappings.get(e.newCertificateId))?.revokedAt, null);
    assert.deepEqual(
      (await active(m.integrationId)).map((x) => x.certificateId),
      [m.cred.certificateId],
    );
  });

  it('save: onProven throws; the new certificate is revoked again, the old one kept', async () => {
    const m = await mapped();
    const e = await failsAt('save', m, {
      onProven: () => {
        throw new Error('disk full');
      },
    });
    assert.match(e.message, /disk full/);
    assert.equal(e.cleanedUp, true);
    assert.equal((await active(m.integrationId)).length, 1);
  });

  it('revoke: the new certificate works and is handed over; the old one stays active', async () => {
    const m = await mapped();
    let saved: string | undefined;
    const e = await failsAt('revoke', m, {
      onProven: (r) => {
        saved = r.certificateId;
      },
      fetch: (i, init) =>
        String(i).endsWith('/revoke') ? Promise.reject(injected()) : fetch(i, init),
    });
    assert.equal(e.rotated?.certificateId, saved);
    assert.equal(e.newCertificateId, saved);
    assert.ok(!Object.keys(e).includes('rotated'), 'the key is not an enumerable property');
    assert.match(e.message, /works, but revoking the old certificate .* failed/);
    assert.equal((await active(m.integrationId)).length, 2);
  });
});
