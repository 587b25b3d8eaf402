/**
 * A separate certmint process for the multi-process SQLite test. Opens the store given as
 * argument, prints "ready", then runs one JSON command per stdin line and prints its results
 * as one JSON line. The parent sends each command to every process at once.
 *
 *   {"op":"claim","key":"k","count":10}
 *   {"op":"mappings","accountId":"1","integrationId":1,"entityId":1,"roleId":3,"count":8}
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { openStore } from '../../../src/store/index.ts';

interface Command {
  op: 'claim' | 'mappings';
  key?: string;
  accountId?: string;
  integrationId?: number;
  entityId?: number;
  roleId?: number;
  count: number;
}

const store = await openStore(process.argv[2]);
process.stdout.write('ready\n');
const id = () => randomBytes(32).toString('base64url');
const many = <T>(n: number, fn: () => Promise<T>) => Promise.all(Array.from({ length: n }, fn));

for await (const line of createInterface({ input: process.stdin })) {
  const c = JSON.parse(line) as Command;
  const results =
    c.op === 'claim'
      ? await many(c.count, () => store.replay.claim(c.key ?? '', 4_000_000_000_000))
      : await many(c.count, () =>
          store.mappings.create(
            {
              certificateId: id(),
              publicKeyId: id(),
              pem: 'x',
              subject: 'CN=x',
              issuer: 'CN=x',
              serialNumber: '01',
              algorithm: 'EC',
              keyType: 'ec',
              keySize: 256,
              curve: 'P-256',
              validFrom: 0,
              validUntil: 4_000_000_000_000,
              shortened: false,
              accountId: c.accountId ?? '',
              integrationId: c.integrationId ?? 0,
              entityId: c.entityId ?? 0,
              roleId: c.roleId ?? 0,
              createdAt: 0,
              createdBy: null,
              revokedAt: null,
              revokedBy: null,
            },
            5,
            1_000,
          ),
        );
  process.stdout.write(`${JSON.stringify(results)}\n`);
}
await store.close();
