/**
 * The start-up check of a node that shares its store (service/cluster.ts): its signing-key
 * secret must be the store's (a key-check value stored by the first node), its public URL must
 * be the store's unless it changes it deliberately, and a PostgreSQL node needs CERTMINT_SECRET.
 * Each refusal names what to do and changes nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { newSigningKey } from '../../src/crypto/signing-key.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { KEY_CHECK_SETTING, PUBLIC_URL_SETTING } from '../../src/service/cluster.ts';
import { SYSTEM } from '../../src/service/context.ts';
import { createAccount } from '../../src/service/index.ts';
import { openServices } from '../../src/service/runtime.ts';
import { createServices } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused, refusedOnCli } from '../support/refused.ts';
import { describeEachStore, PG_SKIP_REASON, postgresStores } from '../support/stores.ts';

const SECRET_A = 'cluster-secret-a-0123456789abcdef';
const SECRET_B = 'cluster-secret-b-0123456789abcdef';
const URL_A = 'https://auth-a.example.com';
const URL_B = 'https://auth-b.example.com';
const clock = new FixedClock(Date.UTC(2026, 0, 1));

/** A node's services on `store` (the store stays the test's: not owned). */
const node = (store: Store, secret: string, publicUrl = URL_A) =>
  createServices({
    store,
    master: loadMasterKey({ secret, keyFile: '/nonexistent' }),
    publicUrl,
    clock,
  });

describeEachStore('cluster check', (f) => {
  it('the first node stores the key check; the same secret passes, another is refused', async () => {
    const store = await f.open();
    try {
      await node(store, SECRET_A).checkCluster();
      const check = await store.settings.get(KEY_CHECK_SETTING);
      assert.ok(check && !check.includes(SECRET_A));
      await node(store, SECRET_A).checkCluster();
      await assert.rejects(
        node(store, SECRET_B).checkCluster(),
        refused(
          'cluster.secret_mismatch',
          /^CERTMINT_SECRET is not the secret this store’s token-signing keys are encrypted with .*: start this node with the same CERTMINT_SECRET \(or --secret-file\) as the other nodes\.$/,
        ),
      );
      assert.equal(await store.settings.get(KEY_CHECK_SETTING), check, 'nothing changed');
    } finally {
      await store.close();
    }
  });

  it('two first nodes at once with different secrets: exactly one passes', async () => {
    const [a, b] = await f.openPair();
    try {
      const results = await Promise.allSettled([
        node(a, SECRET_A).checkCluster(),
        node(b, SECRET_B).checkCluster(),
      ]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      const failed = results.find((r) => r.status === 'rejected');
      assert.ok(failed && refused('cluster.secret_mismatch')(failed.reason));
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a store from before the check: its newest signing key decides', async () => {
    const store = await f.open();
    try {
      await createAccount({ store, clock }, SYSTEM, { id: '123456' });
      const masterA = loadMasterKey({ secret: SECRET_A, keyFile: '/nonexistent' });
      await store.signingKeys.rotate(newSigningKey('123456', clock.now(), masterA), true);
      await assert.rejects(
        node(store, SECRET_B).checkCluster(),
        refused('cluster.secret_mismatch'),
      );
      assert.equal(await store.settings.get(KEY_CHECK_SETTING), null, 'no check was stored');
      await node(store, SECRET_A).checkCluster();
      assert.notEqual(await store.settings.get(KEY_CHECK_SETTING), null);
    } finally {
      await store.close();
    }
  });

  it('the public URL: the first is kept, another is refused, a deliberate change replaces it', async () => {
    const store = await f.open();
    try {
      assert.deepEqual(await node(store, SECRET_A, URL_A).checkCluster(), {
        publicUrlChangedFrom: null,
      });
      assert.equal(await store.settings.get(PUBLIC_URL_SETTING), URL_A);
      await node(store, SECRET_A, `${URL_A}/`).checkCluster(); // trailing slash: the same URL
      await assert.rejects(
        node(store, SECRET_A, URL_B).checkCluster(),
        refusedOnCli(
          'cluster.public_url_mismatch',
          new RegExp(
            `^this node’s public URL ${URL_B} differs from the store’s, ${URL_A}, .* Start it with --public-url ${URL_A} \\(or CERTMINT_PUBLIC_URL\\), or make ${URL_B} the store’s with --change-public-url and restart every other node with it\\.$`,
          ),
        ),
      );
      assert.equal(await store.settings.get(PUBLIC_URL_SETTING), URL_A, 'nothing changed');
      assert.deepEqual(await node(store, SECRET_A, URL_B).checkCluster('change'), {
        publicUrlChangedFrom: URL_A,
      });
      await assert.rejects(
        node(store, SECRET_A, URL_A).checkCluster(),
        refused('cluster.public_url_mismatch'),
      );
      // `skip`: commands that issue nothing do not care.
      await node(store, SECRET_A, URL_A).checkCluster('skip');
    } finally {
      await store.close();
    }
  });
});

describe('cluster check through openServices [sqlite]', () => {
  it('a swapped key file is noticed at start, and by a command before it uses the key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certmint-cluster-'));
    const db = join(dir, 'certmint.db');
    const open = (serving: boolean) =>
      openServices({ db, filesDir: dir, serving, publicUrl: URL_A, clock });
    const first = await open(true);
    await first.records.createAccount(SYSTEM, { id: '123456' });
    await first.signingKeys.jwks('123456');
    await first.close();

    writeFileSync(join(dir, 'master.key'), `${randomBytes(32).toString('base64url')}\n`);
    const keyFile = new RegExp(
      `^the key file ${join(dir, 'master.key').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not the key this store’s token-signing keys are encrypted with .*: put the store’s own key file back, or start with the CERTMINT_SECRET the store was set up with\\.$`,
    );
    await assert.rejects(open(true), refused('cluster.secret_mismatch', keyFile));
    // A command that never decrypts works; one that would is refused before it writes.
    const cli = await open(false);
    try {
      assert.equal((await cli.records.listAccounts(SYSTEM)).length, 1);
      await assert.rejects(
        cli.signingKeys.rotate(SYSTEM, '123456'),
        refused('cluster.secret_mismatch', keyFile),
      );
    } finally {
      await cli.close();
    }
  });
});

