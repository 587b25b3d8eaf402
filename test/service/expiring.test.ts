/** The "expiring within a window" read: which certificates, for whom, refusals. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import {
  createAccount,
  createMapping,
  listExpiring,
  revokeMapping,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { refused } from '../support/refused.ts';
import { sqliteStores } from '../support/stores.ts';
import { DAY, depsFor, type Seed, seed } from './fixtures.ts';

describe('service: certificates expiring within a window', () => {
  let store: Store;
  let deps: ReturnType<typeof depsFor>;
  let a: Seed;
  let b: Seed;
  const ids: Record<string, string> = {};
  before(async () => {
    store = await sqliteStores.open();
    deps = depsFor(store);
    a = await seed(deps, '111');
    b = await seed(deps, '222');
    const map = async (s: Seed, days: number) => {
      const g = await generateCertificate({ alg: 'ES256', now: deps.clock.now(), days });
      return (
        await createMapping(deps, SYSTEM, {
          accountId: s.accountId,
          clientId: s.clientId,
          entityId: s.entityId,
          roleId: s.roleId,
          certificate: g.certificatePem,
        })
      ).certificateId;
    };
    ids.a10 = await map(a, 10);
    ids.a40 = await map(a, 40);
    ids.b20 = await map(b, 20);
    ids.bRevoked = await map(b, 5);
    await revokeMapping(deps, SYSTEM, b.accountId, ids.bRevoked);
  });
  after(() => store.close());

  it('every account for the system, soonest first, active only, with days left', async () => {
    const list = await listExpiring(deps, SYSTEM, { withinMs: 30 * DAY });
    assert.deepEqual(
      list.map((c) => [c.accountId, c.certificateId, c.daysLeft]),
      [
        ['111', ids.a10, 10],
        ['222', ids.b20, 20],
      ],
    );
    assert.deepEqual(await listExpiring(deps, SYSTEM, { withinMs: 5 * DAY }), []);
  });

  it("an entity sees its own account's, with the mapping permission", async () => {
    const admin = {
      kind: 'entity' as const,
      accountId: '111',
      entityId: a.entityId,
      roleId: 3,
      permissions: [],
    };
    const own = await listExpiring(deps, admin, { withinMs: 60 * DAY });
    assert.deepEqual(
      own.map((c) => c.certificateId),
      [ids.a10, ids.a40],
    );
    await assert.rejects(
      listExpiring(deps, admin, { withinMs: DAY, accountId: '222' }),
      refused('permission.other_account'),
    );
    await assert.rejects(
      listExpiring(
        deps,
        { ...admin, roleId: a.roleId, permissions: ['oauth2_access_token_login'] },
        { withinMs: DAY },
      ),
      refused('permission.missing'),
    );
  });

  it('refuses a window it cannot use and an unknown account', async () => {
    for (const withinMs of [0, -1, Number.NaN, 20 * 365 * DAY]) {
      await assert.rejects(listExpiring(deps, SYSTEM, { withinMs }), refused('expiring.window'));
    }
    await createAccount(deps, SYSTEM, { id: '333' });
    assert.deepEqual(await listExpiring(deps, SYSTEM, { withinMs: DAY, accountId: '333' }), []);
    await assert.rejects(
      listExpiring(deps, SYSTEM, { withinMs: DAY, accountId: '999' }),
      refused('account.not_found'),
    );
  });
});
