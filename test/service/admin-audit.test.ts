/**
 * Every administrative change is audited with its actor: accounts, entities, role assignments,
 * roles and integrations. A refused change writes only a failure record (its reason, its actor)
 * and changes nothing else.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { ADMINISTRATOR_ROLE_ID } from '../../src/domain/permissions.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createRole,
  listAudit,
  SYSTEM,
  unassignRole,
  updateEntity,
  updateIntegration,
  updateRole,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, servicesOn, snapshot } from './fixtures.ts';

describeEachStore('administrative audit', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('records each change with its type, record ids and actor', async () => {
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    const admin = entityActor('123456', [], ADMINISTRATOR_ROLE_ID);
    const entity = await createEntity(deps, admin, { accountId: '123456', name: 'Svc' });
    const role = await createRole(deps, admin, { accountId: '123456', name: 'M2M' });
    await assignRole(deps, admin, { accountId: '123456', entityId: entity.id, roleId: role.id });
    await unassignRole(deps, admin, { accountId: '123456', entityId: entity.id, roleId: role.id });
    await updateEntity(deps, admin, '123456', entity.id, { name: 'Svc 2' });
    await updateRole(deps, admin, '123456', role.id, { name: 'M2M 2' });
    const { integration } = await createIntegration(deps, admin, {
      accountId: '123456',
      name: 'CI',
    });
    await updateIntegration(deps, admin, '123456', integration.clientId, { name: 'CI 2' });

    const events = await listAudit(deps, SYSTEM, { accountId: '123456' });
    assert.deepEqual(
      events
        .reverse()
        .map((e) => [e.type, e.result, e.actor, e.entityId, e.roleId, e.clientId, e.detail]),
      [
        ['account.create', 'success', null, null, null, null, null],
        ['entity.create', 'success', 1, entity.id, null, null, null],
        ['role.create', 'success', 1, null, role.id, null, null],
        ['entity.role_assign', 'success', 1, entity.id, role.id, null, null],
        ['entity.role_unassign', 'success', 1, entity.id, role.id, null, null],
        ['entity.update', 'success', 1, entity.id, null, null, null],
        ['role.update', 'success', 1, null, role.id, null, null],
        ['integration.create', 'success', 1, null, null, integration.clientId, null],
        ['integration.update', 'success', 1, null, null, integration.clientId, null],
      ],
    );
    // The type filter knows the new types.
    const assigned = await listAudit(deps, SYSTEM, {
      accountId: '123456',
      type: 'entity.role_assign',
    });
    assert.equal(assigned.length, 1);
  });

  it('a refused change writes only a failure record and changes nothing else', async () => {
    const deps = depsFor(store);
    // Refusals are audited where the use cases are bound: the services every interface uses.
    const { records } = servicesOn(store, deps.clock);
    await createAccount(deps, SYSTEM, { id: '123456' });
    const before = await snapshot(store, ['123456']);
    const auditBefore = await listAudit(deps, SYSTEM, { accountId: '123456' });
    await assert.rejects(
      records.createEntity(entityActor('123456', ['oauth2_authorized_apps_management']), {
        accountId: '123456',
        name: 'Nope',
      }),
      refused('permission.administrator_required'),
    );
    await assert.rejects(
      records.createRole(SYSTEM, { accountId: '123456', name: '' }),
      refused('role.invalid_name'),
    );
    const auditAfter = await listAudit(deps, SYSTEM, { accountId: '123456' });
    assert.deepEqual(
      auditAfter.slice(0, 2).map((e) => [e.type, e.result, e.detail, e.actor]),
      [
        ['role.create', 'failure', 'role.invalid_name', null],
        ['entity.create', 'failure', 'permission.administrator_required', 1],
      ],
    );
    assert.deepEqual(auditAfter.slice(2), auditBefore);
    // Nothing else changed: the same records as before, audit trail aside.
    const after = (await snapshot(store, ['123456'])) as Record<string, Record<string, unknown>>;
    const { audit: _a, ...recordsAfter } = after['123456'] ?? {};
    const { audit: _b, ...recordsBefore } =
      (before as Record<string, Record<string, unknown>>)['123456'] ?? {};
    assert.deepEqual(recordsAfter, recordsBefore);
  });
});
