/**
 * SQLite background checkpoints: with `backgroundCheckpoints`, committed pages reach the main
 * database file without any commit doing it (a worker thread checkpoints the WAL); without it,
 * a WAL below SQLite's auto-checkpoint size stays un-checkpointed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { openStore } from '../../src/store/index.ts';

const events = (n: number): AuditEvent[] =>
  Array.from({ length: n }, (_, i) => ({
    at: 1_700_000_000_000 + i,
    accountId: 'TSTDRV1',
    type: 'token',
    result: 'failure',
    detail: 'SignatureValidation',
    clientId: 'c'.repeat(64),
    certificateId: `cert-${i}`,
    entityId: 1,
    roleId: 1000,
    remoteAddress: '127.0.0.1',
    actor: null,
  }));

async function grownBy(backgroundCheckpoints: boolean): Promise<number> {
  const file = join(mkdtempSync(join(tmpdir(), 'certmint-ckpt-')), 'c.db');
  const store = await openStore(file, { backgroundCheckpoints });
  try {
    await store.accounts.create({
      id: 'TSTDRV1',
      kind: 'production',
      parentId: null,
      createdAt: 0,
      refreshedAt: null,
    });
    const before = statSync(file).size;
    for (let i = 0; i < 4; i++) await store.audit.append(events(300));
    await sleep(2500);
    return statSync(file).size - before;
  } finally {
    await store.close();
  }
}

describe('SQLite WAL checkpoints', () => {
  it('a serving store checkpoints from a worker; a plain one leaves a small WAL alone', async () => {
    const [worker, plain] = await Promise.all([grownBy(true), grownBy(false)]);
    assert.ok(worker > 50_000, `the database file grew by ${worker} bytes`);
    assert.equal(plain, 0);
  });
});
