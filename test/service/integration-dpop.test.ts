/** The per-integration DPoP mode: stored on every store, default off, unknown modes refused. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import {
  createAccount,
  createIntegration,
  getIntegration,
  listIntegrations,
  refreshSandbox,
  SYSTEM,
  updateIntegration,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor } from './fixtures.ts';

describeEachStore('integration DPoP mode', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
    await createAccount(depsFor(store), SYSTEM, { id: '123456' });
  });
  afterEach(async () => {
    await store.close();
  });

  it('defaults to off, is set at creation, changes, and reads back', async () => {
    const deps = depsFor(store);
    const plain = await createIntegration(deps, SYSTEM, { accountId: '123456', name: 'A' });
    assert.equal(plain.integration.dpop, 'off');
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId: '123456',
      name: 'B',
      dpop: 'required',
    });
    assert.equal(integration.dpop, 'required');
    assert.equal((await getIntegration(deps, SYSTEM, '123456', integration.id)).dpop, 'required');
    const u = await updateIntegration(deps, SYSTEM, '123456', integration.clientId, {
      dpop: 'allowed',
    });
    assert.equal(u.dpop, 'allowed');
    assert.equal((await getIntegration(deps, SYSTEM, '123456', integration.id)).dpop, 'allowed');
  });

  it('refuses an unknown mode with integration.invalid_dpop', async () => {
    const deps = depsFor(store);
    const refused = (e: unknown) =>
      e instanceof DomainError &&
      e.code === 'integration.invalid_dpop' &&
      e.message === 'unknown DPoP mode "on": use off, allowed or required';
    await assert.rejects(
      createIntegration(deps, SYSTEM, { accountId: '123456', name: 'C', dpop: 'on' }),
      refused,
    );
    const { integration } = await createIntegration(deps, SYSTEM, {
      accountId: '123456',
      name: 'D',
    });
    await assert.rejects(
      updateIntegration(deps, SYSTEM, '123456', integration.id, { dpop: 'on' }),
      refused,
    );
  });

  it('a sandbox refresh copies the mode with the integration (with its mTLS binding)', async () => {
    const deps = depsFor(store);
    await createIntegration(deps, SYSTEM, {
      accountId: '123456',
      name: 'E',
      dpop: 'required',
      mtlsBinding: 'allowed',
    });
    await createAccount(deps, SYSTEM, { id: '123456_SB1' });
    await refreshSandbox(deps, SYSTEM, '123456_SB1');
    const [copy] = await listIntegrations(deps, SYSTEM, '123456_SB1');
    assert.deepEqual([copy?.name, copy?.dpop, copy?.mtlsBinding], ['E', 'required', 'allowed']);
  });
});
