/**
 * Junk from one source does not grow the audit trail row by row: identical refused token
 * requests (same client, certificate, address and reason) within a minute are one row with a
 * count, as the admin API shows it; the reason stays exact, and every issued token keeps a row
 * of its own.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SYSTEM } from '../../src/service/context.ts';
import { assignRole, createEntity, createRole } from '../../src/service/index.ts';
import { sqliteStores } from '../support/stores.ts';
import { tokenFixture } from '../support/token-fixture.ts';

interface ApiEvent {
  type: string;
  result: string;
  detail: string | null;
  at: string;
  count?: number;
  firstAt?: string;
}

describe('audit folding over HTTP', () => {
  it('identical refusals are one row with a count; successes are one row each', async () => {
    const f = await tokenFixture(sqliteStores.open);
    try {
      const deps = { store: f.store, clock: f.clock };
      const role = await createRole(deps, SYSTEM, {
        accountId: f.accountId,
        name: 'auditor',
        permissions: ['oauth2_access_token_login', 'oauth2_authorized_apps_management'],
      });
      const entity = await createEntity(deps, SYSTEM, { accountId: f.accountId, name: 'auditor' });
      await assignRole(deps, SYSTEM, {
        accountId: f.accountId,
        entityId: entity.id,
        roleId: role.id,
      });
      const auditor = await f.newCredential('ES256', { entityId: entity.id, roleId: role.id });
      const issued = await f.token(await f.sign({ scope: ['rest_webservices'] }, {}, auditor));
      assert.equal(issued.statusCode, 200, issued.body);
      const bearer = (issued.json() as { access_token: string }).access_token;

      for (let i = 0; i < 5; i++) {
        // The same expired assertion content each time (fresh jti: not a replay).
        const res = await f.token(await f.sign({ exp: Math.floor(f.clock.now() / 1000) - 600 }));
        assert.equal(res.statusCode, 401);
      }
      f.clock.advance(1000);
      assert.equal((await f.token(await f.sign())).statusCode, 200);
      assert.equal((await f.token(await f.sign())).statusCode, 200);

      const res = await f.app.inject({
        url: `/api/v1/accounts/${f.accountId}/audit?type=token`,
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.statusCode, 200, res.body);
      const events = (res.json() as { events: ApiEvent[] }).events;
      assert.deepEqual(
        events.map((e) => [e.result, e.detail, e.count ?? 1]),
        [
          ['success', null, 1],
          ['success', null, 1],
          ['failure', 'TokenExpired', 5],
          ['success', null, 1],
        ],
      );
      const folded = events[2];
      assert.equal(folded?.at, new Date(f.clock.now() - 1000).toISOString());
      assert.equal(folded?.firstAt, new Date(f.clock.now() - 1000).toISOString());
    } finally {
      await f.close();
    }
  });
});
