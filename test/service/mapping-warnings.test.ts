/**
 * What a certificate manager is told and may pick: warnings with a new mapping (a role that
 * cannot log in with access tokens, a shortened validity, a certificate not valid yet), the
 * same role warning and the "expiring" flag on the list, the entities and roles offered to a
 * manager who is not Administrator, an account's sandboxes, and the names of audit actors.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import {
  accountFamily,
  assignRole,
  auditActorNames,
  createAccount,
  createEntity,
  createMapping,
  createRole,
  EXPIRING_WITHIN_MS,
  listMappings,
  mappingChoices,
  SYSTEM,
  updateEntity,
  updateRole,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { makeCert } from '../support/openssl.ts';
import { refused } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import { DAY, depsFor, entityActor, seed } from './fixtures.ts';

const CANNOT_LOG_IN =
  'The role Reports (id 1001) lacks "Log in using OAuth 2.0 Access Tokens": token requests with this certificate fail until the permission is added to the role';
const MANAGER = ['oauth2_authorized_apps_management'] as const;

describeEachStore('mapping warnings and choices', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('warns when the role lacks the token login permission, on creation and on the list', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const reports = await createRole(deps, SYSTEM, {
      accountId: s.accountId,
      name: 'Reports',
      permissions: ['integration_application'],
    });
    await assignRole(deps, SYSTEM, {
      accountId: s.accountId,
      entityId: s.entityId,
      roleId: reports.id,
    });
    const m = await createMapping(deps, SYSTEM, {
      accountId: s.accountId,
      clientId: s.clientId,
      entityId: s.entityId,
      roleId: reports.id,
      certificate: (await makeCert('ec-p256')).certPem,
    });
    assert.deepEqual(m.warnings, [{ code: 'mapping.role_cannot_log_in', message: CANNOT_LOG_IN }]);
    const view = (await listMappings(deps, SYSTEM, s.accountId))[0];
    assert.deepEqual(view?.warnings, m.warnings);
    // The permission added: no warning; a mapping to a role that has it never warned.
    await updateRole(deps, SYSTEM, s.accountId, reports.id, {
      permissions: ['integration_application', 'oauth2_access_token_login'],
    });
    assert.deepEqual((await listMappings(deps, SYSTEM, s.accountId))[0]?.warnings, []);
    const fine = await createMapping(deps, SYSTEM, {
      accountId: s.accountId,
      clientId: s.clientId,
      entityId: s.entityId,
      roleId: s.roleId,
      certificate: (await makeCert('ec-p384')).certPem,
    });
    assert.deepEqual(fine.warnings, []);
  });

  it("passes on the certificate policy's warnings: validity shortened, not valid yet", async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const base = {
      accountId: s.accountId,
      clientId: s.clientId,
      entityId: s.entityId,
      roleId: s.roleId,
    };
    const long = await createMapping(deps, SYSTEM, {
      ...base,
      certificate: (await makeCert('five-year')).certPem,
    });
    assert.deepEqual(
      long.warnings.map((w) => w.code),
      ['certificate.validity_shortened'],
    );
    assert.match(
      long.warnings[0]?.message ?? '',
      /^The certificate is valid until .* \(validity shortened to two years\)/,
    );
    const later = await generateCertificate({ alg: 'ES256', now: deps.clock.now() + 2 * DAY });
    const future = await createMapping(deps, SYSTEM, {
      ...base,
      certificate: later.certificatePem,
    });
    assert.deepEqual(
      future.warnings.map((w) => w.code),
      ['certificate.not_yet_valid'],
    );
  });

  it('flags active mappings that end within 30 days as expiring', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const base = {
      accountId: s.accountId,
      clientId: s.clientId,
      entityId: s.entityId,
      roleId: s.roleId,
    };
    const now = deps.clock.now();
    for (const days of [29, 31]) {
      const c = await generateCertificate({ alg: 'ES256', now: now - DAY, days: days + 1 });
      await createMapping(deps, SYSTEM, { ...base, certificate: c.certificatePem });
    }
    const views = await listMappings(deps, SYSTEM, s.accountId);
    const byDays = (d: number) => views.find((v) => Math.round((v.validUntil - now) / DAY) === d);
    assert.equal(byDays(29)?.expiring, true);
    assert.equal(byDays(31)?.expiring, false);
    assert.equal(byDays(31)?.expiresSoon, true, 'still within the 60-day notice');
    assert.equal(EXPIRING_WITHIN_MS, 30 * DAY);
  });

  it('offers a certificate manager the active entities holding active roles, and those roles', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const A = s.accountId;
    const reports = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'Reports',
      permissions: [],
    });
    const retired = await createRole(deps, SYSTEM, {
      accountId: A,
      name: 'Old',
      active: false,
      permissions: [],
    });
    const ann = await createEntity(deps, SYSTEM, {
      accountId: A,
      name: 'Ann',
      email: 'ann@example.com',
    });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: ann.id, roleId: reports.id });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: ann.id, roleId: retired.id });
    const gone = await createEntity(deps, SYSTEM, { accountId: A, name: 'Gone' });
    await assignRole(deps, SYSTEM, { accountId: A, entityId: gone.id, roleId: s.roleId });
    await updateEntity(deps, SYSTEM, A, gone.id, { active: false });
    await createEntity(deps, SYSTEM, { accountId: A, name: 'No role' });

    const choices = await mappingChoices(deps, entityActor(A, [...MANAGER]), A);
    assert.deepEqual(choices, {
      entities: [
        { id: s.entityId, name: 'Integration User', email: 'ci@example.com', roleIds: [s.roleId] },
        { id: ann.id, name: 'Ann', email: 'ann@example.com', roleIds: [reports.id] },
      ],
      roles: [
        { id: s.roleId, name: 'M2M', canLogIn: true },
        { id: reports.id, name: 'Reports', canLogIn: false },
      ],
    });
    await assert.rejects(
      mappingChoices(deps, entityActor(A, ['oauth2_access_token_login']), A),
      refused(
        'permission.missing',
        /your role lacks the permission "oauth2_authorized_apps_management"/,
      ),
    );
    await createAccount(deps, SYSTEM, { id: '654321' });
    await assert.rejects(
      mappingChoices(deps, entityActor(A, [...MANAGER]), '654321'),
      refused('permission.other_account', /^you are signed in to another account$/),
    );
  });

  it("lists a production account's sandboxes and release preview, and the next free number", async () => {
    const deps = depsFor(store);
    const A = '123456';
    await createAccount(deps, SYSTEM, { id: A });
    assert.equal((await accountFamily(deps, SYSTEM, A)).nextSandboxNumber, 1);
    for (const id of [`${A}_SB2`, `${A}_RP`, `${A}_SB1`, `${A}_SB10`]) {
      await createAccount(deps, SYSTEM, { id });
    }
    await createAccount(deps, SYSTEM, { id: '999999' });
    await createAccount(deps, SYSTEM, { id: '999999_SB3' });
    const family = await accountFamily(deps, entityActor(A, [], 3), A);
    assert.equal(family.production.id, A);
    assert.deepEqual(
      family.related.map((a) => a.id),
      [`${A}_SB1`, `${A}_SB2`, `${A}_SB10`, `${A}_RP`],
    );
    assert.equal(family.nextSandboxNumber, 3);
    await assert.rejects(
      accountFamily(deps, entityActor(A, [...MANAGER]), A),
      refused('permission.administrator_required', /^only the Administrator role may do this/),
    );
    await assert.rejects(
      accountFamily(deps, SYSTEM, `${A}_SB1`),
      refused('account.not_production', /only a production account has sandboxes/),
    );
  });

  it('names the entities that acted, for whoever may read the audit trail', async () => {
    const deps = depsFor(store);
    const s = await seed(deps);
    const names = await auditActorNames(deps, entityActor(s.accountId, [...MANAGER]), s.accountId, [
      s.entityId,
      999,
    ]);
    assert.deepEqual([...names], [[s.entityId, 'Integration User']]);
    await assert.rejects(
      auditActorNames(
        deps,
        entityActor(s.accountId, ['integration_application']),
        s.accountId,
        [1],
      ),
      refused('permission.missing'),
    );
  });
});
