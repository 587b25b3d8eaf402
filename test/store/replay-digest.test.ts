/**
 * Replay keys are stored as their digest (store/replay-key.ts), and migration 0008 converts the
 * keys claimed before it with the same function: an assertion claimed under its long key by an
 * older version must still be refused after the upgrade.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openStore } from '../../src/store/index.ts';
import { replayDigest } from '../../src/store/replay-key.ts';
import { describeEachStore, type TestStore } from '../support/stores.ts';

// The stored form is fixed: keys claimed by earlier versions must keep matching. Pinned to the
// first 128 bits of SHA-256 of the UTF-8 key, base64url (22 characters), computed another way.
it("a replay digest is the first 16 bytes of the key's SHA-256, base64url", () => {
  for (const key of ['A|client|j:1', 'dpop|token|jkt|x', 'acct|c|j:é✓𝄞', '']) {
    const expected = createHash('sha256')
      .update(Buffer.from(key, 'utf8'))
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    assert.equal(replayDigest(key), expected);
    assert.equal(replayDigest(key).length, 22);
  }
  assert.equal(replayDigest('A|client|j:1'), '1KKkcdB9_N2StZlQzUW94Q');
});

/** Runs statements on the store's database directly (the test schema comes with the URL). */
async function exec(s: TestStore, statements: Array<[string, unknown[]]>): Promise<unknown[][]> {
  const out: unknown[][] = [];
  if (s.dialect === 'sqlite') {
    const raw = new Database(s.location);
    try {
      for (const [text, params] of statements) {
        const q = raw.prepare(text.replace(/\$\d+/g, '?'));
        if (q.reader) {
          out.push(q.all(...params));
        } else {
          q.run(...params);
          out.push([]);
        }
      }
    } finally {
      raw.close();
    }
    return out;
  }
  const c = new pg.Client({ connectionString: s.location });
  await c.connect();
  try {
    for (const [text, params] of statements) out.push((await c.query(text, params)).rows);
  } finally {
    await c.end();
  }
  return out;
}

const keysOf = async (s: TestStore): Promise<string[]> => {
  const [rows] = await exec(s, [['select key from replay order by key', []]]);
  return (rows as Array<{ key: string }>).map((r) => r.key).sort();
};

/** What the migrations after 0008 changed, undone (a new migration adds its undo here). */
const UNDO_AFTER_0008: Array<[string, unknown[]]> = [
  // 0010_change_counter (SQLite only)
  ['drop table if exists change_counter', []],
  // 0009_audit_partial_indexes
  ['drop index audit_events_fold_key', []],
  ['create unique index audit_events_fold_key on audit_events (fold_key)', []],
  ['drop index audit_events_account_detail', []],
  ['create index audit_events_account_detail on audit_events (account_id, detail, id)', []],
];

describeEachStore('replay keys as digests', (f) => {
  const exp = Date.now() + 60_000;

  it('claims store the digest; the readable key is still refused once claimed', async () => {
    const s = await f.open();
    try {
      const key = 'TSTDRV1|client-a|j:jti-1';
      assert.equal(await s.replay.claim(key, exp), true);
      assert.deepEqual(await s.ledger.commit([{ key: 'dpop|token|jkt|x', expiresAt: exp }], []), [
        true,
      ]);
      assert.deepEqual(await s.replay.claimMany([{ key: 'console-totp:1:7', expiresAt: exp }]), [
        true,
      ]);
      assert.deepEqual(
        await keysOf(s),
        [key, 'dpop|token|jkt|x', 'console-totp:1:7'].map(replayDigest).sort(),
      );
      assert.equal(await s.replay.claim(key, exp), false);
      assert.deepEqual(await s.ledger.commit([{ key, expiresAt: exp }], []), [false]);
      assert.deepEqual(await s.replay.claimMany([{ key: 'dpop|token|jkt|x', expiresAt: exp }]), [
        false,
      ]);
    } finally {
      await s.close();
    }
  });

  it('a key claimed whole before migration 0008 is refused after it', async () => {
    const s = await f.open();
    try {
      const before = ['TSTDRV1|client-a|j:jti-before', 'TSTDRV1|client-a|h:abc', 'dpop|r|jkt|y'];
      // The database as the previous version left it: keys stored whole, 0008 and the
      // migrations after it not yet run (their changes undone, so they can run again).
      await exec(s, [
        ["delete from kysely_migration where name >= '0008'", []],
        ...UNDO_AFTER_0008,
        ...before.map((k): [string, unknown[]] => [
          'insert into replay (key, expires_at) values ($1, $2)',
          [k, exp],
        ]),
      ]);
      const upgraded = await openStore(s.location);
      try {
        assert.deepEqual(await keysOf(s), before.map(replayDigest).sort());
        const [first, second, third] = before as [string, string, string];
        assert.equal(await upgraded.replay.claim(first, exp), false);
        assert.deepEqual(await upgraded.ledger.commit([{ key: second, expiresAt: exp }], []), [
          false,
        ]);
        assert.deepEqual(await upgraded.replay.claimMany([{ key: third, expiresAt: exp }]), [
          false,
        ]);
        assert.equal(await upgraded.replay.claim('TSTDRV1|client-a|j:jti-after', exp), true);
      } finally {
        await upgraded.close();
      }
    } finally {
      await s.close();
    }
  });
});
