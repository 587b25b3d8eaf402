/**
 * Certificates made without OpenSSL must be accepted by the certificate policy and by OpenSSL,
 * and their keys must sign assertions the verifier accepts: generate → inspect → sign → verify.
 */
import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { importPKCS8 } from 'jose';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  createSignature,
  prepareVerificationKey,
  verifySignature,
} from '../../src/crypto/algorithms.ts';
import { inspectCertificate } from '../../src/crypto/certificate.ts';
import { type GeneratedCertificate, generateCertificate } from '../../src/crypto/generate.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import { runOpenssl, tempDir, validity } from '../support/openssl.ts';
import { RFC7518 } from '../support/rfc7518.ts';

const NOW = Date.UTC(2026, 10, 29, 5, 27, 21, 456);
const DAY = 86_400_000;
const made = new Map<
  AssertionAlg,
  { g: GeneratedCertificate; certPath: string; keyPath: string }
>();

before(async () => {
  const dir = await tempDir();
  await Promise.all(
    ASSERTION_ALGS.map(async (alg) => {
      const g = await generateCertificate({ alg, now: NOW });
      const certPath = join(dir, `${alg}.pem`);
      const keyPath = join(dir, `${alg}.key`);
      await writeFile(certPath, g.certificatePem);
      await writeFile(keyPath, g.privateKeyPem, { mode: 0o600 });
      made.set(alg, { g, certPath, keyPath });
    }),
  );
});

const get = (alg: AssertionAlg) => {
  const x = made.get(alg);
  if (x === undefined) throw new Error(`nothing generated for ${alg}`);
  return x;
};

