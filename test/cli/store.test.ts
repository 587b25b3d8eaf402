/**
 * Which store a command uses (--db > CERTMINT_DB > ./.certmint/certmint.db, relative to the
 * working directory), that record commands never create one, and `certmint init`, in-process.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { verifyPassword } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { assertMistake, cli, tempDir } from './support.ts';

const dirs: string[] = [];
function workDir(): string {
  const d = tempDir('certmint-store-');
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const HINT =
  ': point at yours with --db <path> or CERTMINT_DB=<path>, or create this one with "certmint';

describe('finding the store', () => {
  it('a record command on a missing store fails with one line naming the path, and creates nothing', async () => {
    const cwd = workDir();
    const expected = join(cwd, '.certmint', 'certmint.db');
    const r = await cli(['role', 'create', '--account', 'TSTDRV0000001', '--name', 'M2M'], {
      cwd,
    });
    assertMistake(r, 1, /^certmint: no certmint store at /);
    assert.equal(
      r.stderr,
      `certmint: no certmint store at ${expected} (the default; neither --db nor CERTMINT_DB is set)${HINT} init"\n`,
    );
    assert.equal(existsSync(join(cwd, '.certmint')), false, 'no folder, no empty database');

    const viaEnv = await cli(['account', 'list'], { cwd, env: { CERTMINT_DB: 'data/c.db' } });
    assert.equal(
      viaEnv.stderr,
      `certmint: no certmint store at ${join(cwd, 'data/c.db')} (from CERTMINT_DB)${HINT} --db ${join(cwd, 'data/c.db')} init"\n`,
    );
    const viaFlag = await cli(['--db', 'x.db', 'audit', 'list', '--account', 'A'], { cwd });
    assertMistake(
      viaFlag,
      1,
      new RegExp(`no certmint store at ${join(cwd, 'x.db')} \\(from --db\\)`),
    );
    assert.equal(existsSync(join(cwd, 'data')), false);
    assert.equal(existsSync(join(cwd, 'x.db')), false);
  });

  it('--db wins over CERTMINT_DB, which wins over ./.certmint/certmint.db', async () => {
    const cwd = workDir();
    const init = async (env: Record<string, string>, args: string[] = []) => {
      const r = await cli([...args, 'init'], { cwd, env });
      assert.equal(r.code, 0, r.stderr);
    };
    await init({});
    await init({ CERTMINT_DB: 'env.db' });
    await init({}, ['--db', 'flag.db']);
    // Tell the three stores apart by an account only one of them has.
    const create = async (id: string, env: Record<string, string>, args: string[] = []) => {
      const r = await cli([...args, 'account', 'create', id], { cwd, env });
      assert.equal(r.code, 0, r.stderr);
    };
    await create('111111', {});
    await create('222222', { CERTMINT_DB: 'env.db' });
    await create('333333', { CERTMINT_DB: 'env.db' }, ['--db', 'flag.db']);
    const ids = async (path: string) => {
      const store = await openStore(join(cwd, path), { mustExist: true });
      try {
        return (await store.accounts.list()).map((a) => a.id).sort();
      } finally {
        await store.close();
      }
    };
    assert.deepEqual(await ids('.certmint/certmint.db'), ['111111', 'TSTDRV0000001']);
    assert.deepEqual(await ids('env.db'), ['222222', 'TSTDRV0000001']);
    assert.deepEqual(await ids('flag.db'), ['333333', 'TSTDRV0000001']);
  });

  it('the store opener refuses to create a file when told it must exist', async () => {
    const cwd = workDir();
    await assert.rejects(openStore(join(cwd, 'sub', 'missing.db'), { mustExist: true }), {
      name: 'DomainError',
      code: 'store.not_found',
      message: `no SQLite database at ${join(cwd, 'sub', 'missing.db')}`,
    });
    assert.equal(existsSync(join(cwd, 'sub')), false);
  });
});

describe('certmint init', () => {
  it('creates the store, the first account and its administrator; the password only in a 0600 file', async () => {
    const cwd = workDir();
    const r = await cli(['init'], { cwd });
    assert.equal(r.code, 0, r.stderr);
    const file = join(cwd, '.certmint', 'admin-password');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const password = readFileSync(file, 'utf8').trim();
    assert.ok(password.length >= 16);
    assert.ok(!r.stdout.includes(password), 'the password is never printed');
    assert.match(r.stdout, new RegExp(`store: ${join(cwd, '.certmint', 'certmint.db')}\\n`));
    assert.match(r.stdout, /created account TSTDRV0000001 and its administrator/);
    assert.match(r.stdout, /Email: +admin@certmint\.local/);
    assert.ok(r.stdout.includes(`Password: in ${file} (mode 0600)`));

    const store = await openStore(join(cwd, '.certmint', 'certmint.db'));
    try {
      const [admin] = await store.entities.list('TSTDRV0000001');
      assert.equal(admin?.email, 'admin@certmint.local');
      const hash = await store.entities.getPasswordHash('TSTDRV0000001', admin?.id ?? 0);
      assert.equal(await verifyPassword(password, hash), true);
    } finally {
      await store.close();
    }

    // Again: nothing changes, the password file is left alone.
    const again = await cli(['--json', 'init'], { cwd });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), {
      store: join(cwd, '.certmint', 'certmint.db'),
      created: false,
    });
    assert.equal(readFileSync(file, 'utf8').trim(), password);
  });

  it('on PostgreSQL: the database exists already; the password file goes to ./.certmint', {
    skip: !process.env.CERTMINT_TEST_PG_URL,
  }, async () => {
    const base = process.env.CERTMINT_TEST_PG_URL ?? '';
    const name = `certmint_init_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(base);
      url.pathname = `/${name}`;
      const cwd = workDir();
      const r = await cli(['--db', url.toString(), 'init'], { cwd });
      assert.equal(r.code, 0, r.stderr);
      const file = join(cwd, '.certmint', 'admin-password');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.ok(r.stdout.includes(`Password: in ${file} (mode 0600)`), r.stdout);
      const list = await cli(['--db', url.toString(), '--json', 'account', 'list'], { cwd });
      assert.deepEqual(
        (JSON.parse(list.stdout) as Array<{ id: string }>).map((a) => a.id),
        ['TSTDRV0000001'],
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
