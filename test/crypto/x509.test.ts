/**
 * The X.509 reader in isolation, against real OpenSSL certificates: where one DER element ends,
 * what the SubjectPublicKeyInfo declares (the traps: explicit EC parameters that Node calls
 * `prime256v1`, RSASSA-PSS keys), names in certmint's stored form, and OpenSSL's serial number.
 */
import assert from 'node:assert/strict';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { X509Certificate as PeculiarX509 } from '@peculiar/x509';
import {
  CERTIFICATE_POLICY_CODES as CODES,
  inspectCertificate,
} from '../../src/crypto/certificate.ts';
import { parseCertificateUpload } from '../../src/crypto/certificate-upload.ts';
import { readSequence } from '../../src/crypto/x509.ts';
import type { CertificateKey } from '../../src/domain/certificate-policy.ts';
import { type CertKind, derOf, makeCert, runOpenssl, tempDir } from '../support/openssl.ts';
import { MAKE_NEW, refuses } from './refusal.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('readSequence', () => {
  it('reads one SEQUENCE and says where it ends, ignoring what follows', async () => {
    assert.equal(readSequence(hex('3003 020100'), 0)?.end, 5);
    assert.equal(readSequence(hex('3003 020100 ffff'), 0)?.end, 5);
    assert.equal(readSequence(hex('3000'), 0)?.end, 2);
    const a = await derOf((await makeCert('ec-p256')).certPath);
    const b = await derOf((await makeCert('ec-p384')).certPath);
    const both = Buffer.concat([a, b]);
    assert.equal(readSequence(both, 0)?.end, a.length); // a long-form length (0x82)
    assert.equal(readSequence(both, a.length)?.end, a.length + b.length);
  });

  it('null for what is not a definite-length SEQUENCE, or does not fit', () => {
    for (const bad of [
      '',
      '30',
      '3080 0000', // indefinite length: BER, never DER (X.690 §10.1)
      '0500', // NULL
      '3103 020100', // SET
      'a003 020100', // context tag
      '1f01 00', // high tag number
      '3005 0000', // longer than the input
      '3082 01',
      '3084 ffffffff',
    ]) {
      assert.equal(readSequence(hex(bad), 0), null, bad);
    }
  });
});

/** Each kind's key as the SPKI declares it. */
const KEYS: Array<[CertKind, CertificateKey]> = [
  ['ec-p256', { type: 'ec', parameters: 'named', curve: 'P-256' }],
  ['ec-p384', { type: 'ec', parameters: 'named', curve: 'P-384' }],
  ['ec-p521', { type: 'ec', parameters: 'named', curve: 'P-521' }],
  ['secp256k1', { type: 'ec', parameters: 'named', curve: 'secp256k1' }],
  ['ec-explicit', { type: 'ec', parameters: 'explicit' }],
  ['rsa-3072', { type: 'rsa', spki: 'rsaEncryption', modulusBits: 3072 }],
  ['rsa-2048', { type: 'rsa', spki: 'rsaEncryption', modulusBits: 2048 }],
  ['rsa-4096-pss-sig', { type: 'rsa', spki: 'rsaEncryption', modulusBits: 4096 }],
  ['rsa-pss-3072', { type: 'rsa', spki: 'RSASSA-PSS', modulusBits: 3072 }],
  ['ed25519', { type: 'eddsa', name: 'Ed25519' }],
  ['ed448', { type: 'eddsa', name: 'Ed448' }],
  ['dsa', { type: 'other', name: 'DSA' }],
];