describe('generateCertificate', () => {
  for (const alg of ASSERTION_ALGS) {
    it(`${alg}: accepted by the policy, by OpenSSL, and its key signs what the certificate verifies`, async () => {
      const { g, certPath, keyPath } = get(alg);
      const spec = RFC7518[alg];
      const facts = inspectCertificate(g.certificatePem, { fileName: 'public.pem', now: NOW });
      assert.equal(facts.algorithm, spec.family === 'ec' ? 'EC' : 'RSA');
      assert.equal(facts.keyType, spec.family === 'ec' ? 'ec' : 'rsa');
      assert.equal(facts.curve, spec.family === 'ec' ? spec.curve : null);
      if (spec.family === 'rsa') assert.equal(facts.keySize, 3072);
      assert.equal(facts.subject, 'CN=certmint client');
      assert.equal(facts.shortened, false);
      assert.equal(facts.pem, g.certificatePem);

      // OpenSSL reads it, sees the expected key and self-signature, and the signature verifies.
      const text = (await runOpenssl(['x509', '-in', certPath, '-noout', '-text'])).toString();
      assert.match(
        text,
        spec.family === 'ec'
          ? /Public Key Algorithm: id-ecPublicKey/
          : /Public Key Algorithm: rsaEncryption/,
      );
      assert.match(
        text,
        spec.family === 'ec'
          ? new RegExp(`Signature Algorithm: ecdsa-with-${spec.hash.toUpperCase()}`)
          : new RegExp(`Signature Algorithm: rsassaPss[\\s\\S]*Hash Algorithm: ${spec.hash}`),
      );
      await runOpenssl(['verify', '-CAfile', certPath, certPath]);
      const v = await validity(certPath);
      assert.equal(v.notBefore, Math.floor(NOW / 1000) * 1000);
      assert.equal(v.notAfter, v.notBefore + 365 * DAY);
      assert.deepEqual([facts.validFrom, facts.validUntil], [v.notBefore, v.notAfter]);

      // The private key: PKCS#8, readable by OpenSSL, Node and jose (the client SDK's library).
      assert.match(g.privateKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
      await runOpenssl(['pkey', '-in', keyPath, '-noout']);
      await importPKCS8(g.privateKeyPem, alg);

      const key = prepareVerificationKey(facts);
      const input = 'eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJhIn0';
      const sig = createSignature(alg, createPrivateKey(g.privateKeyPem), input);
      assert.equal(verifySignature(alg, key, input, sig), true);
      assert.equal(verifySignature(alg, key, `${input}.`, sig), false);
      if (spec.family === 'rsa') {
        // Signed by OpenSSL with the generated key: an independent PSS implementation.
        const ossl = await runOpenssl(
          [
            'dgst',
            `-${spec.hash}`,
            '-sign',
            keyPath,
            '-sigopt',
            'rsa_padding_mode:pss',
            '-sigopt',
            `rsa_pss_saltlen:${spec.hashLength}`,
          ],
          { input: Buffer.from(input) },
        );
        assert.equal(verifySignature(alg, key, input, ossl), true);
      }
    });
  }

  it('every generated key pair is new', () => {
    const ids = new Set(ASSERTION_ALGS.map((alg) => get(alg).g.privateKeyPem));
    assert.equal(ids.size, ASSERTION_ALGS.length);
  });

  it('honours bits, days and subject', async () => {
    const g = await generateCertificate({
      alg: 'PS384',
      bits: 4096,
      days: 30,
      subject: 'CN=billing sync, O=Example',
      now: NOW,
    });
    const facts = inspectCertificate(g.certificatePem, { now: NOW });
    assert.equal(facts.keySize, 4096);
    assert.equal(facts.subject, 'CN=billing sync, O=Example');
    assert.equal(facts.issuer, 'CN=billing sync, O=Example');
    assert.equal(facts.validUntil - facts.validFrom, 30 * DAY);
    const dir = await tempDir();
    await writeFile(join(dir, 'c.pem'), g.certificatePem);
    const subject = (
      await runOpenssl([
        'x509',
        '-in',
        join(dir, 'c.pem'),
        '-noout',
        '-subject',
        '-nameopt',
        'RFC2253',
      ])
    ).toString();
    assert.equal(subject.trim(), 'subject=O=Example,CN=billing sync');
  });

  it('a start in the past makes an expired certificate (the clock decides)', async () => {
    const g = await generateCertificate({ alg: 'ES256', days: 1, now: NOW - 3 * DAY });
    assert.throws(
      () => inspectCertificate(g.certificatePem, { now: NOW }),
      (e: unknown) => isDomainError(e) && e.code === 'certificate.expired',
    );
  });

  const refuses = async (
    opts: Parameters<typeof generateCertificate>[0],
    code: string,
    message: string,
  ) => {
    await assert.rejects(generateCertificate(opts), (e: unknown) => {
      assert.ok(isDomainError(e));
      assert.equal(e.kind, 'invalid_input');
      assert.equal(e.code, code);
      assert.equal(e.message, message);
      return true;
    });
  };

  it('refuses options that would make a certificate the server refuses', async () => {
    await refuses(
      { alg: 'RS256' as AssertionAlg, now: NOW },
      'certificate.generate_alg',
      '"RS256" is not an assertion algorithm: use ES256, ES384, ES512, PS256, PS384 or PS512',
    );
    await refuses(
      { alg: 'ES256', bits: 3072, now: NOW },
      'certificate.generate_bits',
      'ES256 uses a fixed EC curve: leave out the key size (it applies to PS256/PS384/PS512 only)',
    );
    await refuses(
      { alg: 'PS256', bits: 2048 as 3072, now: NOW },
      'certificate.generate_bits',
      'An RSA key of 2048 bits would be refused: use 3072 or 4096 bits',
    );
    for (const days of [0, -1, 1.5]) {
      await refuses(
        { alg: 'ES256', days, now: NOW },
        'certificate.generate_days',
        `The validity must be a whole number of days, at least 1 (got ${days})`,
      );
    }
    for (const subject of ['not a dn', '', 'CN=', 'cn=lower']) {
      await refuses(
        { alg: 'ES256', subject, now: NOW },
        'certificate.generate_subject',
        `"${subject}" is not a distinguished name: write it like CN=billing sync, O=Example`,
      );
    }
  });
});
