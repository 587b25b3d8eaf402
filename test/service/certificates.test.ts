/**
 * The NetSuite rotation use cases: the caller's own role decides what it manages — every
 * certificate of the integration ("OAuth 2.0 Authorized Applications Management") or only its
 * own entity's ("Manage own OAuth 2.0 Client Credentials Certificates"). Nothing is granted on
 * the caller's behalf; everything else is hidden as "not found".
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { Actor } from '../../src/service/context.ts';
import {
  assignRole,
  capabilityOf,
  createEntity,
  listIntegrationCertificates,
  revokeIntegrationCertificate,
  SYSTEM,
  uploadCertificate,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, opensslCertificate, type Seed, seed } from './fixtures.ts';

describeEachStore('certificate rotation use cases', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  /** The entity `entityId` acting in the seed's role, which may manage its own certificates. */
  const own = (s: Seed, entityId: number): Actor => ({
    kind: 'entity',
    accountId: s.accountId,
    entityId,
    roleId: s.roleId,
    permissions: ['oauth2_access_token_login', 'oauth2_manage_own_certificates'],
  });

  it('capability comes from the role: all, own, or refused', () => {
    assert.deepEqual(capabilityOf(SYSTEM, '123456'), { kind: 'all' });
    assert.deepEqual(
      capabilityOf(entityActor('123456', ['oauth2_authorized_apps_management']), '123456'),
      { kind: 'all' },
    );
    assert.deepEqual(
      capabilityOf(entityActor('123456', ['oauth2_manage_own_certificates']), '123456'),
      { kind: 'own', entityId: 1 },
    );
    assert.deepEqual(capabilityOf(entityActor('123456', [], 3), '123456'), { kind: 'all' });
    assert.throws(
      () => capabilityOf(entityActor('123456', ['oauth2_access_token_login']), '123456'),
      refused('permission.missing', /Manage own OAuth 2.0 Client Credentials Certificates/),
    );
    assert.throws(
      () => capabilityOf(entityActor('654321', ['oauth2_authorized_apps_management']), '123456'),
      refused('permission.other_account'),
    );
  });

  it('a manage-own caller uploads, lists and revokes only its own entity’s certificates', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const other = await createEntity(deps, SYSTEM, { accountId: s.accountId, name: 'Other' });
    await assignRole(deps, SYSTEM, {
      accountId: s.accountId,
      entityId: other.id,
      roleId: s.roleId,
    });
    const mine = own(s, s.entityId);
    const upload = (actor: Actor, entityId: number) =>
      uploadCertificate(deps, actor, {
        accountId: s.accountId,
        clientId: s.clientId,
        entityId,
        roleId: s.roleId,
        certificate: opensslCertificate().pem,
      });

    const m1 = await upload(mine, s.entityId);
    await assert.rejects(upload(mine, other.id), refused('permission.own_certificates_only'));
    const theirs = await upload(SYSTEM, other.id);

    const listed = await listIntegrationCertificates(deps, mine, s.accountId, s.clientId);
    assert.deepEqual(
      listed?.views.map((v) => [v.certificateId, v.entityName, v.roleName]),
      [[m1.certificateId, 'Integration User', 'M2M']],
    );
    const all = await listIntegrationCertificates(deps, SYSTEM, s.accountId, s.clientId);
    assert.equal(all?.views.length, 2);
    assert.equal(await listIntegrationCertificates(deps, mine, s.accountId, 'f'.repeat(64)), null);

    // Another entity's certificate, an unknown one and another client's are all "not found".
    for (const [clientId, certificateId] of [
      [s.clientId, theirs.certificateId],
      [s.clientId, 'no-such-certificate'],
      ['f'.repeat(64), m1.certificateId],
    ] as const) {
      await assert.rejects(
        revokeIntegrationCertificate(deps, mine, s.accountId, clientId, certificateId),
        refused('mapping.not_found', /that you may manage/),
      );
    }
    const revoked = await revokeIntegrationCertificate(
      deps,
      mine,
      s.accountId,
      s.clientId,
      m1.certificateId,
    );
    assert.equal(revoked.revokedBy, s.entityId);
    await assert.rejects(
      revokeIntegrationCertificate(deps, mine, s.accountId, s.clientId, m1.certificateId),
      refused('mapping.already_revoked'),
    );
  });
});
