/**
 * Repeated identical failures of the OAuth endpoints fold into one audit row with a count
 * (same account, endpoint, detail, client, certificate, entity, role and address, within one
 * AUDIT_FOLD_WINDOW_MS window): the newest row, so it lists first; atomically across nodes; the
 * reason stays exact. Successes and
 * administrative events never fold. The retention purge deletes the oldest rows in bounded
 * batches.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AUDIT_FOLD_WINDOW_MS, type AuditEvent, auditEvent } from '../../src/domain/audit.ts';
import { describeEachStore } from '../support/stores.ts';

// The start of a fold window, so that T + a few seconds stays in it.
const T = Math.ceil(1_700_000_000_000 / AUDIT_FOLD_WINDOW_MS) * AUDIT_FOLD_WINDOW_MS;

const failure = (at: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  ...auditEvent('token', 'A', at, {
    result: 'failure',
    detail: 'SignatureValidation',
    clientId: 'client-1',
    certificateId: 'cert-1',
    remoteAddress: '192.0.2.7',
  }),
  ...over,
});

describeEachStore('store: audit folding and retention', (f) => {
  it('identical failures in one window are one row with a count, in one batch or many', async () => {
    const store = await f.open();
    try {
      await store.audit.append([failure(T), failure(T + 10), failure(T + 20)]);
      await store.audit.append([failure(T + 1000)]);
      const rows = await store.audit.list({ accountId: 'A', limit: 10 });
      assert.equal(rows.length, 1);
      assert.deepEqual(
        { ...rows[0], id: undefined },
        { ...failure(T + 1000), id: undefined, count: 4, firstAt: T },
      );
    } finally {
      await store.close();
    }
  });

  it('any difference, another window, a success or an administrative event: rows of their own', async () => {
    const store = await f.open();
    try {
      const distinct = [
        failure(T),
        failure(T, { detail: 'TokenExpired' }),
        failure(T, { remoteAddress: '192.0.2.8' }),
        failure(T, { clientId: 'client-2' }),
        failure(T, { certificateId: 'cert-2' }),
        failure(T, { accountId: 'B' }),
        failure(T, { type: 'introspect' }),
        failure(T + AUDIT_FOLD_WINDOW_MS),
      ];
      const never = [
        auditEvent('token', 'A', T, { clientId: 'client-1', certificateId: 'cert-1' }),
        auditEvent('token', 'A', T, { clientId: 'client-1', certificateId: 'cert-1' }),
        auditEvent('mapping.create', 'A', T, { result: 'failure', actor: 1 }),
        auditEvent('mapping.create', 'A', T, { result: 'failure', actor: 1 }),
      ];
      await store.audit.append([...distinct, ...never]);
      const a = await store.audit.list({ accountId: 'A', limit: 100 });
      const b = await store.audit.list({ accountId: 'B', limit: 100 });
      assert.equal(a.length + b.length, distinct.length + never.length);
      assert.ok([...a, ...b].every((e) => e.count === undefined && e.firstAt === undefined));
      // In append order (newest first when listed).
      assert.deepEqual(
        a.map(({ id: _, ...e }) => e),
        [...distinct, ...never].filter((e) => e.accountId === 'A').reverse(),
      );
    } finally {
      await store.close();
    }
  });

  it('the folded row is the newest: it lists before what happened since its first failure', async () => {
    const store = await f.open();
    try {
      const other = auditEvent('token', 'A', T + 5, { clientId: 'client-1' });
      await store.audit.append([failure(T)]);
      await store.audit.append([other]);
      await store.audit.append([failure(T + 10)]);
      const rows = await store.audit.list({ accountId: 'A', limit: 10 });
      assert.deepEqual(
        rows.map((r) => [r.result, r.count ?? 1, r.at]),
        [
          ['failure', 2, T + 10],
          ['success', 1, T + 5],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('two nodes folding the same failure at once add up in one row', async () => {
    const [a, b] = await f.openPair();
    try {
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).audit.append([failure(T + i)])),
      );
      const rows = await a.audit.list({ accountId: 'A', limit: 10 });
      assert.deepEqual(
        rows.map((r) => [r.count, r.at, r.firstAt]),
        [[20, T + 19, T]],
      );
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('purgeBefore deletes at most `limit` of the oldest events before the time', async () => {
    const store = await f.open();
    try {
      const events = Array.from({ length: 25 }, (_, i) =>
        auditEvent('keys.rotate', 'A', T + i * 1000),
      );
      await store.audit.append(events);
      assert.equal(await store.audit.purgeBefore(T + 20_000, 8), 8);
      assert.equal(await store.audit.purgeBefore(T + 20_000, 8), 8);
      assert.equal(await store.audit.purgeBefore(T + 20_000, 8), 4);
      assert.equal(await store.audit.purgeBefore(T + 20_000, 8), 0);
      const left = await store.audit.list({ accountId: 'A', limit: 100 });
      assert.deepEqual(
        left.map((e) => e.at).sort((x, y) => x - y),
        events.slice(20).map((e) => e.at),
      );
    } finally {
      await store.close();
    }
  });
});
