import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import {
  createAccount,
  createMapping,
  getAccount,
  listAccounts,
  listAudit,
  listMappings,
  refreshSandbox,
  SYSTEM,
  updateEntity,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused, refusedOnCli } from '../support/refused.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor, opensslCertificate, seed, snapshot } from './fixtures.ts';

describeEachStore('account use cases', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
  });
  afterEach(async () => {
    await store.close();
  });

  it('creates production, sandbox and release-preview accounts and normalizes the host form', async () => {
    const deps = depsFor(store);
    const prod = await createAccount(deps, SYSTEM, { id: 'tstdrv42' });
    assert.deepEqual([prod.id, prod.kind, prod.parentId], ['TSTDRV42', 'production', null]);
    const sb = await createAccount(deps, SYSTEM, { id: 'tstdrv42-sb2', kind: 'sandbox' });
    assert.deepEqual([sb.id, sb.kind, sb.parentId], ['TSTDRV42_SB2', 'sandbox', 'TSTDRV42']);
    const rp = await createAccount(deps, SYSTEM, { id: 'TSTDRV42_RP' });
    assert.equal(rp.kind, 'release-preview');
    assert.deepEqual((await listAccounts(deps, SYSTEM)).map((a) => a.id).sort(), [
      'TSTDRV42',
      'TSTDRV42_RP',
      'TSTDRV42_SB2',
    ]);
    assert.equal((await getAccount(deps, SYSTEM, 'tstdrv42-sb2')).id, 'TSTDRV42_SB2');
    // Every account gets the built-in Administrator role.
    assert.deepEqual(
      (await store.roles.list('TSTDRV42_SB2')).map((r) => r.id),
      [3],
    );
  });

  it('refuses bad ids, a kind that disagrees, a missing parent and a duplicate, changing nothing', async () => {
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    const before = await snapshot(store, ['123456']);
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: 'ACME' }),
      refused('account.invalid_id', /is not an account id/),
    );
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: '123456_SB0' }),
      refused('account.invalid_id'),
    );
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: '123456_SB1', kind: 'production' }),
      refused('account.kind_mismatch', /123456_SB1 is a sandbox account id, not production/),
    );
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: '123456', kind: 'staging' }),
      refused('account.invalid_kind', /use production, sandbox, release-preview/),
    );
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: '999_SB1' }),
      refusedOnCli('account.parent_missing', /create it first with "certmint account create 999"/),
    );
    await assert.rejects(
      createAccount(deps, SYSTEM, { id: '123456' }),
      refused('account.exists', /already exists/),
    );
    await assert.rejects(
      getAccount(deps, SYSTEM, '777'),
      refusedOnCli('account.not_found', /certmint account create 777/),
    );
    assert.deepEqual(await snapshot(store, ['123456']), before);
  });

  it('lets only the system create production accounts, and an Administrator create a sandbox', async () => {
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    await assert.rejects(
      createAccount(deps, entityActor('123456', [], 3), { id: '654321' }),
      refused('permission.system_only'),
    );
    await assert.rejects(
      createAccount(deps, entityActor('123456', ['oauth2_authorized_apps_management']), {
        id: '123456_SB1',
      }),
      refused('permission.administrator_required'),
    );
    await assert.rejects(
      createAccount(deps, entityActor('777', [], 3), { id: '123456_SB1' }),
      refused('permission.other_account'),
    );
    assert.equal((await listAccounts(deps, SYSTEM)).length, 1);
    const sb = await createAccount(deps, entityActor('123456', [], 3), { id: '123456_SB1' });
    assert.equal(sb.parentId, '123456');
    // A signed-in user sees only their own account.
    assert.deepEqual(
      (await listAccounts(deps, entityActor('123456', [], 3))).map((a) => a.id),
      ['123456'],
    );
    await assert.rejects(
      getAccount(deps, entityActor('123456', [], 3), '123456_SB1'),
      refused('permission.other_account'),
    );
  });

  it('refreshes a sandbox: copies production, clears its mappings, leaves production and other sandboxes alone', async () => {
    const deps = depsFor(store);
    const prod = await seed(deps, '123456');
    await createAccount(deps, SYSTEM, { id: '123456_SB1' });
    await createAccount(deps, SYSTEM, { id: '123456_SB2' });
    const sb1 = await seed(deps, '123456_SB1');
    const sb2 = await seed(deps, '123456_SB2');
    // An extra entity in the sandbox that production does not have: gone after the refresh.
    await updateEntity(deps, SYSTEM, '123456_SB1', sb1.entityId, { name: 'Sandbox only name' });
    const prodCert = opensslCertificate();
    await createMapping(deps, SYSTEM, {
      accountId: prod.accountId,
      clientId: prod.clientId,
      entityId: prod.entityId,
      roleId: prod.roleId,
      certificate: prodCert.pem,
    });
    for (const s of [sb1, sb2]) {
      await createMapping(deps, SYSTEM, {
        accountId: s.accountId,
        clientId: s.clientId,
        entityId: s.entityId,
        roleId: s.roleId,
        certificate: opensslCertificate().pem,
      });
    }
    const prodBefore = await snapshot(store, ['123456']);
    const sb2Before = await snapshot(store, ['123456_SB2']);
    deps.clock.advance(1000);

    const result = await refreshSandbox(deps, SYSTEM, '123456-sb1');
    assert.equal(result.account.refreshedAt, deps.clock.now());
    assert.equal(result.mappingsCleared, 1);
    assert.equal(result.integrations, 1);

    assert.deepEqual((await listMappings(deps, SYSTEM, '123456_SB1')).length, 0);
    const copied = await store.integrations.list('123456_SB1');
    assert.deepEqual(
      copied.map((i) => i.clientId),
      (await store.integrations.list('123456')).map((i) => i.clientId),
    );
    assert.deepEqual(
      (await store.entities.list('123456_SB1')).map((e) => [e.id, e.name, e.roleIds]),
      (await store.entities.list('123456')).map((e) => [e.id, e.name, e.roleIds]),
    );
    const sbAccount = await store.accounts.get('123456_SB1');
    assert.equal(sbAccount?.refreshedAt, deps.clock.now());
    // Production and the other sandbox: untouched (apart from the accounts list itself).
    const prodAfter = (await snapshot(store, ['123456'])) as Record<string, unknown>;
    const sb2After = (await snapshot(store, ['123456_SB2'])) as Record<string, unknown>;
    assert.deepEqual(prodAfter['123456'], (prodBefore as Record<string, unknown>)['123456']);
    assert.deepEqual(sb2After['123456_SB2'], (sb2Before as Record<string, unknown>)['123456_SB2']);
    // The refresh is audited on the sandbox.
    const events = await listAudit(deps, SYSTEM, {
      accountId: '123456_SB1',
      type: 'sandbox.refresh',
    });
    assert.equal(events.length, 1);
    assert.equal(events[0]?.result, 'success');
  });

  it('refreshes only existing sandboxes, by the system or a production Administrator', async () => {
    const deps = depsFor(store);
    await createAccount(deps, SYSTEM, { id: '123456' });
    await createAccount(deps, SYSTEM, { id: '123456_RP' });
    const before = await snapshot(store, ['123456', '123456_RP']);
    await assert.rejects(
      refreshSandbox(deps, SYSTEM, '123456'),
      refused('account.not_sandbox', /only sandboxes/),
    );
    await assert.rejects(refreshSandbox(deps, SYSTEM, '123456_RP'), refused('account.not_sandbox'));
    await assert.rejects(refreshSandbox(deps, SYSTEM, '123456_SB9'), refused('account.not_found'));
    await assert.rejects(
      refreshSandbox(
        deps,
        entityActor('123456', ['oauth2_authorized_apps_management']),
        '123456_SB9',
      ),
      refused('permission.administrator_required'),
    );
    assert.deepEqual(await snapshot(store, ['123456', '123456_RP']), before);
  });
});
