import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { listAudit, SYSTEM } from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { depsFor, entityActor } from './fixtures.ts';

const refused = (code: string, message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof DomainError, `expected a DomainError, got ${String(e)}`);
  assert.equal(e.code, code);
  if (message) assert.match(e.message, message);
  return true;
};

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const T0 = Date.UTC(2026, 0, 1);

const event = (i: number, patch: Partial<AuditEvent>): AuditEvent => ({
  at: T0 + i * 1000,
  accountId: '123456',
  type: 'token',
  result: 'success',
  detail: null,
  clientId: A,
  certificateId: null,
  entityId: null,
  roleId: null,
  remoteAddress: '127.0.0.1',
  actor: null,
  ...patch,
});

describeEachStore('audit listing', (factory) => {
  let store: Store;
  beforeEach(async () => {
    store = await factory.open();
    // Through the store: the service would audit the creation, and this trail is the fixture.
    await store.accounts.create({
      id: '123456',
      kind: 'production',
      parentId: null,
      createdAt: T0,
      refreshedAt: null,
    });
    await store.audit.append([
      event(0, {}),
      event(1, { result: 'failure', detail: 'SignatureValidation' }),
      event(2, { result: 'failure', detail: 'TokenExpired', clientId: B }),
      event(3, { type: 'mapping.create', clientId: B }),
      event(4, { accountId: '654321' }),
    ]);
  });
  afterEach(async () => {
    await store.close();
  });

  it('filters by result, detail, client id, type and time, newest first', async () => {
    const deps = depsFor(store);
    const at = async (q: Parameters<typeof listAudit>[2]) =>
      (await listAudit(deps, SYSTEM, q)).map((e) => (e.at - T0) / 1000);
    assert.deepEqual(await at({ accountId: '123456' }), [3, 2, 1, 0]);
    assert.deepEqual(await at({ accountId: '123456', result: 'failure' }), [2, 1]);
    assert.deepEqual(await at({ accountId: '123456', detail: 'TokenExpired' }), [2]);
    assert.deepEqual(await at({ accountId: '123456', clientId: B.toUpperCase() }), [3, 2]);
    assert.deepEqual(await at({ accountId: '123456', type: 'mapping.create' }), [3]);
    assert.deepEqual(
      await at({ accountId: '123456', from: T0 + 1000, to: '2026-01-01T00:00:03Z' }),
      [2, 1],
    );
    assert.deepEqual(await at({ accountId: '123456', limit: '2' }), [3, 2]);
    const page1 = await listAudit(deps, SYSTEM, { accountId: '123456', limit: 2 });
    const page2 = await listAudit(deps, SYSTEM, {
      accountId: '123456',
      limit: 2,
      before: page1.at(-1)?.id ?? 0,
    });
    assert.deepEqual(
      page2.map((e) => (e.at - T0) / 1000),
      [1, 0],
    );
  });

  it('refuses invalid filters with a message naming the valid values', async () => {
    const deps = depsFor(store);
    const q = { accountId: '123456' };
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, limit: 0 }),
      refused('audit.invalid_filter', /from 1 to 1000/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, limit: 1001 }),
      refused('audit.invalid_filter'),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, limit: 'ten' }),
      refused('audit.invalid_filter'),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, result: 'ok' }),
      refused('audit.invalid_filter', /success or failure/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, detail: 'BadThing' }),
      refused('audit.invalid_filter', /unknown detail code "BadThing": use one of UnsupportedAlgo/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, clientId: 'abc' }),
      refused('audit.invalid_filter', /64 hexadecimal/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, type: 'login' }),
      refused('audit.invalid_filter'),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, from: 'yesterday' }),
      refused('audit.invalid_filter', /2026-01-31/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, from: T0, to: T0 }),
      refused('audit.invalid_filter', /earlier/),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { ...q, before: -1 }),
      refused('audit.invalid_filter'),
    );
    await assert.rejects(
      listAudit(deps, SYSTEM, { accountId: '999' }),
      refused('account.not_found'),
    );
    await assert.rejects(
      listAudit(deps, entityActor('123456', ['integration_application']), q),
      refused('permission.missing'),
    );
    assert.equal(
      (await listAudit(deps, entityActor('123456', ['oauth2_authorized_apps_management']), q))
        .length,
      4,
    );
  });
});
