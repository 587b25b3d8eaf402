/**
 * quickstart checks the server before it writes anything: no server at the URL, or a server on
 * another store, is one line saying what to do, and the store is left as it was.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { openStore } from '../../src/store/open.ts';
import type { Store } from '../../src/store/ports.ts';
import { testApp } from '../support/app.ts';
import { freePort } from '../support/net.ts';
import { assertMistake, cli, cliJson, tempDir } from './support.ts';

describe('certmint quickstart without a usable server', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = tempDir('certmint-quickstart-');
    db = join(dir, 'certmint.db');
    assert.equal((await cli(['--db', db, 'init'])).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const roles = () =>
    cliJson<unknown[]>(['--db', db, 'role', 'list', '--account', 'TSTDRV0000001']);

  it('no server answers: one line naming serve and --url, nothing written', async () => {
    const before = await roles();
    const port = await freePort();
    const r = await cli(['--db', db, 'quickstart', '--url', `http://127.0.0.1:${port}`]);
    assertMistake(
      r,
      1,
      /no certmint server answers at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): start one with "certmint serve".*--url/,
    );
    assert.deepEqual(await roles(), before);
  });

  it('a server on another store: one line naming --db, nothing written', async () => {
    const other: Store = await openStore(join(dir, 'other.db'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const { app }: { app: FastifyInstance } = await testApp({
      store: other,
      secret: 'quickstart-test-secret-0123456789',
      publicUrl: base,
    });
    try {
      await app.listen({ port, host: '127.0.0.1' });
      const before = await roles();
      const r = await cli(['--db', db, 'quickstart', '--url', base]);
      assertMistake(r, 1, /does not know account TSTDRV0000001: it runs on another store/);
      assert.deepEqual(await roles(), before);
    } finally {
      await app.close();
      await other.close();
    }
  });
});
