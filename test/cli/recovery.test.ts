/**
 * Recovering console access from the command line (docs/cli.md, "The store"): a lost password
 * (`entity update --password-stdin`) and a lost two-factor device (`--reset-two-factor`), alone
 * or together. Each ends the entity's console sessions and is audited; a refused reset changes
 * nothing.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import { assertMistake, cli, tempDir } from './support.ts';

const A = 'TSTDRV0000001';
const ADMIN = 1;

/** The administrator enrolled in two-factor and signed in, as a user who then lost the device. */
async function enrolledAndSignedIn(store: Store): Promise<string> {
  await store.console.twoFactor.set(A, ADMIN, 'sealed-secret', ['h1', 'h2', 'h3']);
  const idHash = randomBytes(32).toString('hex');
  const now = Date.now();
  await store.console.sessions.create({
    idHash,
    stage: 'active',
    emailLc: 'admin@certmint.local',
    candidates: [{ accountId: A, entityId: ADMIN }],
    accountId: A,
    entityId: ADMIN,
    roleId: 3,
    twoFactorDone: true,
    pendingTotpSecret: null,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + 3_600_000,
  });
  return idHash;
}

describe('certmint entity update: a lost password or two-factor device', () => {
  let dir: string;
  let db: string;
  let store: Store;
  before(async () => {
    dir = tempDir();
    db = join(dir, 'certmint.db');
    const init = await cli(['--db', db, 'init']);
    assert.equal(init.code, 0, init.stderr);
    store = await openStore(db);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--reset-two-factor forgets the device and recovery codes, ends the sessions, is audited', async () => {
    const session = await enrolledAndSignedIn(store);
    const r = await cli([
      '--db',
      db,
      'entity',
      'update',
      '--account',
      A,
      '1',
      '--reset-two-factor',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'updated entity 1 (Administrator): two-factor reset, it enrols again at its next console sign-in\n',
    );
    assert.deepEqual(await store.console.twoFactor.get(A, ADMIN), {
      totpSecret: null,
      recoveryCodesLeft: 0,
    });
    assert.equal(await store.console.sessions.get(session), null);
    const [last] = await store.audit.list({ accountId: A, limit: 1 });
    assert.deepEqual([last?.type, last?.entityId, last?.actor], ['two_factor.reset', ADMIN, null]);
  });

  it('a new password and a two-factor reset in one command (--json)', async () => {
    await enrolledAndSignedIn(store);
    const r = await cli(
      [
        '--db',
        db,
        '--json',
        'entity',
        'update',
        '--account',
        A,
        '1',
        '--password-stdin',
        '--reset-two-factor',
      ],
      { input: 'a brand new console password\n' },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      id: number;
      hasPassword: boolean;
      twoFactorReset: boolean;
    };
    assert.deepEqual([out.id, out.hasPassword, out.twoFactorReset], [1, true, true]);
    const hash = await store.entities.getPasswordHash(A, ADMIN);
    assert.equal(await verifyPassword('a brand new console password', hash), true);
    assert.equal((await store.console.twoFactor.get(A, ADMIN))?.totpSecret, null);
    const types = (await store.audit.list({ accountId: A, limit: 2 })).map((e) => e.type);
    assert.deepEqual(types, ['two_factor.reset', 'password.reset']);
  });

  it('an unknown entity is one line, exit 1, and changes nothing', async () => {
    await enrolledAndSignedIn(store);
    const before = await store.audit.list({ accountId: A, limit: 1000 });
    assertMistake(
      await cli(['--db', db, 'entity', 'update', '--account', A, '99', '--reset-two-factor']),
      1,
      /^certmint: entity 99 does not exist in account TSTDRV0000001: check the id against the list of entities \(certmint entity list --account TSTDRV0000001\)$/,
    );
    assert.equal((await store.audit.list({ accountId: A, limit: 1000 })).length, before.length);
    assert.equal((await store.console.twoFactor.get(A, ADMIN))?.totpSecret, 'sealed-secret');
  });
});
