/**
 * The per-integration sender-constraint settings on every store: the DPoP mode (RFC 9449) and
 * the mTLS binding (RFC 8705) — default off, stored as given on create and update, unknown
 * modes refused (with the exact code and message, the record unchanged), copied with the
 * integration by a sandbox refresh. One table, one flow: the two settings behave alike.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DomainError } from '../../src/domain/errors.ts';
import type { Integration } from '../../src/domain/integration.ts';
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

interface Setting {
  label: string;
  prop: 'dpop' | 'mtlsBinding';
  code: string;
  message: (value: string) => string;
}

const SETTINGS: Setting[] = [
  {
    label: 'DPoP mode',
    prop: 'dpop',
    code: 'integration.invalid_dpop',
    message: (v) => `unknown DPoP mode "${v}": use off, allowed or required`,
  },
  {
    label: 'mTLS binding',
    prop: 'mtlsBinding',
    code: 'integration.invalid_mtls_binding',
    message: (v) => `unknown mTLS binding "${v}": use off, allowed, required`,
  },
];

const refused = (code: string, message: string) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  assert.equal(e.message, message);
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

  for (const s of SETTINGS) {
    describe(s.label, () => {
      const of = (i: Integration | undefined) => i?.[s.prop];

      it('defaults to off, is stored as given on create and update, and reads back', async () => {
        const deps = depsFor(store);
        const { integration: plain } = await createIntegration(deps, SYSTEM, {
          accountId: '123456',
          name: 'plain',
        });
        assert.equal(of(plain), 'off');
        const { integration: bound } = await createIntegration(deps, SYSTEM, {
          accountId: '123456',
          name: 'bound',
          [s.prop]: 'required',
        });
        assert.equal(of(bound), 'required');
        assert.equal(of(await getIntegration(deps, SYSTEM, '123456', bound.id)), 'required');
        const updated = await updateIntegration(deps, SYSTEM, '123456', plain.clientId, {
          [s.prop]: 'allowed',
        });
        assert.equal(of(updated), 'allowed');
        const listed = await listIntegrations(deps, SYSTEM, '123456');
        assert.deepEqual(
          listed.map((i) => [i.name, of(i)]),
          [
            ['plain', 'allowed'],
            ['bound', 'required'],
          ],
        );
      });

      it('refuses an unknown mode on create and update, naming the valid ones', async () => {
        const deps = depsFor(store);
        await assert.rejects(
          createIntegration(deps, SYSTEM, { accountId: '123456', name: 'x', [s.prop]: 'on' }),
          refused(s.code, s.message('on')),
        );
        assert.deepEqual(await listIntegrations(deps, SYSTEM, '123456'), []);
        const { integration } = await createIntegration(deps, SYSTEM, {
          accountId: '123456',
          name: 'y',
        });
        await assert.rejects(
          updateIntegration(deps, SYSTEM, '123456', integration.clientId, {
            [s.prop]: 'REQUIRED',
          }),
          refused(s.code, s.message('REQUIRED')),
        );
        assert.equal(of(await getIntegration(deps, SYSTEM, '123456', integration.id)), 'off');
      });

      it('a sandbox refresh copies the setting with the integration', async () => {
        const deps = depsFor(store);
        await createIntegration(deps, SYSTEM, {
          accountId: '123456',
          name: 'b',
          [s.prop]: 'required',
        });
        await createAccount(deps, SYSTEM, { id: '123456_SB1' });
        await refreshSandbox(deps, SYSTEM, '123456_SB1');
        const [copy] = await listIntegrations(deps, SYSTEM, '123456_SB1');
        assert.deepEqual([copy?.name, of(copy)], ['b', 'required']);
      });
    });
  }
});
