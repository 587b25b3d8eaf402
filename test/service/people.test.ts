import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createRole,
  getRole,
  listEntities,
  listRoles,
  SYSTEM,
  setPassword,
  unassignRole,
  updateEntity,
  updateRole,
  verifyPassword,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, snapshot } from './fixtures.ts';

const refused = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

describeEachStore('entity and role use cases', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    await createAccount(deps, SYSTEM, { id: '654321' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates entities with defaults and validates name, email and type', async () => {
    const deps = depsFor(store);
    const e = await createEntity(deps, SYSTEM, { accountId: '123456', name: '  Ada  ' });
    assert.deepEqual(
      { name: e.name, email: e.email, type: e.type, active: e.active, roles: e.roleIds },
      { name: 'Ada', email: null, type: 'employee', active: true, roles: [] },
    );
    const v = await createEntity(deps, SYSTEM, {
      accountId: '123456',
      name: 'Vendor',
      email: 'v@example.com',
      type: 'vendor',
      active: false,
    });
    assert.deepEqual([v.type, v.active, v.email], ['vendor', false, 'v@example.com']);
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '123456', name: '  ' }),
      refused('entity.invalid_name', /is required/),
    );
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '123456', name: 'x'.repeat(101) }),
      refused('entity.invalid_name', /at most 100/),
    );
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '123456', name: 'A', email: 'not-an-email' }),
      refused('entity.invalid_email', /name@example.com/),
    );
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '123456', name: 'A', type: 'robot' }),
      refused('entity.invalid_type', /employee, customer, partner, vendor, contact/),
    );
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '123456', name: 'A', password: 'short' }),
      refused('password.too_short', /at least 10/),
    );
    await assert.rejects(
      createEntity(deps, SYSTEM, { accountId: '999', name: 'A' }),
      refused('account.not_found'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
  });

  it('updates the active flag and other fields, refusing an empty or unknown update', async () => {
    const deps = depsFor(store);
    const e = await createEntity(deps, SYSTEM, { accountId: '123456', name: 'Ada' });
    const off = await updateEntity(deps, SYSTEM, '123456', e.id, {
      active: false,
      email: 'ada@example.org',
    });
    assert.deepEqual([off.active, off.email], [false, 'ada@example.org']);
    await assert.rejects(
      updateEntity(deps, SYSTEM, '123456', e.id, {}),
      refused('entity.nothing_to_update'),
    );
    await assert.rejects(
      updateEntity(deps, SYSTEM, '123456', 99, { active: true }),
      refused('entity.not_found'),
    );
    await assert.rejects(
      updateEntity(deps, SYSTEM, '123456', 'abc', { active: true }),
      refused('entity.invalid_id'),
    );
    // Entities are per account: the same id in another account is not this entity.
    await assert.rejects(
      updateEntity(deps, SYSTEM, '654321', e.id, { active: true }),
      refused('entity.not_found'),
    );
  });

  it('stores console passwords as scrypt and verifies them', async () => {
    const deps = depsFor(store);
    const e = await createEntity(deps, SYSTEM, {
      accountId: '123456',
      name: 'Ada',
      password: 'correct horse battery',
    });
    assert.equal(e.hasPassword, true);
    const hash = await store.entities.getPasswordHash('123456', e.id);
    assert.match(hash ?? '', /^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    assert.equal(await verifyPassword('correct horse battery', hash), true);
    assert.equal(await verifyPassword('correct horse batterY', hash), false);
    await setPassword(deps, SYSTEM, {
      accountId: '123456',
      entityId: e.id,
      password: 'another password',
    });
    const changed = await store.entities.getPasswordHash('123456', e.id);
    assert.notEqual(changed, hash);
    assert.equal(await verifyPassword('another password', changed), true);
    await setPassword(deps, SYSTEM, { accountId: '123456', entityId: e.id, password: null });
    assert.equal(await store.entities.getPasswordHash('123456', e.id), null);
  });

  it('creates roles with validated permissions; Administrator (3) is built in and cannot be changed', async () => {
    const deps = depsFor(store);
    const r = await createRole(deps, SYSTEM, {
      accountId: '123456',
      name: 'Certificates',
      permissions: ['oauth2_authorized_apps_management', 'oauth2_authorized_apps_management'],
    });
    assert.ok(r.id >= 1000);
    assert.deepEqual(r.permissions, ['oauth2_authorized_apps_management']);
    assert.deepEqual(
      (await listRoles(deps, SYSTEM, '123456')).map((x) => x.id),
      [3, r.id],
    );
    const admin = await getRole(deps, SYSTEM, '123456', 3);
    assert.equal(admin.name, 'Administrator');
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createRole(deps, SYSTEM, { accountId: '123456', name: 'X', permissions: ['superuser'] }),
      refused(
        'role.invalid_permission',
        /unknown permission "superuser": use oauth2_authorized_apps_management/,
      ),
    );
    await assert.rejects(
      updateRole(deps, SYSTEM, '123456', 3, { active: false }),
      refused('role.builtin', /cannot be changed/),
    );
    await assert.rejects(
      updateRole(deps, SYSTEM, '123456', 3, { permissions: [] }),
      refused('role.builtin'),
    );
    await assert.rejects(
      updateRole(deps, SYSTEM, '123456', r.id, {}),
      refused('role.nothing_to_update'),
    );
    await assert.rejects(
      updateRole(deps, SYSTEM, '123456', 4242, { active: false }),
      refused('role.not_found'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
    const off = await updateRole(deps, SYSTEM, '123456', r.id, {
      active: false,
      permissions: ['integration_application'],
    });
    assert.deepEqual([off.active, off.permissions], [false, ['integration_application']]);
  });

  it('assigns only roles of the same account', async () => {
    const deps = depsFor(store);
    const e = await createEntity(deps, SYSTEM, { accountId: '123456', name: 'Ada' });
    const elsewhere = await createRole(deps, SYSTEM, {
      accountId: '654321',
      name: 'Other account role',
    });
    const before = await snapshot(store, ['123456', '654321']);
    await assert.rejects(
      assignRole(deps, SYSTEM, { accountId: '123456', entityId: e.id, roleId: elsewhere.id }),
      refused(
        'role.not_found',
        new RegExp(`role ${elsewhere.id} does not exist in account 123456`),
      ),
    );
    await assert.rejects(
      assignRole(deps, SYSTEM, { accountId: '123456', entityId: 77, roleId: 3 }),
      refused('entity.not_found'),
    );
    assert.deepEqual(await snapshot(store, ['123456', '654321']), before);
    const withAdmin = await assignRole(deps, SYSTEM, {
      accountId: '123456',
      entityId: e.id,
      roleId: 3,
    });
    assert.deepEqual(withAdmin.roleIds, [3]);
    // Idempotent.
    assert.deepEqual(
      (await assignRole(deps, SYSTEM, { accountId: '123456', entityId: e.id, roleId: '3' }))
        .roleIds,
      [3],
    );
    const none = await unassignRole(deps, SYSTEM, {
      accountId: '123456',
      entityId: e.id,
      roleId: 3,
    });
    assert.deepEqual(none.roleIds, []);
    await assert.rejects(
      unassignRole(deps, SYSTEM, { accountId: '123456', entityId: e.id, roleId: 3 }),
      refused('role.not_assigned'),
    );
  });

  it('needs the Administrator role for entities and roles', async () => {
    const deps = depsFor(store);
    const all = entityActor('123456', [
      'oauth2_authorized_apps_management',
      'integration_application',
      'oauth2_access_token_login',
      'oauth2_manage_own_certificates',
    ]);
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createEntity(deps, all, { accountId: '123456', name: 'Ada' }),
      refused('permission.administrator_required', /Administrator role/),
    );
    await assert.rejects(
      createRole(deps, all, { accountId: '123456', name: 'R' }),
      refused('permission.administrator_required'),
    );
    await assert.rejects(
      listEntities(deps, all, '123456'),
      refused('permission.administrator_required'),
    );
    await assert.rejects(
      createEntity(deps, entityActor('654321', [], 3), { accountId: '123456', name: 'Ada' }),
      refused('permission.other_account'),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
    const admin = entityActor('123456', [], 3);
    assert.equal(
      (await createEntity(deps, admin, { accountId: '123456', name: 'Ada' })).name,
      'Ada',
    );
  });
});
