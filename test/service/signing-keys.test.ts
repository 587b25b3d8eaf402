/**
 * An account's first signing key is created on first use; concurrent first requests must all
 * get a signer. The trap: a read of the account's keys that began before the key was created
 * (another request's, still in flight) must not be taken as the answer after creating it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { createAccount, SYSTEM } from '../../src/service/index.ts';
import { SigningKeys } from '../../src/service/token/signing-keys.ts';
import type { SigningKeyStore, Store } from '../../src/store/ports.ts';
import { sqliteStores, type TestStore } from '../support/stores.ts';
import { depsFor } from './fixtures.ts';

const master = loadMasterKey({ secret: 'signing-keys-test-secret-0123456789', keyFile: '/none' });

describe('signing keys: the first key under concurrent first requests', () => {
  let store: TestStore;
  before(async () => {
    store = await sqliteStores.open();
    await createAccount(depsFor(store), SYSTEM, { id: 'TSTDRV123' });
  });
  after(async () => {
    await store.close();
  });

  it('a read begun before the key was created is not taken for the answer after it', async () => {
    let lists = 0;
    let releaseStale: () => void = () => undefined;
    const staleHeld = new Promise<void>((r) => {
      releaseStale = r;
    });
    let staleTaken: () => void = () => undefined;
    const staleRead = new Promise<void>((r) => {
      staleTaken = r;
    });
    let second: Promise<unknown> | null = null;
    const real = store.signingKeys;
    const signingKeys: SigningKeyStore = {
      ...real,
      async list(accountId) {
        const n = ++lists;
        const records = await real.list(accountId);
        if (n === 2) {
          // The second request's read: taken before the key exists, answered after.
          staleTaken();
          await staleHeld;
        }
        return records;
      },
      async rotate(key, onlyIfNone) {
        if (second === null) {
          // While the first request creates the key, a second request starts reading.
          second = keys.signer('TSTDRV123');
          await staleRead;
        }
        const done = await real.rotate(key, onlyIfNone);
        setTimeout(releaseStale, 20);
        return done;
      },
    };
    const wrapped: Store = Object.assign(Object.create(store) as Store, { signingKeys });
    const keys = new SigningKeys(wrapped, depsFor(store).clock, master);
    try {
      const first = await keys.signer('TSTDRV123');
      assert.ok(first.kid, 'the first request has a signer');
      const other = (await second) as { kid: string } | null;
      assert.equal(other?.kid, first.kid, 'the second request has the same signer');
      assert.equal((await real.list('TSTDRV123')).length, 1, 'one key created');
    } finally {
      keys.close();
    }
  });
});
