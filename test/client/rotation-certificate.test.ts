/**
 * The SDK's own certificate writer (no @peculiar, no server code): OpenSSL parses and verifies
 * what it makes, the server's upload policy accepts it, and the DER encodings are the standard
 * ones (X.690 examples).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileCredentialStore } from '../../src/client/index.ts';
import { oid, time, tlv, unsignedInteger } from '../../src/client/rotation/der.ts';
import { newCertificate } from '../../src/client/rotation/self-signed.ts';
import { inspectCertificate } from '../../src/crypto/certificate.ts';
import { opensslCertificateId, runOpenssl } from '../support/openssl.ts';

describe('SDK certificates', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'certmint-sdk-cert-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases = [
    { alg: 'ES256', text: /ecdsa-with-SHA256/, key: /Public-Key: \(256 bit\)/ },
    { alg: 'ES384', text: /ecdsa-with-SHA384/, key: /Public-Key: \(384 bit\)/ },
    { alg: 'ES512', text: /ecdsa-with-SHA512/, key: /Public-Key: \(521 bit\)/ },
    {
      alg: 'PS256',
      text: /rsassaPss[\s\S]*Hash Algorithm: sha256[\s\S]*Salt Length: 0x20/,
      key: /Public-Key: \(3072 bit\)/,
    },
    {
      alg: 'PS512',
      text: /rsassaPss[\s\S]*Hash Algorithm: sha512[\s\S]*Salt Length: 0x40/,
      key: /Public-Key: \(3072 bit\)/,
    },
  ] as const;

  for (const c of cases) {
    it(`${c.alg}: OpenSSL reads and verifies it; the server's policy accepts it`, async () => {
      const now = Date.UTC(2026, 10, 1, 12, 0, 0);
      const made = await newCertificate({ alg: c.alg, days: 365, commonName: 'billing sync', now });
      const path = join(dir, `${c.alg}.pem`);
      writeFileSync(path, made.certificatePem);
      const text = (await runOpenssl(['x509', '-in', path, '-noout', '-text'])).toString('utf8');
      assert.match(text, c.text);
      assert.match(text, c.key);
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, /Subject: CN ?= ?billing sync/);
      assert.match(text, /Issuer: CN ?= ?billing sync/);
      assert.match(text, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /X509v3 Key Usage: critical\s+Digital Signature/);
      // The self-signature verifies (OpenSSL checks it on the trust anchor with -check_ss_sig).
      const verified = await runOpenssl(['verify', '-check_ss_sig', '-CAfile', path, path]);
      assert.match(verified.toString('utf8'), /: OK/);
      // Strict DER: OpenSSL's re-encoding is byte for byte the same.
      const der = Buffer.from(made.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
      assert.deepEqual(await runOpenssl(['x509', '-in', path, '-outform', 'DER']), der);
      assert.equal(made.certificateId, await opensslCertificateId(path));

      const facts = inspectCertificate(made.certificatePem, { now });
      assert.equal(facts.certificateId, made.certificateId);
      assert.equal(facts.validFrom, now - 5 * 60_000, 'notBefore backdated five minutes');
      assert.equal(facts.validUntil, now - 5 * 60_000 + 365 * 86_400_000);
      assert.equal(new X509Certificate(made.certificatePem).checkPrivateKey(made.privateKey), true);
    });
  }

  it('the subject key identifier is SHA-1 of the public key bits (RFC 5280 §4.2.1.2 method 1)', async () => {
    const made = await newCertificate({ alg: 'ES256', days: 1, commonName: 'x', now: Date.now() });
    const path = join(dir, 'ski.pem');
    writeFileSync(path, made.certificatePem);
    const ext = (await runOpenssl(['x509', '-in', path, '-noout', '-ext', 'subjectKeyIdentifier']))
      .toString('utf8')
      .split('\n')[1]
      ?.trim()
      .replaceAll(':', '')
      .toLowerCase();
    // OpenSSL's own computation: the 65-byte uncompressed point at the end of the SPKI.
    const spki = await runOpenssl(['x509', '-in', path, '-noout', '-pubkey']);
    const derKey = await runOpenssl(['pkey', '-pubin', '-outform', 'DER'], { input: spki });
    const sha1 = await runOpenssl(['dgst', '-sha1', '-binary'], { input: derKey.subarray(-65) });
    assert.equal(ext, sha1.toString('hex'));
  });

  it('DER: lengths, minimal integers, object identifiers, UTCTime until 2049', () => {
    assert.deepEqual(tlv(0x04, Buffer.alloc(3)), Buffer.from([4, 3, 0, 0, 0]));
    assert.deepEqual(tlv(0x04, Buffer.alloc(200)).subarray(0, 3), Buffer.from([4, 0x81, 200]));
    assert.deepEqual(tlv(0x04, Buffer.alloc(300)).subarray(0, 4), Buffer.from([4, 0x82, 1, 44]));
    assert.deepEqual(unsignedInteger(Buffer.from([0, 0, 0x7f])), Buffer.from([2, 1, 0x7f]));
    assert.deepEqual(unsignedInteger(Buffer.from([0x80])), Buffer.from([2, 2, 0, 0x80]));
    // X.690 §8.19.5's example arc values: rsadsi 1.2.840.113549.
    assert.deepEqual(
      oid('1.2.840.113549'),
      Buffer.from([6, 6, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]),
    );
    assert.equal(
      time(Date.UTC(2049, 11, 31, 23, 59, 59)).toString('latin1'),
      '\x17\x0d491231235959Z',
    );
    assert.equal(time(Date.UTC(2050, 0, 1)).toString('latin1'), '\x18\x0f20500101000000Z');
  });

  it('fileCredentialStore: 0600, atomic replace, nothing left beside it; absent → null', async () => {
    const path = join(dir, 'store', 'credential.json');
    const store = fileCredentialStore(join(dir, 'credential.json'));
    assert.equal(await store.load(), null);
    await store.save({
      certificateId: 'a',
      privateKey: 'k1',
      validUntil: new Date(Date.UTC(2027, 0, 1)),
    });
    await store.save({
      certificateId: 'b',
      privateKey: 'k2',
      validUntil: Date.UTC(2028, 0, 1),
      role: 3,
      entity: '-5',
    });
    const loaded = await store.load();
    assert.deepEqual(loaded, {
      certificateId: 'b',
      privateKey: 'k2',
      validUntil: '2028-01-01T00:00:00.000Z',
      role: 3,
      entity: '-5',
    });
    assert.equal(statSync(join(dir, 'credential.json')).mode & 0o777, 0o600);
    assert.deepEqual(
      (await readdir(dir)).filter((n) => n.includes('.tmp')),
      [],
    );
    writeFileSync(join(dir, 'bad.json'), '{"certificateId": 1}');
    await assert.rejects(
      fileCredentialStore(join(dir, 'bad.json')).load(),
      /not a stored credential/,
    );
    await assert.rejects(
      fileCredentialStore(path).save({ certificateId: 'c', privateKey: 'k' }),
      /ENOENT/,
    );
    assert.equal(JSON.parse(readFileSync(join(dir, 'credential.json'), 'utf8')).certificateId, 'b');
  });
});
