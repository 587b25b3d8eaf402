/**
 * autoRotate against a running certmint: a long-running client rotates its own certificate when
 * it enters the window, once however many getToken() calls arrive together; the new key and id
 * land in the store (0600) before the old certificate is revoked; a restarted client picks them
 * up; a failed rotation keeps the old certificate in use and is tried again later.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import {
  type AutoRotateOptions,
  createTokenClient,
  type FetchLike,
  fileCredentialStore,
  RotationError,
} from '../../src/client/index.ts';
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

const DAY = 86_400_000;

describe('autoRotate against a running certmint', () => {
  let f: Fixture;
  let role: number;
  let entity: number;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-autorotate-'));
    const port = await freePort();
    f = await tokenFixture(sqliteStores.open, { publicUrl: `http://127.0.0.1:${port}` });
    await f.app.listen({ port, host: '127.0.0.1' });
    const deps = { store: f.store, clock: f.clock };
    const r = await createRole(deps, SYSTEM, {
      accountId: f.accountId,
      name: 'Self-rotating',
      permissions: ['oauth2_access_token_login', 'oauth2_manage_own_certificates'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'daemon' });
    await assignRole(deps, SYSTEM, { accountId: f.accountId, entityId: e.id, roleId: r.id });
    role = r.id;
    entity = e.id;
  });
  after(async () => {
    await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function mapped(who: { entityId: number; roleId: number }) {
    const { integration } = await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.accountId,
      name: 'daemon app',
      m2mGrant: true,
      scopes: ['restlets', 'rest_webservices'],
    });
    // Valid 40 days from now: outside a 30-day window until 10 days have passed.
    const cred = await f.newCredential('ES256', {
      clientId: integration.clientId,
      days: 40,
      ...who,
    });
    return { clientId: integration.clientId, cred };
  }

  const clientFor = (
    m: { clientId: string; cred: Credential },
    auto: AutoRotateOptions,
    fetchFn?: FetchLike,
  ) =>
    createTokenClient({
      tokenUrl: f.tokenUrl,
      clientId: m.clientId,
      certificateId: m.cred.certificateId,
      privateKey: m.cred.privateKeyPem,
      scopes: ['restlets'],
      clock: f.clock,
      retry: { attempts: 1 },
      autoRotate: auto,
      ...(fetchFn ? { fetch: fetchFn } : {}),
    });

  const creates = async (clientId: string) =>
    (await f.audit()).filter((e) => e.type === 'mapping.create' && e.clientId === clientId).length;

  it('rotates once under concurrent getToken() calls, stores first, and a restart keeps the new certificate', async () => {
    const start = f.clock.now();
    const m = await mapped({ entityId: entity, roleId: role });
    const path = join(dir, 'daemon.json');
    const rotated: string[] = [];
    const errors: unknown[] = [];
    const auto: AutoRotateOptions = {
      before: '30d',
      store: fileCredentialStore(path),
      certificatePem: m.cred.certificatePem,
      role,
      entity,
      onRotate: (r) => rotated.push(r.certificateId),
      onError: (e) => errors.push(e),
    };
    const client = clientFor(m, auto);
    try {
      const before = await client.getToken();
      assert.equal(decodeJwt(before).cid, m.cred.certificateId);
      assert.equal(await creates(m.clientId), 1, 'not due yet: nothing rotated');

      f.clock.advance(11 * DAY); // 29 days left
      const tokens = await Promise.all(Array.from({ length: 25 }, () => client.getToken()));
      assert.deepEqual(errors, []);
      assert.equal(rotated.length, 1);
      assert.equal(await creates(m.clientId), 2, 'one new certificate');
      assert.equal(new Set(tokens).size, 1, 'one token request after the rotation');
      assert.equal(decodeJwt(tokens[0] ?? '').cid, rotated[0]);
      assert.equal(client.certificateId, rotated[0]);

      const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      assert.equal(file.certificateId, rotated[0]);
      assert.match(String(file.privateKey), /^-----BEGIN PRIVATE KEY-----/);
      assert.equal(statSync(path).mode & 0o777, 0o600);

      // The old certificate is revoked; the client's requests use the new one.
      const old = await f.token(await f.sign({ iss: m.clientId }, {}, m.cred));
      assert.equal(old.statusCode, 401);
      assert.equal((await f.audit())[0]?.detail, 'CertificateRevoked');
      const res = await client.fetch(`${f.issuer}/services/rest/whoami`);
      assert.equal(res.status, 200);

      // A restart with the configuration it started with: the store wins, nothing rotates again.
      const restarted = clientFor(m, { ...auto, onRotate: () => assert.fail('rotated again') });
      assert.equal(decodeJwt(await restarted.getToken()).cid, rotated[0]);
      assert.equal(restarted.certificateId, rotated[0]);
      assert.equal(await creates(m.clientId), 2);
    } finally {
      f.clock.set(start);
    }
  });

  it('a failed rotation keeps the old certificate in use and is tried again after retryAfter', async () => {
    const start = f.clock.now();
    // The fixture's own role: token login only, no permission to manage certificates.
    const m = await mapped({ entityId: f.entityId, roleId: f.roleId });
    let uploads = 0;
    const counting: FetchLike = (i, init) => {
      if (String(i).endsWith('/certificates') && init?.method === 'POST') uploads += 1;
      return fetch(i, init);
    };
    const errors: unknown[] = [];
    const client = clientFor(
      m,
      {
        before: '30d',
        store: fileCredentialStore(join(dir, 'refused.json')),
        certificatePem: m.cred.certificatePem,
        role: f.roleId,
        entity: f.entityId,
        retryAfter: '2h',
        onError: (e) => errors.push(e),
      },
      counting,
    );
    try {
      f.clock.advance(11 * DAY);
      const token = await client.getToken();
      assert.equal(decodeJwt(token).cid, m.cred.certificateId, 'the old certificate still serves');
      assert.equal(uploads, 1);
      const [e] = errors;
      assert.ok(e instanceof RotationError);
      assert.equal(e.step, 'upload');
      assert.equal(e.error, 'permission.missing');
      client.invalidate();
      await client.getToken();
      assert.equal(uploads, 1, 'no new attempt before retryAfter');
      f.clock.advance(2 * 3_600_000);
      client.invalidate();
      await client.getToken();
      assert.equal(uploads, 2);
      assert.equal(errors.length, 2);
    } finally {
      f.clock.set(start);
    }
  });

  it('options it cannot use are refused at construction', () => {
    const m = { clientId: f.clientId, cred: f.cred };
    assert.throws(
      () => clientFor(m, { before: 'soon', store: fileCredentialStore(join(dir, 'x.json')) }),
      /autoRotate\.before must be a duration like '30d'/,
    );
    assert.throws(
      () => clientFor(m, { before: '30d', store: {} as never }),
      /autoRotate's store must have load\(\) and save\(\)/,
    );
  });
});
