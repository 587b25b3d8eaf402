/**
 * `certmint integration create|update|show|list --dpop|--mtls-binding`, in-process on a SQLite
 * file: the per-integration DPoP mode and mTLS binding from the command line, shown wherever the
 * integration is, off by default, and an unknown mode refused in one line naming the choices.
 * One table, one flow: the two settings behave alike and are tested alike.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertMistake, cli, cliJson, emptyStore, tempDir } from './support.ts';

interface Setting {
  flag: string;
  /** The integration's JSON property. */
  prop: 'dpop' | 'mtlsBinding';
  /** The line `show` prints. */
  label: string;
  /** The list's column header. */
  header: RegExp;
  /** The list row of a record with this value and the other setting off. */
  row: (name: string, value: string) => RegExp;
  unknown: string;
}

const SETTINGS: Setting[] = [
  {
    flag: '--dpop',
    prop: 'dpop',
    label: 'DPoP',
    header: /\bDPOP\b/,
    row: (name, v) => new RegExp(`${name} +enabled +yes +restlets +${v} +off +[0-9a-f]{64}`),
    unknown: 'sometimes',
  },
  {
    flag: '--mtls-binding',
    prop: 'mtlsBinding',
    label: 'mTLS binding',
    header: /\bMTLS\b/,
    row: (name, v) => new RegExp(`${name} +enabled +yes +restlets +off +${v} +[0-9a-f]{64}`),
    unknown: 'always',
  },
];

/**
 * A fresh store holding account 123456 for the enclosing describe: each describe lists the
 * integrations it made, whatever runs before it.
 */
function storeWithAccount(): { db: string[] } {
  let dir = '';
  const store = { db: [] as string[] };
  before(async () => {
    dir = tempDir();
    store.db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
    assert.equal((await cli([...store.db, 'account', 'create', '123456'])).code, 0);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

for (const s of SETTINGS) {
  describe(`certmint integration ${s.flag}`, () => {
    const store = storeWithAccount();
    const integration = (...args: string[]) => [
      ...store.db,
      'integration',
      ...args.slice(0, 1),
      '--account',
      '123456',
      ...args.slice(1),
    ];
    const shows = (out: string, value: string) =>
      assert.match(out, new RegExp(`^${s.label}: +${value}$`, 'm'));

    it('creates with a mode, shows it, changes it and lists it', async () => {
      const created = await cli(
        integration(
          'create',
          '--name',
          'Bound',
          '--m2m',
          '--scope',
          'restlets',
          s.flag,
          'required',
        ),
      );
      assert.equal(created.code, 0, created.stderr);
      shows(created.stdout, 'required');
      const clientId = /client id:\s+([0-9a-f]{64})\n/.exec(created.stdout)?.[1] ?? '';

      const shown = await cli(integration('show', clientId));
      assert.equal(shown.code, 0, shown.stderr);
      shows(shown.stdout, 'required');

      const updated = await cli(integration('update', clientId, s.flag, 'allowed'));
      assert.equal(updated.code, 0, updated.stderr);
      shows(updated.stdout, 'allowed');
      const json = await cliJson<Record<string, string>>(integration('show', clientId));
      assert.equal(json[s.prop], 'allowed');

      const list = await cli(integration('list'));
      assert.match(list.stdout, s.header);
      assert.match(list.stdout, s.row('Bound', 'allowed'));
      const listed = await cliJson<Record<string, string>[]>(integration('list'));
      assert.deepEqual(
        listed.map((i) => i[s.prop]),
        ['allowed'],
      );
    });

    it('defaults to off', async () => {
      const plain = await cliJson<Record<string, string>>(integration('create', '--name', 'Plain'));
      assert.equal(plain[s.prop], 'off');
    });

    it('refuses an unknown mode in one line, naming the choices, and creates nothing', async () => {
      assertMistake(
        await cli(integration('create', '--name', 'Odd', s.flag, s.unknown)),
        2,
        new RegExp(`${s.flag}.*${s.unknown}.*off, allowed, required`),
      );
      const listed = await cliJson<{ name: string }[]>(integration('list'));
      assert.equal(
        listed.some((i) => i.name === 'Odd'),
        false,
      );
    });
  });
}
