/**
 * The literal output of `openssl pkcs12` as an upload: the certificate after its "Bag
 * Attributes" lines is accepted (explanatory text before the block, RFC 7468 §2); the same
 * output with the CA certificate or with the private key is still refused. The PKCS#12 files
 * are made by OpenSSL at test time.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, it } from 'node:test';
import { CERTIFICATE_POLICY_CODES as CODES } from '../../src/crypto/certificate.ts';
import { parseCertificateUpload } from '../../src/crypto/certificate-upload.ts';
import { type CertMaterial, makeCert, runOpenssl, tempDir } from '../support/openssl.ts';
import { refuses } from './refusal.ts';

const PASS = ['-passin', 'pass:test', '-passout', 'pass:test'];
let leaf: CertMaterial;
let ca: CertMaterial;
let dir: string;

/** `openssl pkcs12 -export` of the leaf (and its key), optionally with another certificate. */
async function pkcs12(name: string, withCa: boolean): Promise<string> {
  const out = join(dir, name);
  await runOpenssl([
    'pkcs12',
    '-export',
    '-in',
    leaf.certPath,
    '-inkey',
    leaf.keyPath,
    ...(withCa ? ['-certfile', ca.certPath] : []),
    '-name',
    'certmint test',
    '-out',
    out,
    '-passout',
    'pass:test',
  ]);
  return out;
}

before(async () => {
  [leaf, ca] = await Promise.all([makeCert('ec-p256'), makeCert('ec-p384')]);
  dir = await tempDir('certmint-pkcs12-');
});

it('`openssl pkcs12 -nokeys` output (Bag Attributes before the block) is accepted', async () => {
  const p12 = await pkcs12('leaf.p12', false);
  const text = (await runOpenssl(['pkcs12', '-in', p12, '-nokeys', ...PASS])).toString('utf8');
  // The literal output: explanatory lines first, then the one PEM block.
  assert.match(text, /^Bag Attributes\n/);
  assert.match(text, /\nsubject=.*\n/);
  assert.equal(text.match(/-----BEGIN CERTIFICATE-----/g)?.length, 1);
  const parsed = parseCertificateUpload(text);
  assert.match(parsed.reading.certificateId, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(
    parsed.reading.certificateId,
    parseCertificateUpload(leaf.certPem).reading.certificateId,
  );
  // As bytes (a file upload) too.
  assert.equal(
    parseCertificateUpload(Buffer.from(text)).reading.certificateId,
    parsed.reading.certificateId,
  );
});

it('the same output holding two certificates is refused as a chain', async () => {
  const p12 = await pkcs12('chain.p12', true);
  const text = (await runOpenssl(['pkcs12', '-in', p12, '-nokeys', ...PASS])).toString('utf8');
  assert.equal(text.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2);
  refuses(() => parseCertificateUpload(text), CODES.chain, /2 certificates/);
});

it('the same output with the private key (no -nokeys) is refused as a private key', async () => {
  const p12 = await pkcs12('with-key.p12', false);
  const text = (await runOpenssl(['pkcs12', '-in', p12, '-nodes', ...PASS])).toString('utf8');
  assert.match(text, /-----BEGIN PRIVATE KEY-----/);
  refuses(() => parseCertificateUpload(text), CODES.privateKey, /private key/);
});
