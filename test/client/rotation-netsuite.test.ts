/**
 * rotateCertificate and autoRotate against a NetSuite stand-in that checks every request against
 * Oracle's documented rotation endpoint (URL, bearer token of scope rest_webservices, JSON body
 * {"fileContent", "role" as a number, "entity" as a string}, empty revoke body).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, before, beforeEach, describe, it } from 'node:test';
import {
  createTokenClient,
  fileCredentialStore,
  netsuiteTokenUrl,
  RotationError,
  rotateCertificate,
} from '../../src/client/index.ts';
import { certificatesUrlFor } from '../../src/client/rotation/api.ts';
import { NetsuiteFake } from '../support/netsuite-fake.ts';
import { scriptRotation } from '../support/netsuite-rotation.ts';
import { type TestKey, testKey } from './support/keys.ts';

const CLIENT_ID = 'c'.repeat(64);
const PATH = `/services/rest/auth/oauth2/v1/clients/${CLIENT_ID}/certificates`;
const claims = (jwt: string, i: number) =>
  JSON.parse(Buffer.from(jwt.split('.')[i] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

describe('certificate rotation against the NetSuite stand-in', () => {
  let key: TestKey;
  let fake: NetsuiteFake;
  let now = Date.UTC(2026, 11, 10);
  before(async () => {
    key = await testKey('ES256');
  });
  beforeEach(async () => {
    now = Date.UTC(2026, 11, 10);
    fake = await NetsuiteFake.start({
      account: '123456_SB1',
      clientId: CLIENT_ID,
      certificates: [key.certPem],
      now: () => now,
    });
  });
  afterEach(() => fake.close());

  const options = () => ({
    tokenUrl: fake.tokenUrl,
    clientId: CLIENT_ID,
    certificateId: key.certificateId,
    privateKey: key.keyPem,
    role: 1000,
    entity: '-5',
    clock: { now: () => now },
  });

  it('sends exactly the documented requests, in order, and revokes the old certificate last', async () => {
    const r = await rotateCertificate(options());
    const seen = fake.requests.map((x) => `${x.method} ${x.path}`);
    const token = '/services/rest/auth/oauth2/v1/token';
    assert.deepEqual(seen, [
      `POST ${token}`,
      `POST ${PATH}`,
      `POST ${token}`,
      `POST ${PATH}/${key.certificateId}/revoke`,
    ]);
    const [auth, upload, verify, revoke] = fake.requests;
    const assertion = (x: typeof auth) =>
      new URLSearchParams(x?.body).get('client_assertion') ?? '';
    assert.equal(claims(assertion(auth), 0).kid, key.certificateId);
    assert.deepEqual(claims(assertion(auth), 1).scope, ['rest_webservices']);
    assert.equal(upload?.headers.authorization, `Bearer ${fake.issued[0]}`);
    assert.equal(upload?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(upload?.body ?? ''), {
      fileContent: r.certificatePem,
      role: 1000,
      entity: '-5',
    });
    assert.equal(claims(assertion(verify), 0).kid, r.certificateId);
    assert.equal(revoke?.body, '');
    assert.equal(revoke?.headers.authorization, `Bearer ${fake.issued[0]}`);

    // The old certificate is refused from now on; the new one works.
    const old = createTokenClient({ ...options(), scopes: ['restlets'], retry: { attempts: 1 } });
    await assert.rejects(old.getToken(), /invalid_client/);
    assert.equal(fake.audit.at(-1), 'MissingKey');
    const renewed = createTokenClient({
      tokenUrl: fake.tokenUrl,
      clientId: CLIENT_ID,
      certificateId: r.certificateId,
      privateKey: r.privateKey,
      scopes: ['restlets'],
      clock: { now: () => now },
    });
    assert.ok(await renewed.getToken());
  });

  it("derives NetSuite's RESTlet-domain URL from the account", () => {
    assert.equal(
      certificatesUrlFor(netsuiteTokenUrl('123456_SB1'), CLIENT_ID),
      `https://123456-sb1.restlets.api.netsuite.com${PATH}`,
    );
    assert.equal(
      certificatesUrlFor(
        'http://127.0.0.1:8080/accounts/TSTDRV1/services/rest/auth/oauth2/v1/token',
        'a/b',
      ),
      'http://127.0.0.1:8080/accounts/TSTDRV1/services/rest/auth/oauth2/v1/clients/a%2Fb/certificates',
    );
  });

  it('a token without rest_webservices or a role without the permission: the error says so', async () => {
    scriptRotation(fake, {
      status: 403,
      headers: { 'www-authenticate': 'Bearer realm="123456_SB1", error="insufficient_scope"' },
      body: { error: 'insufficient_scope' },
    });
    const e1 = await rotateCertificate(options()).then(
      () => assert.fail('expected a RotationError'),
      (e: unknown) => e,
    );
    assert.ok(e1 instanceof RotationError);
    assert.equal(e1.step, 'upload');
    assert.equal(e1.status, 403);
    assert.equal(e1.error, 'insufficient_scope');
    assert.match(e1.message, /needs an access token with the rest_webservices scope/);
    scriptRotation(fake, {
      status: 403,
      body: {
        title: 'Forbidden',
        status: 403,
        'o:errorDetails': [{ detail: 'Permission Violation', 'o:errorCode': 'USER_ERROR' }],
      },
    });
    const e2 = await rotateCertificate(options()).then(
      () => assert.fail('expected a RotationError'),
      (e: unknown) => e,
    );
    assert.ok(e2 instanceof RotationError);
    assert.equal(e2.step, 'upload');
    assert.match(
      e2.message,
      /needs a role with "Manage own OAuth 2\.0 Client Credentials Certificates" or "OAuth 2\.0 Authorized Applications Management" \(the server said: Permission Violation\)/,
    );
    // Nothing was revoked: the old certificate still gets tokens.
    assert.equal(fake.revokedCertificates.size, 0);
  });

  it('autoRotate learns validity, role and entity from the list, rotates once, stores the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certmint-ns-rotate-'));
    try {
      const store = fileCredentialStore(join(dir, 'credential.json'));
      const client = createTokenClient({
        tokenUrl: fake.tokenUrl,
        clientId: CLIENT_ID,
        certificateId: key.certificateId,
        privateKey: key.keyPem,
        scopes: ['restlets'],
        clock: { now: () => now },
        autoRotate: { before: '30d', store },
      });
      // The stand-in lists the certificate as valid until 2026-12-31: 21 days left.
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken()));
      assert.equal(new Set(tokens).size, 1);
      const uploads = fake.requests.filter((x) => x.method === 'POST' && x.path === PATH);
      assert.equal(uploads.length, 1);
      assert.deepEqual(
        (({ role, entity }) => ({ role, entity }))(JSON.parse(uploads[0]?.body ?? '')),
        { role: 3, entity: '-5' },
      );
      const saved = await store.load();
      assert.equal(saved?.certificateId, client.certificateId);
      assert.notEqual(client.certificateId, key.certificateId);
      // The tokens handed out came from the new certificate.
      const last = fake.tokenRequests().at(-1);
      const kid = claims(new URLSearchParams(last?.body).get('client_assertion') ?? '', 0).kid;
      assert.equal(kid, client.certificateId);
      assert.equal(fake.issued.at(-1), tokens[0]);
      assert.ok(fake.revokedCertificates.has(key.certificateId));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
