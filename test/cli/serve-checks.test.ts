/**
 * `certmint serve` refuses, in one line and with exit 1, to start a node that would disagree
 * with its store: a PostgreSQL node without CERTMINT_SECRET (it would have generated a key file
 * of its own), a node whose secret or key file is not the store's, a node whose public URL is
 * not the store's (unless --change-public-url says so).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openServices } from '../../src/service/runtime.ts';
import { serve } from '../fault/support.ts';
import { freePort } from '../support/net.ts';
import { PG_SKIP_REASON, postgresStores } from '../support/stores.ts';
import { assertMistake, cli, tempDir } from './support.ts';

const URL_A = 'https://auth-a.example.com';
const URL_B = 'https://auth-b.example.com';
const pgFactory = postgresStores();

describe('certmint serve: start-up checks', () => {
  it('refuses a PostgreSQL node without CERTMINT_SECRET, and leaves no key file', {
    skip: pgFactory ? false : PG_SKIP_REASON,
  }, async () => {
    if (!pgFactory) return;
    const store = await pgFactory.open();
    const cwd = tempDir();
    try {
      const r = await cli(['--db', store.location, 'serve', '--port', '0'], { cwd });
      assertMistake(
        r,
        1,
        /^certmint: a PostgreSQL store needs CERTMINT_SECRET: every node sharing the database must encrypt token-signing keys with the same secret, and a generated key file would be this host’s alone\. Set CERTMINT_SECRET \(or --secret-file <file>\) to the secret the other nodes use \(the first node: 32 or more random characters\)\.$/,
      );
      assert.equal(r.stdout, '');
      assert.equal(existsSync(join(cwd, '.certmint', 'master.key')), false);
    } finally {
      await store.close();
    }
  });

  it('refuses a node whose secret or public URL is not the store’s [sqlite]', async () => {
    const dir = tempDir();
    const db = join(dir, 'certmint.db');
    // The first node: the store's key (a key file beside it) and public URL.
    const first = await openServices({ db, filesDir: dir, serving: true, publicUrl: URL_A });
    await first.close();

    const other = await cli(['--db', db, 'serve', '--port', '0', '--public-url', URL_B]);
    assertMistake(
      other,
      1,
      new RegExp(
        `^certmint: this node’s public URL ${URL_B} differs from the store’s, ${URL_A}, under which its other nodes issue tokens \\(each would refuse the other’s tokens\\)\\. Start it with --public-url ${URL_A} \\(or CERTMINT_PUBLIC_URL\\), or make ${URL_B} the store’s with --change-public-url and restart every other node with it\\.$`,
      ),
    );
    const secret = await cli(['--db', db, 'serve', '--port', '0', '--public-url', URL_A], {
      env: { CERTMINT_SECRET: 'not-the-store-secret-0123456789' },
    });
    assertMistake(
      secret,
      1,
      /^certmint: CERTMINT_SECRET is not the secret this store’s token-signing keys are encrypted with \(this node could not sign or verify its tokens\): start this node with the same CERTMINT_SECRET \(or --secret-file\) as the other nodes\.$/,
    );
    // Deliberately: this node's URL becomes the store's, and the old one is refused from then on.
    const moved = await serve(db, await freePort(), {
      args: ['--public-url', URL_B, '--change-public-url'],
    });
    assert.match(
      moved.output(),
      new RegExp(`the store's public URL is now ${URL_B}: restart every other node with it\n`),
    );
    assert.equal(await moved.stop(), 0, moved.output());
    assertMistake(
      await cli(['--db', db, 'serve', '--port', '0', '--public-url', URL_A]),
      1,
      new RegExp(`^certmint: this node’s public URL ${URL_A} differs from the store’s, ${URL_B},`),
    );

    const bad = await cli(['--db', db, 'serve', '--feed-timeout', 'soon']);
    assertMistake(
      bad,
      2,
      /^certmint: --feed-timeout must be a whole number from 300 to 60000 \(got "soon"\)$/,
    );
    const env = await cli(['--db', db, 'serve'], { env: { CERTMINT_AUDIT_RETENTION_DAYS: '-1' } });
    assertMistake(
      env,
      2,
      /^certmint: CERTMINT_AUDIT_RETENTION_DAYS must be a whole number from 0 to 36500 \(got "-1"\)$/,
    );
  });
});
