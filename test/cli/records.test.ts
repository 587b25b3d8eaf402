/**
 * The `certmint` record commands end to end, in-process (runCli with captured output) on a
 * temporary SQLite file: one scenario from account to revoked mapping. What only a real process
 * shows (the bin, exit status, stdin pipes, PostgreSQL pools closing) is in process.test.ts; the
 * rules themselves are tested in test/service/.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { verifyPassword } from '../../src/service/index.ts';
import { openStore } from '../../src/store/open.ts';
import { assertMistake, type CliOptions, cli, cliJson, emptyStore, tempDir } from './support.ts';

const json = <T>(args: readonly string[], env: Record<string, string> = {}, input = '') =>
  cliJson<T>(args, { env, input });

/** A user mistake: the exit code, and exactly one line on stderr, no stack trace. */
async function mistake(args: readonly string[], code: number, message: RegExp): Promise<void> {
  assertMistake(await cli(args), code, message);
}

const certmint = (args: readonly string[], env: CliOptions['env'] = {}) => cli(args, { env });

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
  before(async () => {
    dir = tempDir();
    db = ['--db', await emptyStore(join(dir, 'certmint.db'))];
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the whole set-up: account → entity → role → integration → certificate → mapping → revoke', async () => {
    const account = await json<{ id: string; kind: string }>([
      ...db,
      'account',
      'create',
      '123456',
    ]);
    assert.deepEqual([account.id, account.kind], ['123456', 'production']);
    // --db may also come from $CERTMINT_DB, and global options may precede the command.
    const viaEnv = await certmint(['account', 'create', '123456_sb1', '--kind', 'sandbox'], {
      CERTMINT_DB: join(dir, 'certmint.db'),
    });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(viaEnv.stdout, /created sandbox account 123456_SB1 \(of 123456\)/);

    // The console password arrives on stdin, never on the command line.
    const entity = await json<{ id: number; active: boolean; hasPassword: boolean }>(
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
    const role = await json<{ id: number; permissions: string[] }>([
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
    const assigned = await json<{ roleIds: number[] }>([
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
    const created = await certmint([
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

    const gen = await certmint([
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
    const mapped = await json<Record<string, unknown>>(mapArgs(join(dir, 'public.pem')));
    assert.equal(mapped.certificateId, certificateId(pem));
    assert.equal(mapped.algorithm, 'EC');
    assert.equal(
      'pem' in mapped,
      false,
      'JSON output names the certificate by id, without the PEM',
    );

    // Mistakes: one line on stderr, exit 1 for refusals, 2 for usage errors.
    await mistake(
      mapArgs(join(dir, 'public.pem')),
      1,
      /already mapped \(certificates can never be reused/,
    );
    await mistake(mapArgs(join(dir, 'missing.pem')), 1, /cannot read .*missing\.pem: no such file/);
    await mistake(
      [...db, 'mapping', 'revoke', '--account', '123456', '--bogus'],
      2,
      /'--bogus' is neither an option/,
    );

    // Certificate ids beginning with "-": after "--", or attached to --certificate-id=.
    const dashA = await dashCertificate(dir, 'dash-a.pem');
    const dashB = await dashCertificate(dir, 'dash-b.pem');
    for (const d of [dashA, dashB]) {
      assert.equal((await json<{ certificateId: string }>(mapArgs(d.path))).certificateId, d.id);
    }
    const revokedA = await json<{ certificateId: string; revokedAt: number | null }>([
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
    const revokedB = await certmint([
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
    await mistake(
      [...db, 'mapping', 'revoke', '--account', '123456', dashA.id],
      1,
      /already revoked/,
    );

    const list = await json<Array<{ certificateId: string; status: string; clientId: string }>>([
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

    const events = await json<Array<{ type: string; result: string; certificateId: string }>>([
      ...db,
      'audit',
      'list',
      '--account',
      '123456',
      '--type',
      'mapping.revoke',
      // The refused second revocation above is in the trail too, as a failure.
      '--result',
      'success',
    ]);
    assert.deepEqual(
      events.map((e) => [e.type, e.result, e.certificateId]).sort(),
      [
        ['mapping.revoke', 'success', dashA.id],
        ['mapping.revoke', 'success', dashB.id],
      ].sort(),
    );
    const refusals = await json<Array<{ result: string; detail: string; certificateId: string }>>([
      ...db,
      'audit',
      'list',
      '--account',
      '123456',
      '--type',
      'mapping.revoke',
      '--result',
      'failure',
    ]);
    assert.deepEqual(
      refusals.map((e) => [e.result, e.certificateId]),
      [['failure', dashA.id]],
    );

    const refreshed = await json<{
      mappingsCleared: number;
      integrations: number;
      account: { id: string };
    }>([...db, 'account', 'refresh', '123456_SB1']);
    assert.deepEqual(
      [refreshed.account.id, refreshed.integrations, refreshed.mappingsCleared],
      ['123456_SB1', 1, 0],
    );
    const sandboxIntegrations = await certmint([
      ...db,
      'integration',
      'list',
      '--account',
      '123456-sb1',
    ]);
    assert.equal(sandboxIntegrations.code, 0, sandboxIntegrations.stderr);
    assert.ok(
      sandboxIntegrations.stdout.includes(clientId),
      "the sandbox got production's integration",
    );
    assert.ok(!sandboxIntegrations.stdout.includes(secret), 'the secret is never shown again');
  });
});
