/** The tiny DER reader, the PEM helpers and the two-year cap, in isolation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capValidity } from '../../src/crypto/certificate.ts';
import { decodeOid, OID, readSpkiAlgorithm, readTlv } from '../../src/crypto/der.ts';
import { decodeSingleCertificateBlock, pemLabels, toPem } from '../../src/crypto/pem.ts';
import { makeCert, runOpenssl } from '../support/openssl.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('readTlv', () => {
  it('reads short and long definite lengths', () => {
    assert.deepEqual(readTlv(hex('0403 aabbcc'), 0), { tag: 4, contentStart: 2, end: 5 });
    const long = Buffer.concat([hex('3082 0100'), Buffer.alloc(256)]);
    assert.deepEqual(readTlv(long, 0), { tag: 0x30, contentStart: 4, end: 260 });
    assert.deepEqual(readTlv(hex('0500'), 0), { tag: 5, contentStart: 2, end: 2 });
  });

  it('returns null for what DER forbids or what does not fit', () => {
    for (const bad of [
      '',
      '30',
      '3080 0000',
      '3085 0000000001 00',
      '1f01 00',
      '3005 0000',
      '3082 01',
    ]) {
      assert.equal(readTlv(hex(bad), 0), null, bad);
    }
    assert.equal(readTlv(hex('0500'), 5), null);
    assert.equal(readTlv(hex('0500'), -1), null);
  });
});

describe('decodeOid', () => {
  it('decodes the OIDs the policy names', () => {
    assert.equal(decodeOid(hex('2a8648ce3d0201')), OID.ecPublicKey);
    assert.equal(decodeOid(hex('2a8648ce3d030107')), OID.p256);
    assert.equal(decodeOid(hex('2b81040022')), OID.p384);
    assert.equal(decodeOid(hex('2b8104000a')), OID.secp256k1);
    assert.equal(decodeOid(hex('2a864886f70d01010a')), OID.rsassaPss);
    assert.equal(decodeOid(hex('2b6570')), OID.ed25519);
    assert.equal(decodeOid(hex('551d0f')), '2.5.29.15');
    assert.equal(decodeOid(hex('8837')), '2.999');
  });

  it('refuses empty, truncated and non-minimal encodings', () => {
    for (const bad of ['', '2a86', '2a8048', '80 01']) assert.equal(decodeOid(hex(bad)), null, bad);
  });
});

describe('readSpkiAlgorithm', () => {
  const spkiOf = async (kind: Parameters<typeof makeCert>[0]) => {
    const m = await makeCert(kind);
    const pem = await runOpenssl(['x509', '-in', m.certPath, '-noout', '-pubkey']);
    return runOpenssl(['pkey', '-pubin', '-outform', 'DER'], { input: pem });
  };

  it('tells a named curve from explicit parameters (which Node hides)', async () => {
    assert.deepEqual(readSpkiAlgorithm(await spkiOf('ec-p256')), {
      oid: OID.ecPublicKey,
      params: 'oid',
      paramsOid: OID.p256,
    });
    // Re-encoding by `openssl pkey` keeps the explicit form: the SPKI says SEQUENCE.
    const explicit = readSpkiAlgorithm(await spkiOf('ec-explicit'));
    assert.deepEqual(explicit, { oid: OID.ecPublicKey, params: 'sequence', paramsOid: null });
  });

  it('rsaEncryption has NULL parameters; RSASSA-PSS and Ed25519 have none', async () => {
    assert.equal(readSpkiAlgorithm(await spkiOf('rsa-3072'))?.params, 'null');
    assert.deepEqual(readSpkiAlgorithm(await spkiOf('rsa-pss-3072')), {
      oid: OID.rsassaPss,
      params: 'absent',
      paramsOid: null,
    });
    assert.equal(readSpkiAlgorithm(await spkiOf('ed25519'))?.oid, OID.ed25519);
  });

  it('null for malformed input', () => {
    for (const bad of ['', '3000', '3003 020100', '3005 3003 020100', '3006 3004 0602 2a80']) {
      assert.equal(readSpkiAlgorithm(hex(bad)), null, bad);
    }
  });
});

describe('PEM helpers', () => {
  it('toPem writes 64-column lines and a final newline', () => {
    const pem = toPem(Buffer.alloc(100, 7), 'CERTIFICATE');
    const lines = pem.split('\n');
    assert.equal(lines[0], '-----BEGIN CERTIFICATE-----');
    assert.equal(lines[1]?.length, 64);
    assert.equal(lines.at(-2), '-----END CERTIFICATE-----');
    assert.equal(lines.at(-1), '');
    const block = decodeSingleCertificateBlock(pem);
    assert.equal(block.kind, 'ok');
    if (block.kind === 'ok') assert.deepEqual(block.der, Buffer.alloc(100, 7));
  });

  it('pemLabels finds every block label', () => {
    assert.deepEqual(
      pemLabels(
        'x\n-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----\n-----BEGIN EC PRIVATE KEY-----\n',
      ),
      ['CERTIFICATE', 'EC PRIVATE KEY'],
    );
  });

  it('decodeSingleCertificateBlock: surrounding text vs broken base64', () => {
    const pem = toPem(Buffer.from('hello world'), 'CERTIFICATE'); // aGVsbG8gd29ybGQ=
    assert.equal(decodeSingleCertificateBlock(pem).kind, 'ok');
    assert.equal(decodeSingleCertificateBlock(`Subject: x\n${pem}`).kind, 'surrounding_text');
    assert.equal(decodeSingleCertificateBlock(`${pem}trailer`).kind, 'surrounding_text');
    assert.equal(decodeSingleCertificateBlock(pem.replace('aGVs', 'a*Vs')).kind, 'bad_base64');
    assert.equal(
      decodeSingleCertificateBlock(pem.replace('-----\naGVs', '-----aGVs')).kind,
      'bad_base64',
    );
    assert.equal(decodeSingleCertificateBlock(pem.replace('bGQ=', 'bGR=')).kind, 'bad_base64');
    // Missing padding, and (above) non-canonical padding bits Node would silently drop.
    assert.equal(decodeSingleCertificateBlock(pem.replace('bGQ=', 'bGQ')).kind, 'bad_base64');
    assert.equal(
      decodeSingleCertificateBlock(pem.replace('-----END CERTIFICATE-----', '')).kind,
      'bad_base64',
    );
  });
});

describe('capValidity (two calendar years, UTC)', () => {
  const at = (iso: string) => Date.parse(iso);
  it('adds two to the year, keeping month, day and time', () => {
    assert.equal(capValidity(at('2026-11-29T05:27:21Z')), at('2028-11-29T05:27:21Z'));
    assert.equal(capValidity(at('2027-03-01T00:00:00Z')), at('2029-03-01T00:00:00Z'));
    assert.equal(capValidity(at('2025-12-31T23:59:59Z')), at('2027-12-31T23:59:59Z'));
  });

  it('a start on 29 February ends on 28 February, never 1 March', () => {
    assert.equal(capValidity(at('2024-02-29T12:00:00Z')), at('2026-02-28T12:00:00Z'));
  });
});
