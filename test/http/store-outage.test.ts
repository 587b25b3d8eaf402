/**
 * While the database is unavailable, certmint says "try again" instead of failing: the OAuth
 * endpoints answer 503 `temporarily_unavailable` with Retry-After (RFC 6749 §5.2 allows codes
 * beyond its list), the admin API and other resources 503 `{ error, message }`, console pages a
 * 503 page, /readyz 503;
 * and it recovers by itself once the database is back. SQLite: a write lock held by another
 * connection beyond the wait budget. PostgreSQL: a TCP proxy that drops every connection.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { LightMyRequestResponse } from 'fastify';
import { systemClock } from '../../src/domain/clock.ts';
import { openStore } from '../../src/store/index.ts';
import { openSqlite } from '../../src/store/sqlite/open.ts';
import { tempDir } from '../cli/support.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { type Fixture, tokenFixture } from '../support/token-fixture.ts';
import { eventually } from '../support/wait.ts';

const MESSAGE = 'The database is unavailable; try again in a few seconds.';

function assertOAuthUnavailable(res: LightMyRequestResponse): void {
  assert.equal(res.statusCode, 503, res.body);
  assert.deepEqual(res.json(), { error: 'temporarily_unavailable', error_description: MESSAGE });
  assert.equal(res.headers['retry-after'], '5');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['www-authenticate'], undefined);
}

function assertApiUnavailable(res: LightMyRequestResponse): void {
  assert.equal(res.statusCode, 503, res.body);
  assert.deepEqual(res.json(), { error: 'store.unavailable', message: MESSAGE });
  assert.equal(res.headers['retry-after'], '5');
}

const successes = async (f: Fixture) =>
  (await f.audit()).filter((e) => e.type === 'token' && e.result === 'success').length;

describe('the database unavailable while serving', () => {
  it('[sqlite] locked beyond the wait budget: 503 temporarily_unavailable, then recovery', async () => {
    const file = join(tempDir(), 'c.db');
    const f = await tokenFixture((o) =>
      openSqlite(file, { clock: o?.clock ?? systemClock, busyTimeoutMs: 200 }),
    );
    const other = new Database(file);
    try {
      assert.equal((await f.token(await f.sign())).statusCode, 200);
      other.exec('BEGIN IMMEDIATE');
      assertOAuthUnavailable(await f.token(await f.sign()));
      // A refused assertion's audit record cannot be written either: 503, not 401.
      assertOAuthUnavailable(await f.token('not-a-jwt'));
      other.exec('ROLLBACK');
      assert.equal((await f.token(await f.sign())).statusCode, 200);
      // Nothing was answered unrecorded: two tokens, two audit records.
      assert.equal(await successes(f), 2);
    } finally {
      other.close();
      await f.close();
    }
  });

  const pgFactory = postgresStores();
  it('[postgres] connections dropped: 503 everywhere, /readyz 503, recovery without a restart', {
    skip: pgFactory ? false : PG_SKIP_REASON,
  }, async () => {
    if (!pgFactory) return;
    const base = await pgFactory.open();
    const proxy = await startTcpProxy(Number(new URL(base.location).port || 5432));
    const f = await tokenFixture((o) => openStore(proxy.via(base.location), o));
    const get = (url: string, token?: string) =>
      f.app.inject({
        method: 'GET',
        url,
        ...(token && { headers: { authorization: `Bearer ${token}` } }),
      });
    try {
      const issued = await f.token(await f.sign());
      assert.equal(issued.statusCode, 200);
      const bearer = (issued.json() as { access_token: string }).access_token;
      proxy.cut();
      assertOAuthUnavailable(await f.token(await f.sign()));
      assertOAuthUnavailable(await f.post({ token: bearer }, 'introspect'));
      assertApiUnavailable(await get(`/api/v1/accounts/${f.accountId}/audit`, bearer));
      assertApiUnavailable(await get(`/accounts/${f.accountId}/services/rest/whoami`, bearer));
      const ready = await get('/readyz');
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.headers['retry-after'], '5');
      assert.equal((await get('/healthz')).statusCode, 200, 'the process itself is fine');
      // The console looks the session cookie up: a page that says so, 503.
      const page = await f.app.inject({
        url: '/console/',
        headers: { cookie: `certmint_session=${'s'.repeat(43)}` },
      });
      assert.equal(page.statusCode, 503);
      assert.equal(page.headers['retry-after'], '5');
      assert.match(page.body, /The database is unavailable\. Try again in a few seconds\./);

      proxy.restore();
      await eventually(
        '/readyz is ready again',
        async () => (await get('/readyz')).statusCode === 200,
      );
      assert.equal((await f.token(await f.sign())).statusCode, 200);
      assert.equal(
        (await get(`/accounts/${f.accountId}/services/rest/whoami`, bearer)).statusCode,
        200,
      );
      assert.equal(await successes(f), 2);
    } finally {
      await f.close();
      await proxy.close();
      await base.close();
    }
  });
});
