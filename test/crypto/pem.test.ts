/** The PEM helpers (RFC 7468) the upload parse and certificate generation use, in isolation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSingleCertificateBlock, pemLabels, toPem } from '../../src/crypto/pem.ts';

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
    // Explanatory text on the lines before the block is permitted (RFC 7468 §2), not on its line.
    assert.equal(decodeSingleCertificateBlock(`Subject: x\n${pem}`).kind, 'ok');
    assert.equal(decodeSingleCertificateBlock(`Subject: x\r\n\r\n${pem}`).kind, 'ok');
    assert.equal(decodeSingleCertificateBlock(`Subject: x ${pem}`).kind, 'surrounding_text');
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
