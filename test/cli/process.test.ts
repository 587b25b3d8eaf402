/**
 * The real `certmint` process (bin/certmint.mjs → dist/): what an in-process run cannot show.
 * Exit status and the one stderr line as a shell sees them, help and version from the bin, a
 * password piped on stdin, and a PostgreSQL pool that must not keep the process alive.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { verifyPassword } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { assertMistake, emptyStore, ROOT, spawnCli, tempDir } from './support.ts';

describe('certmint as a process', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = tempDir();
    db = await emptyStore(join(dir, 'certmint.db'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('prints help with an example for a command, and the version', () => {
    const help = spawnCli(['mapping', 'revoke', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: certmint mapping revoke/);
    assert.match(help.stdout, /--db <path\|url>/);
    assert.match(help.stdout, /Examples?:\n\s+certmint mapping revoke --account 123456/);
    const version = spawnCli(['--version']);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout.trim(),
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    );
  });

  it('exits 1 for a refusal and 2 for a usage error, with one line on stderr', () => {
    assertMistake(
      spawnCli(['--db', db, 'account', 'create', '123456_SB1']),
      1,
      /123456_SB1 belongs to production account 123456, which does not exist/,
    );
    assertMistake(spawnCli(['--db', db, 'acount', 'list']), 2, /unknown command 'acount'/);
  });

  it('reads a console password from a stdin pipe, without its final newline', async () => {
    const created = spawnCli(['--db', db, '--json', 'account', 'create', '654321']);
    assert.equal(created.code, 0, created.stderr);
    const entity = spawnCli(
      [
        '--db',
        db,
        '--json',
        'entity',
        'create',
        '--account',
        '654321',
        '--name',
        'CI user',
        '--email',
        'ci@example.com',
        '--password-stdin',
      ],
      { input: 'a long console password\n' },
    );
    assert.equal(entity.code, 0, entity.stderr);
    const { id } = JSON.parse(entity.stdout) as { id: number };
    const store = await openStore(db);
    try {
      const hash = await store.entities.getPasswordHash('654321', id);
      assert.equal(await verifyPassword('a long console password', hash), true);
    } finally {
      await store.close();
    }
  });

  it('works on PostgreSQL and exits once done (the pool is closed)', {
    skip: !process.env.CERTMINT_TEST_PG_URL,
  }, async () => {
    const base = process.env.CERTMINT_TEST_PG_URL ?? '';
    const name = `certmint_cli_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(base);
      url.pathname = `/${name}`;
      // spawnSync returns only when the process has exited: a leaked pool would hit the timeout.
      const r = spawnCli(['--db', url.toString(), '--json', 'account', 'create', 'TSTDRV7']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal((JSON.parse(r.stdout) as { id: string }).id, 'TSTDRV7');
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
