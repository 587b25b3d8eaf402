/**
 * The per-integration sender-constraint settings on every store: the DPoP mode (RFC 9449) and
 * the mTLS binding (RFC 8705) — default off, stored as given on create and update, unknown
 * modes refused.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
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

const refused = (code: string, message: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.match(e.message, message);
  return true;
};

describeEachStore('integration sender-constraint settings', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
    await createAccount(depsFor(store), SYSTEM, { id: '123456' });
  });
  afterEach(async () => {
    await store.close();
  });

  describe('DPoP mode', () => {
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

  describe('mTLS binding', () => {
    it('is off by default and stored as given on create and update', async () => {
      const deps = depsFor(store);
      const { integration: plain } = await createIntegration(deps, SYSTEM, {
        accountId: '123456',
        name: 'plain',
      });
      assert.equal(plain.mtlsBinding, 'off');
      const { integration: bound } = await createIntegration(deps, SYSTEM, {
        accountId: '123456',
        name: 'bound',
        mtlsBinding: 'required',
      });
      assert.equal(bound.mtlsBinding, 'required');
      assert.equal(
        (await getIntegration(deps, SYSTEM, '123456', bound.clientId)).mtlsBinding,
        'required',
      );
      const updated = await updateIntegration(deps, SYSTEM, '123456', plain.clientId, {
        mtlsBinding: 'allowed',
      });
      assert.equal(updated.mtlsBinding, 'allowed');
      const listed = await listIntegrations(deps, SYSTEM, '123456');
      assert.deepEqual(
        listed.map((i) => [i.name, i.mtlsBinding]),
        [
          ['plain', 'allowed'],
          ['bound', 'required'],
        ],
      );
    });

    it('refuses an unknown mode on create and update, naming the valid ones', async () => {
      const deps = depsFor(store);
      await assert.rejects(
        createIntegration(deps, SYSTEM, { accountId: '123456', name: 'x', mtlsBinding: 'on' }),
        refused(
          'integration.invalid_mtls_binding',
          /unknown mTLS binding "on": use off, allowed, required/,
        ),
      );
      const { integration } = await createIntegration(deps, SYSTEM, {
        accountId: '123456',
        name: 'y',
      });
      await assert.rejects(
        updateIntegration(deps, SYSTEM, '123456', integration.clientId, {
          mtlsBinding: 'REQUIRED',
        }),
        refused('integration.invalid_mtls_binding', /use off, allowed, required/),
      );
      assert.equal(
        (await getIntegration(deps, SYSTEM, '123456', integration.id)).mtlsBinding,
        'off',
      );
    });

    it('a sandbox refresh copies the setting with the integration', async () => {
      const deps = depsFor(store);
      await createIntegration(deps, SYSTEM, {
        accountId: '123456',
        name: 'b',
        mtlsBinding: 'required',
      });
      await createAccount(deps, SYSTEM, { id: '123456_SB1' });
      await refreshSandbox(deps, SYSTEM, '123456_SB1');
      const [copy] = await listIntegrations(deps, SYSTEM, '123456_SB1');
      assert.equal(copy?.mtlsBinding, 'required');
    });
  });
});