const pgFactory = postgresStores();
describe('cluster check through openServices [postgres]', {
  skip: pgFactory ? false : PG_SKIP_REASON,
}, () => {
  it('a PostgreSQL node needs CERTMINT_SECRET; a command needs it only to use the key', async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    const filesDir = mkdtempSync(join(tmpdir(), 'certmint-cluster-'));
    try {
      await assert.rejects(
        openServices({ db: store.location, filesDir, serving: true, publicUrl: URL_A }),
        refusedOnCli(
          'cluster.secret_required',
          /^a PostgreSQL store needs CERTMINT_SECRET: .* Set CERTMINT_SECRET \(or --secret-file <file>\) to the secret the other nodes use/,
        ),
      );
      assert.equal(await store.settings.get(KEY_CHECK_SETTING), null);
      const cli = await openServices({ db: store.location, filesDir });
      try {
        await cli.records.createAccount(SYSTEM, { id: '123456' });
        await assert.rejects(
          cli.signingKeys.rotate(SYSTEM, '123456'),
          refused('cluster.secret_required'),
        );
      } finally {
        await cli.close();
      }
      // An embedder's createServices with a key file: the same refusal, from checkCluster.
      const embedded = createServices({
        store,
        master: loadMasterKey({ keyFile: join(filesDir, 'master.key') }),
        publicUrl: URL_A,
        clock,
      });
      await assert.rejects(embedded.checkCluster(), refused('cluster.secret_required'));
      assert.equal(await store.settings.get(KEY_CHECK_SETTING), null);
      const good = await openServices({
        db: store.location,
        secret: SECRET_A,
        serving: true,
        publicUrl: URL_A,
      });
      await good.close();
      await assert.rejects(
        openServices({ db: store.location, secret: SECRET_B, serving: true, publicUrl: URL_A }),
        refused('cluster.secret_mismatch'),
      );
    } finally {
      await store.close();
    }
  });
});
