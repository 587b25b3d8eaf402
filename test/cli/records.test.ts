/**
 * The `certmint` record commands end to end: real processes (`node bin/certmint.mjs`) on a
 * temporary SQLite file, one scenario from account to revoked mapping. Spawns are kept few
 * (each costs a Node start); the rules themselves are tested in test/service/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { verifyPassword } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/certmint.mjs');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function certmint(args: readonly string[], env: Record<string, string> = {}, input = ''): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    input,
    env: { ...process.env, CERTMINT_DB: '', CERTMINT_DEBUG: '', ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 0 and JSON on stdout. */
function json<T>(args: readonly string[], env: Record<string, string> = {}, input = ''): T {
  const r = certmint(['--json', ...args], env, input);
  assert.equal(r.code, 0, `certmint ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A user mistake: the exit code, and exactly one line on stderr, no stack trace. */
function mistake(args: readonly string[], code: number, message: RegExp): void {
  const r = certmint(args);
  assert.equal(r.code, code, `exit code of certmint ${args.join(' ')} (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one stderr line expected, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^certmint: /);
  assert.match(lines[0] ?? '', message);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

const certificateId = (pem: string): string =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

/** A fresh EC certificate whose id begins with "-" (about 1 in 64 do). */
async function dashCertificate(dir: string, name: string): Promise<{ path: string; id: string }> {
  for (;;) {
    const c = await generateCertificate({ alg: 'ES256', now: Date.now() });
    const id = certificateId(c.certificatePem);
    if (id.startsWith('-')) {
      const path = join(dir, name);
      writeFileSync(path, c.certificatePem);
      return { path, id };
    }
  }
}

describe('certmint record commands (CLI)', () => {
  let dir: string;
  let db: string[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-cli-'));
    db = ['--db', join(dir, 'certmint.db')];
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole set-up: account → entity → role → integration → certificate → mapping → revoke', async () => {
    const account = json<{ id: string; kind: string }>([...db, 'account', 'create', '123456']);
    assert.deepEqual([account.id, account.kind], ['123456', 'production']);
    // --db may also come from $CERTMINT_DB, and global options may precede the command.
    const viaEnv = certmint(['account', 'create', '123456_sb1', '--kind', 'sandbox'], {
      CERTMINT_DB: join(dir, 'certmint.db'),
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(viaEnv.stdout, /created sandbox account 123456_SB1 \(of 123456\)/);

    // The console password arrives on stdin, never on the command line.
    const entity = json<{ id: number; active: boolean; hasPassword: boolean }>(
      [
        ...db,
        'entity',
        'create',
        '--account',
        '123456',
        '--name',
        'CI user',
        '--email',
        'ci@example.com',
        '--password-stdin',
      ],
      {},
      'a long console password\n',
    );
    assert.deepEqual([entity.id, entity.active, entity.hasPassword], [1, true, true]);
    const store = await openStore(join(dir, 'certmint.db'));
    try {
      const hash = await store.entities.getPasswordHash('123456', 1);
      assert.equal(await verifyPassword('a long console password', hash), true, 'newline stripped');
    } finally {
      await store.close();
    }
    const role = json<{ id: number; permissions: string[] }>([
      ...db,
      'role',
      'create',
      '--account',
      '123456',
      '--name',
      'M2M',
      '--permission',
      'oauth2_access_token_login',
    ]);
    assert.deepEqual([role.id, role.permissions], [1000, ['oauth2_access_token_login']]);
    const assigned = json<{ roleIds: number[] }>([
      ...db,
      'role',
      'assign',
      '--account',
      '123456',
      '--role',
      '1000',
      '--entity',
      '1',
    ]);
    assert.deepEqual(assigned.roleIds, [1000]);

    // Human output of integration create: ids, the secret once, and the warning.
    const created = certmint([
      ...db,
      'integration',
      'create',
      '--account',
      '123456',
      '--name',
      'CI',
      '--m2m',
      '--scope',
      'restlets,rest_webservices',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const clientId = /client id:\s+([0-9a-f]{64})\n/.exec(created.stdout)?.[1] ?? '';
    const secret = /client secret:\s+([0-9a-f]{64})\n/.exec(created.stdout)?.[1] ?? '';
    assert.match(clientId, /^[0-9a-f]{64}$/);
    assert.match(secret, /^[0-9a-f]{64}$/);
    assert.match(created.stdout, /application id:\s+[0-9A-F-]{36}\n/);
    assert.match(created.stdout, /shown only this once/);

    const gen = certmint([
      'cert',
      'generate',
      '--alg',
      'ES256',
      '--out',
      join(dir, 'public.pem'),
      '--key-out',
      join(dir, 'private.pem'),
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    const pem = readFileSync(join(dir, 'public.pem'), 'utf8');

    const mapArgs = (file: string) => [
      ...db,
      'mapping',
      'create',
      '--account',
      '123456',
      '--integration',
      clientId,
      '--entity',
      '1',
      '--role',
      '1000',
      '--certificate',
      file,
    ];
    const mapped = json<Record<string, unknown>>(mapArgs(join(dir, 'public.pem')));
    assert.equal(mapped.certificateId, certificateId(pem));
    assert.equal(mapped.algorithm, 'EC');
    assert.equal(
      'pem' in mapped,
      false,
      'JSON output names the certificate by id, without the PEM',
    );

    // Mistakes: one line on stderr, exit 1 for refusals, 2 for usage errors.
    mistake(
      mapArgs(join(dir, 'public.pem')),
      1,
      /already mapped \(certificates can never be reused/,
    );
    mistake(mapArgs(join(dir, 'missing.pem')), 1, /cannot read .*missing\.pem: no such file/);
    mistake(
      [...db, 'mapping', 'revoke', '--account', '123456', '--bogus'],
      2,
      /'--bogus' is neither an option/,
    );

    // Certificate ids beginning with "-": after "--", or attached to --certificate-id=.
    const dashA = await dashCertificate(dir, 'dash-a.pem');
    const dashB = await dashCertificate(dir, 'dash-b.pem');
    for (const d of [dashA, dashB]) {
      assert.equal(json<{ certificateId: string }>(mapArgs(d.path)).certificateId, d.id);
    }
    const revokedA = json<{ certificateId: string; revokedAt: number | null }>([
      ...db,
      'mapping',
      'revoke',
      '--account',
      '123456',
      '--',
      dashA.id,
    ]);
    assert.equal(revokedA.certificateId, dashA.id);
    assert.equal(typeof revokedA.revokedAt, 'number');
    const revokedB = certmint([
      ...db,
      'mapping',
      'revoke',
      '--account',
      '123456',
      `--certificate-id=${dashB.id}`,
    ]);
    assert.equal(revokedB.code, 0, revokedB.stderr);
    assert.match(
      revokedB.stdout,
      new RegExp(`revoked certificate ${dashB.id.replace(/[-]/g, '\\-')}`),
    );
    // Even bare (no "--"), a 43-character word beginning with "-" is taken as the id.
    mistake([...db, 'mapping', 'revoke', '--account', '123456', dashA.id], 1, /already revoked/);

    const list = json<Array<{ certificateId: string; status: string; clientId: string }>>([
      ...db,
      'mapping',
      'list',
      '--account',
      '123456',
    ]);
    assert.deepEqual(Object.fromEntries(list.map((m) => [m.certificateId, m.status])), {
      [certificateId(pem)]: 'active',
      [dashA.id]: 'revoked',
      [dashB.id]: 'revoked',
    });
    assert.ok(list.every((m) => m.clientId === clientId));

    const events = json<Array<{ type: string; result: string; certificateId: string }>>([
      ...db,
      'audit',
      'list',
      '--account',
      '123456',
      '--type',
      'mapping.revoke',
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, e.result, e.certificateId]).sort(),
      [
        ['mapping.revoke', 'success', dashA.id],
        ['mapping.revoke', 'success', dashB.id],
      ].sort(),
    );

    const refreshed = json<{
      mappingsCleared: number;
      integrations: number;
      account: { id: string };
    }>([...db, 'account', 'refresh', '123456_SB1']);
    assert.deepEqual(
      [refreshed.account.id, refreshed.integrations, refreshed.mappingsCleared],
      ['123456_SB1', 1, 0],
    );
    const sandboxIntegrations = certmint([...db, 'integration', 'list', '--account', '123456-sb1']);
    assert.equal(sandboxIntegrations.code, 0, sandboxIntegrations.stderr);
    assert.ok(
      sandboxIntegrations.stdout.includes(clientId),
      "the sandbox got production's integration",
    );
    assert.ok(!sandboxIntegrations.stdout.includes(secret), 'the secret is never shown again');
  });

  it('prints help with an example for a command, and the version', () => {
    const help = certmint(['mapping', 'revoke', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: certmint mapping revoke/);
    assert.match(help.stdout, /--db <path\|url>/);
    assert.match(help.stdout, /Examples?:\n\s+certmint mapping revoke --account 123456/);
    const version = certmint(['--version']);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout.trim(),
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    );
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
      assert.equal(
        json<{ id: string }>(['--db', url.toString(), 'account', 'create', 'TSTDRV7']).id,
        'TSTDRV7',
      );
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
