/**
 * `certmint cert generate|check`. Most cases run in-process on a root program shaped like
 * main's (global --json/--db, exitOverride) with output and clock injected; a few run the real
 * `bin/certmint.mjs` to prove the exit code and the one-line error.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmod, copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { certCommand } from '../../src/cli/commands/cert.ts';
import { CliError } from '../../src/cli/errors.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import {
  type CertKind,
  type CertMaterial,
  makeCert,
  opensslCertificateId,
  runOpenssl,
  tempDir,
  validity,
} from '../support/openssl.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/certmint.mjs');
const DAY = 86_400_000;

/** A root like main's, with `cert` added; returns what it printed. */
async function run(args: string[], clock = new FixedClock(Date.now())): Promise<string> {
  let printed = '';
  const collect = (s: string) => {
    printed += s.endsWith('\n') ? s : `${s}\n`;
  };
  const root = new Command('certmint').option('--json').option('--db <path>');
  root.addCommand(certCommand({ write: collect, clock }));
  const configure = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeOut: collect, writeErr: collect });
    for (const sub of c.commands) configure(sub);
  };
  configure(root);
  try {
    await root.parseAsync(args, { from: 'user' });
  } catch (e) {
    // --help prints through writeOut, then exitOverride throws: the text is the result.
    if (e instanceof CommanderError && e.code === 'commander.helpDisplayed') return printed;
    throw e;
  }
  return printed;
}

async function cliError(args: string[], message: string): Promise<void> {
  await assert.rejects(run(args), (e: unknown) => {
    assert.ok(e instanceof CliError, `expected CliError, got ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

async function policyError(args: string[], code: string, clock?: FixedClock): Promise<Error> {
  let caught: Error | undefined;
  await assert.rejects(run(args, clock), (e: unknown) => {
    assert.ok(isDomainError(e), `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, 'policy');
    assert.equal(e.code, code);
    caught = e;
    return true;
  });
  return caught as Error;
}

const m = {} as Record<
  'ec-p256' | 'rsa-2048' | 'five-year' | 'expired' | 'rsa-pss-3072',
  CertMaterial
>;
before(async () => {
  await Promise.all(
    (['ec-p256', 'rsa-2048', 'five-year', 'expired', 'rsa-pss-3072'] as const).map(async (k) => {
      m[k] = await makeCert(k satisfies CertKind);
    }),
  );
});