describe('the key, from the SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)', () => {
  for (const [kind, expected] of KEYS) {
    it(`${kind}`, async () => {
      const m = await makeCert(kind);
      const parsed = parseCertificateUpload(m.certPem);
      assert.deepEqual(parsed.reading.key, expected);
      // The key object for signature checks is the certificate's own key.
      assert.ok(parsed.publicKey?.equals(createPublicKey(m.keyPem)));
      assert.deepEqual(parsed.der, await derOf(m.certPath));
    });
  }

  it('explicit EC parameters are seen although Node names the curve (RFC 5480 §2.1.1)', async () => {
    const m = await makeCert('ec-explicit');
    const node = new X509Certificate(m.certPem).publicKey.asymmetricKeyDetails;
    assert.equal(node?.namedCurve, 'prime256v1');
    assert.deepEqual(parseCertificateUpload(m.certPem).reading.key, {
      type: 'ec',
      parameters: 'explicit',
    });
  });

  it('RSASSA-PSS keys load in Node as rsa-pss (jose cannot import them)', async () => {
    const parsed = parseCertificateUpload((await makeCert('rsa-pss-3072')).certPem);
    assert.equal(parsed.publicKey?.asymmetricKeyType, 'rsa-pss');
  });

  describe('keys OpenSSL makes that the policy names in its refusals', () => {
    let dir = '';
    before(async () => {
      dir = await tempDir('certmint-x509-');
      await runOpenssl(
        [
          'req',
          '-new',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:brainpoolP256r1',
          '-nodes',
          '-days',
          '30',
          '-subj',
          '/CN=test',
          '-keyout',
          'bp.key',
          '-out',
          'bp.pem',
        ],
        { cwd: dir },
      );
      // An X25519 key cannot sign, so another key signs its certificate.
      await runOpenssl(['genpkey', '-algorithm', 'x25519', '-out', 'x.key'], { cwd: dir });
      await runOpenssl(['pkey', '-in', 'x.key', '-pubout', '-out', 'x.pub'], { cwd: dir });
      const signer = (await makeCert('ec-p256')).keyPath;
      await runOpenssl(
        ['x509', '-new', '-subj', '/CN=test', '-key', signer, '-force_pubkey', 'x.pub'].concat([
          '-out',
          'x25519.pem',
        ]),
        { cwd: dir },
      );
    });

    it('brainpoolP256r1: named by Node, refused by the policy', async () => {
      const pem = await readFile(join(dir, 'bp.pem'), 'utf8');
      assert.deepEqual(parseCertificateUpload(pem).reading.key, {
        type: 'ec',
        parameters: 'named',
        curve: 'brainpoolP256r1',
      });
      refuses(
        () => inspectCertificate(pem, { now: Date.now() }),
        CODES.ecCurve,
        `The certificate's EC key uses curve brainpoolP256r1, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
      );
    });

    it('X25519', async () => {
      const pem = await readFile(join(dir, 'x25519.pem'), 'utf8');
      assert.deepEqual(parseCertificateUpload(pem).reading.key, { type: 'other', name: 'X25519' });
      refuses(
        () => inspectCertificate(pem, { now: Date.now() }),
        CODES.keyType,
        `The certificate has a X25519 key, and only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
      );
    });
  });

  it('EC parameters that name no curve (NULL implicitCurve, or absent) are refused', async () => {
    const der = await derOf((await makeCert('ec-p256')).certPath);
    for (const parameters of [new Uint8Array([0x05, 0x00]).buffer, undefined]) {
      // The same certificate with its SPKI parameters replaced (the signature no longer
      // matches, which the upload never checks: a self-signature proves nothing).
      const cert = AsnConvert.parse(der, Certificate);
      cert.tbsCertificate.subjectPublicKeyInfo.algorithm.parameters = parameters;
      const edited = Buffer.from(AsnConvert.serialize(cert));
      assert.deepEqual(parseCertificateUpload(edited).reading.key, {
        type: 'ec',
        parameters: 'unnamed',
      });
      refuses(
        () => inspectCertificate(edited, { now: Date.now() }),
        CODES.ecCurve,
        `The certificate's EC key uses curve unnamed, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
      );
    }
  });
});

describe('certificate versions', () => {
  it('a version 1 certificate (no [0] version field) is read like a version 3 one', async () => {
    const m = await makeCert('ec-p256');
    const dir = await tempDir('certmint-x509-v1-');
    await runOpenssl(['req', '-new', '-key', m.keyPath, '-subj', '/CN=v1', '-out', 'v1.csr'], {
      cwd: dir,
    });
    await runOpenssl(
      ['x509', '-req', '-in', 'v1.csr', '-signkey', m.keyPath, '-days', '30', '-out', 'v1.pem'],
      { cwd: dir },
    );
    const v1 = await readFile(join(dir, 'v1.pem'), 'utf8');
    const text = await runOpenssl(['x509', '-in', join(dir, 'v1.pem'), '-noout', '-text']);
    assert.match(text.toString('utf8'), /Version: 1 \(0x0\)/);
    const facts = inspectCertificate(v1, { now: Date.now() });
    assert.equal(facts.subject, 'CN=v1');
    assert.equal(facts.curve, 'P-256');
    // Same key as the v3 certificate: same public key id.
    assert.equal(facts.publicKeyId, inspectCertificate(m.certPem, { now: Date.now() }).publicKeyId);
  });
});

describe('names and serial number', () => {
  it('names keep the stored form (DER order, ", " and "+", RFC 4514 §2.4 escapes)', async () => {
    const dir = await tempDir('certmint-x509-names-');
    await runOpenssl(
      [
        'req',
        '-new',
        '-x509',
        '-utf8',
        '-multivalue-rdn',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '30',
        '-set_serial',
        '0x80000000000000000001',
        '-subj',
        '/DC=org/DC=example/O=Ex\\, Inc./OU=a+OU=b/CN= #lead;<x>"q" /emailAddress=a@b.example/serialNumber=1234/SN=Müller/2.5.4.65=pseudo',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
      ],
      { cwd: dir },
    );
    const pem = await readFile(join(dir, 'c.pem'), 'utf8');
    const { reading } = parseCertificateUpload(pem);
    const expected =
      'DC=org, DC=example, O=Ex\\, Inc., OU=a+OU=b, CN=\\ #lead\\;\\<x\\>\\"q\\"\\ , E=a@b.example, 2.5.4.5=1234, SN=Müller, 2.5.4.65=pseudo';
    assert.equal(reading.subject, expected);
    assert.equal(reading.issuer, expected);
    // The form certmint has always stored: @peculiar/x509's Name#toString.
    assert.equal(new PeculiarX509(pem).subject, expected);
    // A serial whose top bit is set is DER-encoded with a leading zero byte; OpenSSL omits it.
    const serial = await runOpenssl(['x509', '-in', join(dir, 'c.pem'), '-noout', '-serial']);
    assert.equal(serial.toString('utf8').trim(), 'serial=80000000000000000001');
    assert.equal(reading.serialNumber, '80000000000000000001');
  });
});
