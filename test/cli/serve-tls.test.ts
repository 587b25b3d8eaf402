/**
 * `certmint serve --tls-cert/--tls-key [--client-certs request]` and `--client-cert-header`:
 * one-line refusals for every mistake, and a real process answering over HTTPS.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { serve } from '../fault/support.ts';
import { freePort } from '../support/net.ts';
import { makeCert } from '../support/openssl.ts';
import { assertMistake, cli, emptyStore, tempDir } from './support.ts';

const serveArgs = (db: string, ...rest: string[]) => ['--db', db, 'serve', '--port', '0', ...rest];

describe('certmint serve: TLS settings', () => {
  it('refuses each mistake in one line, naming the flag or variable', async () => {
    const dir = tempDir();
    const db = await emptyStore(join(dir, 'certmint.db'));
    const a = await makeCert('ec-p256');
    const b = await makeCert('ec-p384');
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a PEM file\n');

    assertMistake(
      await cli(serveArgs(db, '--tls-cert', a.certPath)),
      2,
      /^certmint: --tls-cert needs --tls-key too \(or their CERTMINT_TLS_\* variables\)$/,
    );
    assertMistake(
      await cli(serveArgs(db), { env: { CERTMINT_TLS_KEY: a.keyPath } }),
      2,
      /^certmint: CERTMINT_TLS_KEY needs --tls-cert too/,
    );
    assertMistake(
      await cli(serveArgs(db, '--tls-cert', join(dir, 'missing.pem'), '--tls-key', a.keyPath)),
      1,
      /^certmint: cannot read --tls-cert .*missing\.pem: no such file$/,
    );
    assertMistake(
      await cli(serveArgs(db, '--tls-cert', a.certPath, '--tls-key', b.keyPath)),
      1,
      new RegExp(
        `^certmint: --tls-key ${b.keyPath} is not the private key of the certificate in --tls-cert ${a.certPath}$`,
      ),
    );
    assertMistake(
      await cli(serveArgs(db, '--tls-cert', garbage, '--tls-key', a.keyPath)),
      1,
      /^certmint: --tls-cert .*garbage\.pem is not a PEM certificate$/,
    );
    assertMistake(
      await cli(serveArgs(db, '--tls-cert', a.certPath, '--tls-key', a.certPath)),
      1,
      /^certmint: --tls-key .*public\.pem is not a PEM private key \(an unencrypted one\)$/,
    );
    assertMistake(
      await cli(serveArgs(db, '--client-certs', 'request')),
      2,
      /^certmint: --client-certs request needs HTTPS: give --tls-cert and --tls-key \(behind a TLS-terminating proxy, use --client-cert-header instead\)$/,
    );
    assertMistake(
      await cli(serveArgs(db), { env: { CERTMINT_CLIENT_CERTS: 'require' } }),
      2,
      /^certmint: CERTMINT_CLIENT_CERTS must be one of none, request \(got "require"\)$/,
    );
    assertMistake(
      await cli(serveArgs(db, '--client-cert-header', 'x ssl: cert')),
      2,
      /^certmint: --client-cert-header must be an HTTP header name such as x-ssl-client-cert \(got "x ssl: cert"\)$/,
    );
  });

  it('serves HTTPS (an https public URL by default) and advertises bound tokens with --client-certs request', async () => {
    const dir = tempDir();
    const db = await emptyStore(join(dir, 'certmint.db'));
    assert.equal((await cli(['--db', db, 'account', 'create', '123456'])).code, 0);
    const tls = await makeCert('ec-p256');
    const port = await freePort();
    const server = await serve(db, port, {
      args: ['--tls-cert', tls.certPath, '--tls-key', tls.keyPath, '--client-certs', 'request'],
    });
    try {
      const out = server.output();
      assert.match(out, /client certificates: requested on TLS connections/);
      assert.match(
        out,
        new RegExp(`issuer of an account A: https://127\\.0\\.0\\.1:${port}/accounts/A`),
      );
      const body = await new Promise<string>((resolve, reject) => {
        get(
          {
            host: '127.0.0.1',
            port,
            path: '/.well-known/oauth-authorization-server/accounts/123456',
            ca: tls.certPem,
            servername: 'test',
            agent: false,
          },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c.toString();
            });
            res.on('end', () => resolve(`${res.statusCode} ${text}`));
          },
        ).on('error', reject);
      });
      assert.match(body, /^200 /);
      const metadata = JSON.parse(body.slice(4)) as Record<string, unknown>;
      assert.equal(metadata.issuer, `https://127.0.0.1:${port}/accounts/123456`);
      assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });
});
