import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import pg from 'pg';
import { auditEvent } from '../../src/domain/audit.ts';
import type { Store } from '../../src/store/ports.ts';
import { CHANGE_POLL_MS } from '../../src/store/sqlite/open.ts';
import { describeEachStore } from '../support/stores.ts';
import { mapping, production, setup, T0 } from './fixtures.ts';

/**
 * Resolves with the first notification for which `accept` holds. The feed's timer and socket
 * are unref'd (they must not keep a CLI process alive), so the wait holds the event loop open,
 * for at most 20 s: a lost notification fails the test instead of hanging the process.
 */
function next(store: Store, accept: (accountId: string | null) => boolean): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => {
      off();
      reject(new Error('no matching change notification within 20 s'));
    }, 20_000);
    const off = store.changes.subscribe((accountId) => {
      if (!accept(accountId)) return;
      off();
      clearTimeout(guard);
      resolve(accountId);
    });
  });
}

describeEachStore('store: change feed', (f) => {
  let a: Store;
  let b: Store;
  before(async () => {
    [a, b] = await f.openPair();
  });
  after(async () => {
    await a.close();
    await b.close();
  });

  it('tells this store subscribers which account changed, once the write has committed', async () => {
    const seen: Array<string | null> = [];
    const off = a.changes.subscribe((id) => seen.push(id));
    await a.accounts.create(production('1'));
    assert.ok(seen.includes('1'), `got ${JSON.stringify(seen)}`);
    const before = seen.length;
    const e = await a.entities.create({
      accountId: '1',
      name: 'x',
      email: null,
      type: 'employee',
      active: true,
    });
    assert.ok(seen.slice(before).includes('1'));
    // A write that changes nothing announces nothing.
    const n = seen.length;
    assert.equal(await a.entities.setPasswordHash('1', e.id + 100, 'h'), false);
    assert.equal(seen.length, n);
    // After unsubscribing, nothing more arrives.
    off();
    await a.entities.update('1', e.id, { name: 'y' });
    assert.equal(seen.length, n);
  });

  it('announces nothing for a refused mapping create', async () => {
    const s = await setup(a, '2');
    const m = mapping(s, 1);
    assert.equal(await a.mappings.create(m, 5, T0), 'created');
    const seen: Array<string | null> = [];
    const off = a.changes.subscribe((id) => seen.push(id));
    assert.equal(await a.mappings.create(m, 5, T0), 'certificate_taken');
    off();
    assert.equal(seen.length, 0);
  });

  it('reaches another Store instance on the same database', { timeout: 20_000 }, async () => {
    // PostgreSQL delivers the account id by NOTIFY; SQLite's change-counter poll can only say
    // "something changed" (null).
    const accept = (id: string | null) => id === '3' || (f.name === 'sqlite' && id === null);
    const heardByB = next(b, accept);
    await a.accounts.create(production('3'));
    assert.ok(accept(await heardByB));
    const heardByA = next(a, (id) => id === '3' || (f.name === 'sqlite' && id === null));
    await b.roles.create({ accountId: '3', name: 'r', active: true, permissions: [] });
    assert.ok(accept(await heardByA));
  });

  it("another instance's token writes (replay claims, audit rows) announce nothing", {
    timeout: 20_000,
  }, async () => {
    const seen: Array<string | null> = [];
    const off = b.changes.subscribe((id) => seen.push(id));
    try {
      const now = Date.now();
      for (let i = 0; i < 5; i++) {
        await a.ledger.commit(
          [{ key: `quiet-${i}`, expiresAt: now + 60_000 }],
          [auditEvent('token', '3', now, { clientId: 'c' })],
        );
        assert.equal(await a.replay.claim(`quiet-single-${i}`, now + 60_000), true);
      }
      // Nothing to wait for but time: three of SQLite's polls (CHANGE_POLL_MS) pass.
      await new Promise((r) => setTimeout(r, 3 * CHANGE_POLL_MS));
      assert.deepEqual(seen, [], "token traffic must not drop other processes' caches");
      // A record write still reaches b.
      const heard = next(b, (id) => id === '3' || (f.name === 'sqlite' && id === null));
      await a.entities.create({
        accountId: '3',
        name: 'z',
        email: null,
        type: 'employee',
        active: true,
      });
      await heard;
    } finally {
      off();
    }
  });
});

describeEachStore('store: change feed after a lost connection', (f) => {
  it('says "anything may have changed" and listens again when the LISTEN connection drops', {
    skip: f.name === 'sqlite' ? 'SQLite has no connection to lose' : false,
    timeout: 30_000,
  }, async () => {
    const [a, b] = await f.openPair();
    try {
      // Kill every certmint-listener backend listening on this schema's channel (a's and b's).
      const admin = new pg.Client({ connectionString: a.location });
      await admin.connect();
      // Two nulls: one when the connection is lost, one when it listens again (whatever
      // was written in between went unheard).
      let nulls = 0;
      const relistening = next(a, (id) => id === null && ++nulls === 2);
      try {
        const killed = await admin.query(
          `select pg_terminate_backend(pid) from pg_stat_activity
              where application_name = 'certmint-listener'
                and query = 'LISTEN "certmint_changes_' || current_schema() || '"'`,
        );
        assert.equal(killed.rowCount, 2);
      } finally {
        await admin.end();
      }
      assert.equal(await relistening, null);
      const heard = next(a, (id) => id === '9');
      await b.accounts.create(production('9'));
      assert.equal(await heard, '9');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
