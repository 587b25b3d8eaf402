/**
 * `certmint cert rotate` against a running certmint: the new certificate id printed, the key
 * files replaced (private key 0600), the old certificate refused; nothing revoked or overwritten
 * when a step fails.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
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
import { assertMistake, cli, tempDir } from './support.ts';

describe('certmint cert rotate', () => {
  let f: Fixture;
  let role: number;
  let entity: number;
  before(async () => {
    const port = await freePort();
    // The CLI signs with the real clock: the server's starts at the real time too.
    f = await tokenFixture(sqliteStores.open, {
      publicUrl: `http://127.0.0.1:${port}`,
      startAt: Math.floor(Date.now() / 1000) * 1000,
    });
    await f.app.listen({ port, host: '127.0.0.1' });
    const deps = { store: f.store, clock: f.clock };
    const r = await createRole(deps, SYSTEM, {
      accountId: f.accountId,
      name: 'Rotator',
      permissions: ['oauth2_access_token_login', 'oauth2_manage_own_certificates'],
    });
    const e = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'cron' });
    await assignRole(deps, SYSTEM, { accountId: f.accountId, entityId: e.id, roleId: r.id });
    role = r.id;
    entity = e.id;
  });
  after(() => f.close());

  /**
   * A credential mapped to a new integration (the five-certificate limit never interferes),
   * written as private.pem / public.pem in a new directory.
   */
  async function onDisk(who = { entityId: entity, roleId: role }) {
    const { integration } = await createIntegration({ store: f.store, clock: f.clock }, SYSTEM, {
      accountId: f.accountId,
      name: 'cron job',
      m2mGrant: true,
      scopes: ['restlets', 'rest_webservices'],
    });
    const cred = await f.newCredential('ES256', { ...who, clientId: integration.clientId });
    clientOf.set(cred, integration.clientId);
    const dir = tempDir();
    writeFileSync(join(dir, 'private.pem'), cred.privateKeyPem, { mode: 0o600 });
    writeFileSync(join(dir, 'public.pem'), cred.certificatePem);
    return { cred, dir };
  }

  const clientOf = new Map<Credential, string>();
  const args = (cred: Credential, r = role, e = entity) => [
    'cert',
    'rotate',
    '--token-url',
    f.tokenUrl,
    '--client-id',
    clientOf.get(cred) ?? '',
    `--certificate-id=${cred.certificateId}`,
    '--key',
    'private.pem',
    '--role',
    String(r),
    '--entity',
    String(e),
  ];

  const status = async (c: Credential, clientId = clientOf.get(c)) =>
    (await f.token(await f.sign({ iss: clientId }, {}, c))).statusCode;

  it('rotates in place: prints the new id, replaces the files, revokes the old certificate', async () => {
    const { cred, dir } = await onDisk();
    const r = await cli(args(cred), { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const id = /^new certificate id: (\S+)$/m.exec(r.stdout)?.[1];
    assert.ok(id && id !== cred.certificateId, r.stdout);
    assert.match(
      r.stdout,
      new RegExp(`^revoked ${cred.certificateId.replace(/[-]/g, '\\-')}$`, 'm'),
    );
    const key = readFileSync(join(dir, 'private.pem'), 'utf8');
    assert.notEqual(key, cred.privateKeyPem);
    assert.equal(statSync(join(dir, 'private.pem')).mode & 0o777, 0o600);
    const fresh: Credential = {
      certificateId: id,
      alg: 'ES256',
      privateKeyPem: key,
      certificatePem: readFileSync(join(dir, 'public.pem'), 'utf8'),
    };
    assert.equal(await status(fresh, clientOf.get(cred)), 200);
    assert.equal(await status(cred), 401);
    assert.equal((await f.audit())[0]?.detail, 'CertificateRevoked');
  });

  it('--json and --out-dir: everything a script needs', async () => {
    const { cred, dir } = await onDisk();
    const out = tempDir();
    const r = await cli(['--json', ...args(cred), '--out-dir', out], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, string>;
    assert.equal(j.previousCertificateId, cred.certificateId);
    assert.equal(j.privateKeyFile, join(out, 'private.pem'));
    assert.equal(j.certificateFile, join(out, 'public.pem'));
    assert.ok(Date.parse(j.validUntil ?? '') > Date.now());
    assert.equal(readFileSync(join(dir, 'private.pem'), 'utf8'), cred.privateKeyPem, 'source kept');
  });

  it("refuses to overwrite another folder's files, before anything is sent", async () => {
    const { cred, dir } = await onDisk();
    const { dir: other } = await onDisk();
    const before = (await f.store.mappings.list(f.accountId)).length;
    assertMistake(
      await cli([...args(cred), '--out-dir', other], { cwd: dir }),
      1,
      /private\.pem already exists: choose another --out-dir, or add --force to replace it/,
    );
    assert.equal((await f.store.mappings.list(f.accountId)).length, before);
  });

  it('a role without the permission: one line saying which, the old certificate and files kept', async () => {
    const { cred, dir } = await onDisk({ entityId: f.entityId, roleId: f.roleId });
    const r = await cli(args(cred, f.roleId, f.entityId), { cwd: dir });
    assertMistake(
      r,
      1,
      /certificate rotation failed at step upload: the certificate rotation API needs a role with "Manage own OAuth 2\.0 Client Credentials Certificates" or "OAuth 2\.0 Authorized Applications Management"/,
    );
    assert.equal(readFileSync(join(dir, 'private.pem'), 'utf8'), cred.privateKeyPem);
    assert.equal(await status(cred), 200);
  });
});
