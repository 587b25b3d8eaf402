/**
 * Audit retention: the services' background job deletes audit events older than the
 * retention period (default 90 days), in bounded batches; 0 keeps everything.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { auditEvent } from '../../src/domain/audit.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { AUDIT_RETENTION_DAYS, purgeAudit } from '../../src/service/retention.ts';
import { createServices } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';
import { describeEachStore } from '../support/stores.ts';
import { eventually } from '../support/wait.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

/** `old` events from before the retention period, `kept` from within it. */
async function seed(store: Store, old: number, kept: number): Promise<void> {
  const at = (daysAgo: number, i: number) => NOW - daysAgo * DAY + i;
  await store.audit.append([
    ...Array.from({ length: old }, (_, i) => auditEvent('keys.rotate', 'A', at(91, i))),
    ...Array.from({ length: kept }, (_, i) => auditEvent('keys.rotate', 'A', at(89, i))),
  ]);
}

const count = async (store: Store) =>
  (await store.audit.list({ accountId: 'A', limit: 1000 })).length;

describeEachStore('audit retention', (f) => {
  it('deletes what is older than the retention, in batches; 0 keeps everything', async () => {
    const store = await f.open();
    try {
      await seed(store, 25, 5);
      assert.equal(AUDIT_RETENTION_DAYS, 90);
      assert.equal(await purgeAudit(store.audit, NOW, 0), 0);
      assert.equal(await count(store), 30);
      let batches = 0;
      const audit = {
        purgeBefore: (before: number, limit: number) => {
          batches += 1;
          assert.equal(limit, 10);
          return store.audit.purgeBefore(before, limit);
        },
      };
      assert.equal(await purgeAudit(audit, NOW, 90, { batch: 10 }), 25);
      assert.equal(batches, 3);
      assert.equal(await count(store), 5);
    } finally {
      await store.close();
    }
  });

  it('runs as a background job of the services', async () => {
    const store = await f.open();
    const services = createServices({
      store,
      master: loadMasterKey({ secret: 'retention-secret-0123456789', keyFile: '/nonexistent' }),
      publicUrl: 'http://certmint.test',
      clock: new FixedClock(NOW),
      auditRetentionDays: 90,
      purgeIntervalMs: 20,
    });
    try {
      await seed(store, 3, 2);
      services.startBackgroundJobs((err) => assert.fail(String(err)));
      await eventually('the old events are gone', async () => (await count(store)) === 2);
    } finally {
      await services.close();
      await store.close();
    }
  });
});