describe('cert generate', () => {
  it('writes the certificate and a 0600 private key, prints the id and the next step', async () => {
    const dir = await tempDir();
    const out = join(dir, 'public.pem');
    const keyOut = join(dir, 'private.pem');
    const text = await run([
      'cert',
      'generate',
      '--alg',
      'ES256',
      '--out',
      out,
      '--key-out',
      keyOut,
    ]);
    assert.equal((await stat(keyOut)).mode & 0o777, 0o600);
    const id = await opensslCertificateId(out);
    assert.match(text, new RegExp(`certificate id: ${id.replace(/[-]/g, '\\-')}\n`));
    assert.match(text, /ES256, EC P-256, CN=certmint client/);
    assert.ok(
      text.includes(
        `certmint mapping create --account <account> --integration <clientId> --entity <entityId> --role <roleId> --certificate ${out}`,
      ),
    );
    const key = await readFile(keyOut, 'utf8');
    assert.match(key, /^-----BEGIN PRIVATE KEY-----/);
    for (const line of key.split('\n').filter((l) => l.length > 0)) assert.ok(!text.includes(line));
    // OpenSSL reads both files, and the key belongs to the certificate.
    const fromKey = await runOpenssl(['pkey', '-in', keyOut, '-pubout']);
    const fromCert = await runOpenssl(['x509', '-in', out, '-noout', '-pubkey']);
    assert.equal(fromKey.toString(), fromCert.toString());
  });

  it('--json: one object with the facts and file names, no key material', async () => {
    const dir = await tempDir();
    const out = join(dir, 'c.crt');
    const keyOut = join(dir, 'k.pem');
    const clock = new FixedClock(Date.UTC(2026, 0, 15, 10, 0, 0));
    const text = await run(
      [
        '--json',
        'cert',
        'generate',
        '--alg',
        'ps384',
        '--days',
        '30',
        '--subject',
        'CN=billing sync',
        '--out',
        out,
        '--key-out',
        keyOut,
      ],
      clock,
    );
    const j = JSON.parse(text) as Record<string, unknown>;
    assert.equal(j.alg, 'PS384');
    assert.equal(j.certificateId, await opensslCertificateId(out));
    assert.equal(j.algorithm, 'RSA');
    assert.equal(j.keySize, 3072);
    assert.equal(j.subject, 'CN=billing sync');
    assert.equal(j.validFrom, clock.now());
    assert.equal(j.validUntil, clock.now() + 30 * DAY);
    assert.deepEqual(j.assertionAlgs, ['PS256', 'PS384', 'PS512']);
    assert.equal(j.certificateFile, out);
    assert.equal(j.privateKeyFile, keyOut);
    assert.equal(j.pem, undefined);
    assert.doesNotMatch(text, /PRIVATE KEY|BEGIN/);
  });

  it('refuses to overwrite a file unless --force; --force leaves the key at 0600', async () => {
    const dir = await tempDir();
    const out = join(dir, 'public.pem');
    const keyOut = join(dir, 'private.pem');
    await writeFile(keyOut, 'keep me', { mode: 0o644 });
    await cliError(
      ['cert', 'generate', '--alg', 'ES256', '--out', out, '--key-out', keyOut],
      `${keyOut} already exists: choose another file, or add --force to replace it`,
    );
    assert.equal(await readFile(keyOut, 'utf8'), 'keep me');
    await chmod(keyOut, 0o644);
    await run(['cert', 'generate', '--alg', 'ES384', '--out', out, '--key-out', keyOut, '--force']);
    assert.equal((await stat(keyOut)).mode & 0o777, 0o600);
    assert.match(await readFile(keyOut, 'utf8'), /BEGIN PRIVATE KEY/);
    // And the certificate file is protected the same way.
    await cliError(
      ['cert', 'generate', '--alg', 'ES256', '--out', out, '--key-out', join(dir, 'other.pem')],
      `${out} already exists: choose another file, or add --force to replace it`,
    );
    // Refused before anything was written: no orphan private key.
    await assert.rejects(stat(join(dir, 'other.pem')), { code: 'ENOENT' });
  });

  it('refuses options the server would not accept, saying what to use', async () => {
    const dir = await tempDir();
    const files = ['--out', join(dir, 'a.pem'), '--key-out', join(dir, 'b.pem')];
    await cliError(
      ['cert', 'generate', '--alg', 'RS256', ...files],
      '--alg RS256 is not supported: use one of ES256, ES384, ES512, PS256, PS384, PS512',
    );
    await cliError(
      ['cert', 'generate', '--alg', 'PS256', '--bits', '2048', ...files],
      '--bits 2048 would be refused by the server: use 3072 or 4096',
    );
    await cliError(
      ['cert', 'generate', '--alg', 'ES256', '--days', '731', ...files],
      "--days 731: use 1 to 730 (the server caps a certificate's validity at two years)",
    );
    await cliError(
      ['cert', 'generate', '--alg', 'ES256', '--days', '0', ...files],
      "--days 0: use 1 to 730 (the server caps a certificate's validity at two years)",
    );
    await cliError(
      ['cert', 'generate', '--alg', 'ES256', '--days', '1y', ...files],
      '--days takes a whole number, not "1y"',
    );
    await cliError(
      [
        'cert',
        'generate',
        '--alg',
        'ES256',
        '--out',
        join(dir, 'x.pem'),
        '--key-out',
        join(dir, 'x.pem'),
      ],
      '--out and --key-out must be different files',
    );
    await cliError(
      [
        'cert',
        'generate',
        '--alg',
        'ES256',
        '--out',
        join(dir, 'none', 'a.pem'),
        '--key-out',
        join(dir, 'none', 'b.pem'),
      ],
      `cannot write ${join(dir, 'none', 'b.pem')}: no such directory`,
    );
    // A generation-level refusal (an EC key has no size) comes through as the DomainError.
    await assert.rejects(
      run(['cert', 'generate', '--alg', 'ES256', '--bits', '3072', ...files]),
      (e: unknown) => isDomainError(e) && e.code === 'certificate.generate_bits',
    );
    await assert.rejects(
      run(['cert', 'generate', '--out', join(dir, 'a.pem'), '--key-out', join(dir, 'b.pem')]),
      (e: unknown) => e instanceof CommanderError && /--alg/.test(e.message),
    );
  });

  it('--help explains the algorithms, the options and the next step', async () => {
    const help = (await run(['cert', 'generate', '--help'])).replace(/\s+/g, ' ');
    assert.match(
      help,
      /--alg <alg> ES256\|ES384\|ES512 \(EC key\) or PS256\|PS384\|PS512 \(RSA key\)/,
    );
    assert.match(help, /--key-out <file> private key file to write \(PKCS#8, mode 0600\)/);
    assert.match(
      help,
      /certmint cert generate --alg ES256 --out public\.pem --key-out private\.pem/,
    );
    assert.match(help, /certmint mapping create .* --certificate public\.pem/);
    const check = (await run(['cert', 'check', '--help'])).replace(/\s+/g, ' ');
    assert.match(check, /exit 1 if it would refuse it/);
    assert.match(check, /RSA 3072\/4096-bit key or an EC P-256\/P-384\/P-521 key/);
  });
});

describe('cert check', () => {
  it('prints the facts of an accepted certificate', async () => {
    const text = await run(['cert', 'check', m['rsa-pss-3072'].certPath]);
    const id = await opensslCertificateId(m['rsa-pss-3072'].certPath);
    assert.match(text, /: accepted\n/);
    assert.ok(text.includes(id));
    assert.match(text, /Key\s+RSA 3072 bits \(RSASSA-PSS key\)/);
    assert.match(text, /Sign assertions with\s+PS256, PS384, PS512/);
    assert.match(text, /Subject\s+CN=test/);
    const v = await validity(m['rsa-pss-3072'].certPath);
    assert.ok(text.includes(new Date(v.notAfter).toISOString().replace('.000Z', 'Z')));
    assert.doesNotMatch(text, /shortened|not valid yet/);
    assert.match(text, /certmint mapping create .* --certificate /);
  });

  it('says clearly when the validity will be shortened to two years', async () => {
    const text = await run(['cert', 'check', m['five-year'].certPath]);
    const v = await validity(m['five-year'].certPath);
    const cap = new Date(v.notBefore);
    cap.setUTCFullYear(cap.getUTCFullYear() + 2);
    const iso = cap.toISOString().replace('.000Z', 'Z');
    assert.ok(
      text.includes(
        `note: the certificate claims a longer validity; the server will treat it as valid until ${iso} (two years from its start)`,
      ),
      text,
    );
  });

  it('notes a certificate that is not valid yet', async () => {
    const v = await validity(m['ec-p256'].certPath);
    const text = await run(
      ['cert', 'check', m['ec-p256'].certPath],
      new FixedClock(v.notBefore - DAY),
    );
    assert.match(text, /note: not valid yet: the token endpoint refuses it until /);
  });

  it('--json prints one object', async () => {
    const text = await run(['--json', 'cert', 'check', m['ec-p256'].certPath]);
    const j = JSON.parse(text) as Record<string, unknown>;
    assert.equal(j.accepted, true);
    assert.equal(j.certificateId, await opensslCertificateId(m['ec-p256'].certPath));
    assert.deepEqual([j.algorithm, j.curve, j.keySize, j.shortened], ['EC', 'P-256', 256, false]);
    assert.deepEqual(j.assertionAlgs, ['ES256']);
    assert.equal(j.pem, undefined);
  });

  it('refuses what the server refuses, with the policy code', async () => {
    const e = await policyError(
      ['cert', 'check', m['rsa-2048'].certPath],
      'certificate.rsa_key_size',
    );
    assert.match(e.message, /2048 bits, and only 3072 or 4096 bits are accepted/);
    const v = await validity(m.expired.certPath);
    await policyError(
      ['cert', 'check', m.expired.certPath],
      'certificate.expired',
      new FixedClock(v.notAfter + DAY),
    );
    const k = await policyError(['cert', 'check', m['ec-p256'].keyPath], 'certificate.private_key');
    for (const line of m['ec-p256'].keyPem
      .split('\n')
      .filter((l) => l.length > 0 && !l.startsWith('-'))) {
      assert.ok(!k.message.includes(line));
    }
    const dir = await tempDir();
    const txt = join(dir, 'public.txt');
    await copyFile(m['ec-p256'].certPath, txt);
    await policyError(['cert', 'check', txt], 'certificate.file_name');
    await cliError(
      ['cert', 'check', join(dir, 'missing.pem')],
      `cannot read ${join(dir, 'missing.pem')}: no such file`,
    );
  });
});

describe('the real certmint binary', () => {
  const certmint = (args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, CERTMINT_DB: '', CERTMINT_DEBUG: '' },
      timeout: 60_000,
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  it('cert check exits 1 with the reason on one line; a private key is never echoed', () => {
    const r = certmint(['cert', 'check', m['rsa-2048'].certPath]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(
      r.stderr,
      `certmint: The certificate's RSA key has 2048 bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"\n`,
    );
    const k = certmint(['cert', 'check', m['ec-p256'].keyPath]);
    assert.equal(k.code, 1);
    assert.match(k.stderr, /^certmint: The file is a private key, not a certificate/);
    for (const line of m['ec-p256'].keyPem.split('\n').filter((l) => l.length > 8)) {
      assert.ok(!k.stderr.includes(line) && !k.stdout.includes(line));
    }
  });

  it('cert generate then cert check --json: exit 0, accepted', async () => {
    const dir = await tempDir();
    const out = join(dir, 'public.pem');
    const g = certmint([
      'cert',
      'generate',
      '--alg',
      'ES512',
      '--out',
      out,
      '--key-out',
      join(dir, 'private.pem'),
    ]);
    assert.equal(g.code, 0, g.stderr);
    const c = certmint(['cert', 'check', out, '--json']);
    assert.equal(c.code, 0, c.stderr);
    const j = JSON.parse(c.stdout) as { accepted: boolean; certificateId: string; curve: string };
    assert.equal(j.accepted, true);
    assert.equal(j.curve, 'P-521');
    assert.equal(j.certificateId, await opensslCertificateId(out));
    assert.equal(new X509Certificate(await readFile(out)).subject, 'CN=certmint client');
  });
});
