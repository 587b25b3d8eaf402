/**
 * Every administrative use case, refused, leaves exactly one `failure` record — its event type,
 * the refusing DomainError's code as the reason, the actor and the records it named — and
 * changes nothing else. Records go to the actor's own account (an entity id means something
 * only there); the CLI's go to the account it named, when that account exists.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { ADMINISTRATOR_ROLE_ID } from '../../src/domain/permissions.ts';
import { createAccount, type Services, SYSTEM } from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, type Seed, seed, servicesOn, snapshot } from './fixtures.ts';

const A = '123456';
const admin = entityActor(A, [], ADMINISTRATOR_ROLE_ID);
const nobody = entityActor(A, ['oauth2_access_token_login']);

describeEachStore('refused administrative requests', (factory) => {
  let store: Store;
  let svc: Services;
  let s: Seed;
  beforeEach(async () => {
    store = await factory.open();
    const deps = depsFor(store);
    s = await seed(deps, A);
    svc = servicesOn(store, deps.clock);
  });
  afterEach(async () => {
    await svc.close();
    await store.close();
  });

  const trail = (accountId = A): Promise<AuditEvent[]> =>
    store.audit.list({ accountId, limit: 1000 });

  /** Records, audit trail aside, of these accounts. */
  async function records(ids: string[]): Promise<unknown> {
    const all = (await snapshot(store, ids)) as Record<string, Record<string, unknown>>;
    for (const id of ids) delete all[id]?.audit;
    return all;
  }

  /** Runs a refused call; returns the code it was refused with. */
  async function refusedCode(call: () => Promise<unknown>): Promise<string> {
    let code = '';
    await assert.rejects(call, (e: unknown) => {
      assert.ok(e instanceof DomainError, String(e));
      code = e.code;
      return true;
    });
    return code;
  }

  it('each use case: one failure record with type, reason, actor and the records named', async () => {
    const unknownClient = 'f'.repeat(64);
    const cases: Array<[string, () => Promise<unknown>, Partial<AuditEvent>]> = [
      ['account.create', () => svc.records.createAccount(SYSTEM, { id: A }), { actor: null }],
      ['sandbox.refresh', () => svc.records.refreshSandbox(SYSTEM, A), { actor: null }],
      [
        'entity.create',
        () => svc.records.createEntity(nobody, { accountId: A, name: 'x' }),
        { actor: 1 },
      ],
      [
        'entity.update',
        () => svc.records.updateEntity(admin, A, 999, { name: 'x' }),
        { actor: 1, entityId: 999 },
      ],
      [
        'entity.role_assign',
        () => svc.records.assignRole(admin, { accountId: A, entityId: s.entityId, roleId: 4242 }),
        { entityId: s.entityId, roleId: 4242 },
      ],
      [
        'entity.role_unassign',
        () => svc.records.unassignRole(admin, { accountId: A, entityId: '77', roleId: '88' }),
        { entityId: 77, roleId: 88 },
      ],
      [
        'password.reset',
        () => svc.records.setPassword(admin, { accountId: A, entityId: s.entityId, password: 'x' }),
        { entityId: s.entityId },
      ],
      ['role.create', () => svc.records.createRole(admin, { accountId: A, name: '' }), {}],
      [
        'role.update',
        () => svc.records.updateRole(admin, A, 4242, { name: 'x' }),
        { roleId: 4242 },
      ],
      [
        'integration.create',
        () => svc.records.createIntegration(nobody, { accountId: A, name: 'x' }),
        {},
      ],
      [
        'integration.update',
        () => svc.records.updateIntegration(admin, A, unknownClient, { name: 'x' }),
        { clientId: unknownClient },
      ],
      [
        'mapping.create',
        () =>
          svc.records.createMapping(admin, {
            accountId: A,
            clientId: s.clientId,
            entityId: s.entityId,
            roleId: s.roleId,
            certificate: 'not a certificate',
          }),
        { clientId: s.clientId, entityId: s.entityId, roleId: s.roleId },
      ],
      [
        'mapping.revoke',
        () => svc.records.revokeMapping(admin, A, 'no-such-certificate'),
        { certificateId: 'no-such-certificate' },
      ],
      [
        'mapping.create',
        () =>
          svc.certificates.upload(nobody, {
            accountId: A,
            clientId: s.clientId,
            entityId: 1,
            roleId: 3,
            certificate: 'x',
          }),
        { clientId: s.clientId, actor: 1 },
      ],
      [
        'mapping.revoke',
        () => svc.certificates.revoke(admin, A, s.clientId, 'nope'),
        { clientId: s.clientId, certificateId: 'nope' },
      ],
      [
        'password.reset',
        () => svc.consoleAuth.setPassword(nobody, { accountId: A, entityId: 1, password: null }),
        { entityId: 1 },
      ],
      [
        'two_factor.reset',
        () => svc.consoleAuth.resetTwoFactor(nobody, A, s.entityId),
        { entityId: s.entityId },
      ],
      ['keys.rotate', () => svc.signingKeys.rotate(nobody, A), { actor: 1 }],
    ];
    const before = await records([A]);
    for (const [type, call, fields] of cases) {
      const count = (await trail()).length;
      const code = await refusedCode(call);
      const after = await trail();
      assert.equal(after.length, count + 1, `${type}: one record`);
      const [row] = after;
      assert.deepEqual(
        { type: row?.type, result: row?.result, detail: row?.detail },
        { type, result: 'failure', detail: code },
      );
      for (const [k, v] of Object.entries(fields)) {
        assert.equal(row?.[k as keyof AuditEvent], v, `${type}: ${k}`);
      }
    }
    assert.deepEqual(await records([A]), before, 'nothing but the trail changed');
  });

  it("an entity reaching into another account is recorded in its own account's trail", async () => {
    await createAccount(depsFor(store), SYSTEM, { id: '999999' });
    const outsider = entityActor('999999', [], ADMINISTRATOR_ROLE_ID);
    const theirs = (await trail()).length;
    const code = await refusedCode(() =>
      svc.records.revokeMapping(outsider, A, 'some-certificate'),
    );
    assert.equal(code, 'permission.other_account');
    assert.equal((await trail()).length, theirs, 'nothing in the account it reached for');
    const [row] = await trail('999999');
    assert.deepEqual(
      [row?.type, row?.result, row?.detail, row?.actor, row?.certificateId],
      ['mapping.revoke', 'failure', 'permission.other_account', 1, null],
    );
  });

  it('the CLI naming an account that does not exist leaves no record anywhere', async () => {
    const code = await refusedCode(() =>
      svc.records.createEntity(SYSTEM, { accountId: '777777', name: 'x' }),
    );
    assert.equal(code, 'account.not_found');
    assert.deepEqual(await trail('777777'), []);
    // An id that is no account id at all: refused, recorded nowhere.
    await refusedCode(() => svc.records.createEntity(SYSTEM, { accountId: 'no such!', name: 'x' }));
    assert.deepEqual(await trail('NO SUCH!'), []);
  });

  it('the audit filter and listing show the reason and the actor', async () => {
    await refusedCode(() => svc.records.createRole(nobody, { accountId: A, name: 'x' }));
    const [row] = await svc.records.listAudit(SYSTEM, { accountId: A, result: 'failure' });
    assert.equal(row?.type, 'role.create');
    assert.equal(row?.actor, 1);
    assert.equal(row?.detail, 'permission.administrator_required');
  });
});
