/**
 * The one parse of an upload against real OpenSSL material: everything that is not exactly one
 * certificate (private keys in every encoding, CSRs, chains, bare public keys, text around the
 * block, garbage, empty and oversized files) is refused with its exact code and message, and a
 * private key is never echoed.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  CERTIFICATE_POLICY_CODES as CODES,
  inspectCertificate,
  MAX_CERTIFICATE_BYTES,
} from '../../src/crypto/certificate.ts';
import { parseCertificateUpload } from '../../src/crypto/certificate-upload.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import {
  type CertKind,
  type CertMaterial,
  derOf,
  makeCert,
  runOpenssl,
} from '../support/openssl.ts';
import { refuses, UNREADABLE } from './refusal.ts';

const material = new Map<CertKind, CertMaterial>();
const get = (kind: CertKind): CertMaterial => {
  const m = material.get(kind);
  if (m === undefined) throw new Error(`no material for ${kind}`);
  return m;
};

before(async () => {
  const kinds: CertKind[] = ['ec-p256', 'ec-p384', 'rsa-3072', 'csr', 'two-certs'];
  await Promise.all(kinds.map(async (k) => material.set(k, await makeCert(k))));
});

const PRIVATE_KEY_MESSAGE =
  'The file is a private key, not a certificate: keep it secret and never upload it anywhere; upload the public certificate (for example public.pem) instead';

/** The refusal must not contain any line (or any 16-character piece) of the key. */
function assertNotEchoed(message: string, secret: string | Buffer): void {
  const text = typeof secret === 'string' ? secret : secret.toString('base64');
  for (const line of text.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'))) {
    assert.ok(!message.includes(line), 'a line of the key was echoed');
    for (let i = 0; i + 16 <= line.length; i += 8) {
      assert.ok(!message.includes(line.slice(i, i + 16)), 'a piece of the key was echoed');
    }
  }
}

function privateKeyRefused(input: string | Buffer): void {
  let message = '';
  refuses(
    () => {
      try {
        return parseCertificateUpload(input);
      } catch (e) {
        message = (e as Error).message;
        throw e;
      }
    },
    CODES.privateKey,
    PRIVATE_KEY_MESSAGE,
  );
  assertNotEchoed(message, input);
}

describe('parseCertificateUpload refuses what is not one certificate', () => {
  it('a PEM private key (PKCS#8), and a certificate file that also holds its key', () => {
    const m = get('ec-p256');
    privateKeyRefused(m.keyPem);
    privateKeyRefused(get('rsa-3072').keyPem);
    privateKeyRefused(m.certPem + m.keyPem);
    privateKeyRefused(m.keyPem + m.certPem);
  });

  it('DER private keys: PKCS#8, PKCS#1, SEC1 and encrypted PKCS#8', async () => {
    const ec = get('ec-p256').keyPath;
    const rsa = get('rsa-3072').keyPath;
    const ders = await Promise.all([
      runOpenssl(['pkcs8', '-topk8', '-nocrypt', '-in', ec, '-outform', 'DER']),
      runOpenssl(['rsa', '-in', rsa, '-traditional', '-outform', 'DER']),
      runOpenssl(['ec', '-in', ec, '-outform', 'DER']),
      runOpenssl(['pkcs8', '-topk8', '-in', ec, '-outform', 'DER', '-passout', 'pass:secret']),
    ]);
    for (const der of ders) privateKeyRefused(der);
  });

  it('traditional PEM keys (RSA PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY)', async () => {
    const rsa = (
      await runOpenssl(['rsa', '-in', get('rsa-3072').keyPath, '-traditional'])
    ).toString();
    const ec = (await runOpenssl(['ec', '-in', get('ec-p256').keyPath])).toString();
    const enc = (
      await runOpenssl(['pkcs8', '-topk8', '-in', get('ec-p256').keyPath, '-passout', 'pass:x'])
    ).toString();
    assert.match(rsa, /BEGIN RSA PRIVATE KEY/);
    assert.match(ec, /BEGIN EC PRIVATE KEY/);
    assert.match(enc, /BEGIN ENCRYPTED PRIVATE KEY/);
    for (const pem of [rsa, ec, enc]) privateKeyRefused(pem);
  });

  const CSR =
    'The file is a certificate signing request (CSR), not a certificate: upload a certificate instead, for example a self-signed one from "openssl req -new -x509 …" or "certmint cert generate"';

  it('a CSR, PEM and DER', async () => {
    const m = get('csr');
    refuses(() => parseCertificateUpload(m.certBytes), CODES.csr, CSR);
    const der = await runOpenssl(['req', '-in', m.certPath, '-outform', 'DER']);
    refuses(() => parseCertificateUpload(der), CODES.csr, CSR);
  });

  const CHAIN = (n: number) =>
    `The file holds ${n} certificates: upload exactly one, the client's own certificate, without any chain or CA certificates`;

  it('a private key or a CSR relabelled as CERTIFICATE is still called what it is', async () => {
    const keyDer = await runOpenssl(['pkey', '-in', get('ec-p256').keyPath, '-outform', 'DER']);
    const asCert = (der: Buffer) =>
      `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
    privateKeyRefused(asCert(keyDer));
    const csrDer = await runOpenssl(['req', '-in', get('csr').certPath, '-outform', 'DER']);
    refuses(() => parseCertificateUpload(asCert(csrDer)), CODES.csr, CSR);
  });

  it('two certificates in one PEM file (Node would read only the first)', () => {
    refuses(() => parseCertificateUpload(get('two-certs').certBytes), CODES.chain, CHAIN(2));
  });

  it('two or three DER certificates back to back', async () => {
    const a = await derOf(get('ec-p256').certPath);
    const b = await derOf(get('ec-p384').certPath);
    refuses(() => parseCertificateUpload(Buffer.concat([a, b])), CODES.chain, CHAIN(2));
    refuses(() => parseCertificateUpload(Buffer.concat([a, b, a])), CODES.chain, CHAIN(3));
  });

  it('a DER certificate followed by junk (OpenSSL itself would ignore the junk)', async () => {
    const a = await derOf(get('ec-p256').certPath);
    refuses(
      () => parseCertificateUpload(Buffer.concat([a, Buffer.from('junk')])),
      CODES.unreadable,
      UNREADABLE,
    );
  });

  it('DER with an indefinite length (BER, never DER: X.690 §10.1), or a CSR followed by junk', async () => {
    const der = await derOf(get('ec-p256').certPath);
    assert.equal(der[1], 0x82); // a two-byte definite length
    const body = der.subarray(4);
    const indefinite = Buffer.concat([Buffer.from([0x30, 0x80]), body, Buffer.from([0, 0])]);
    refuses(() => parseCertificateUpload(indefinite), CODES.unreadable, UNREADABLE);
    const csr = await runOpenssl(['req', '-in', get('csr').certPath, '-outform', 'DER']);
    refuses(
      () => parseCertificateUpload(Buffer.concat([csr, Buffer.from('junk')])),
      CODES.unreadable,
      UNREADABLE,
    );
  });

  it('OpenSSL text output before the PEM block is read past; text after it is refused', async () => {
    // RFC 7468 §2: explanatory text before the encapsulation boundary is permitted.
    const text = (await runOpenssl(['x509', '-in', get('ec-p256').certPath, '-text'])).toString();
    assert.match(text, /^Certificate:/);
    const plain = parseCertificateUpload(get('ec-p256').certPem);
    assert.equal(parseCertificateUpload(text).reading.certificateId, plain.reading.certificateId);
    refuses(
      () => parseCertificateUpload(`${get('ec-p256').certPem}${text.split('-----BEGIN')[0]}`),
      CODES.surroundingText,
      'The file has text around the certificate: upload only the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (for example the output of "openssl x509 -in cert.pem -out public.pem")',
    );
  });

  it('a bare public key', async () => {
    const spki = await runOpenssl(['x509', '-in', get('ec-p256').certPath, '-noout', '-pubkey']);
    refuses(
      () => parseCertificateUpload(spki),
      CODES.publicKey,
      'The file is a bare public key, not a certificate: wrap it in a self-signed X.509 certificate (for example with "openssl req -new -x509 -key private.pem -days 365 -out public.pem") and upload that',
    );
  });

  it('garbage: text, random bytes, broken base64, truncated DER, other PEM labels', async () => {
    const der = await derOf(get('ec-p256').certPath);
    const pem = get('ec-p256').certPem;
    const cases: Array<string | Buffer> = [
      'hello world',
      Buffer.from([0x00, 0x01, 0x02, 0xff]),
      Buffer.from([0x30]),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      der.subarray(0, der.length - 10),
      der.toString('base64'),
      pem.replace(/[A-Za-z]{4}\n/, '!!!!\n'),
      pem.replace(/\n[^\n]+\n-----END/, '\n-----END'),
      pem.replace('-----END CERTIFICATE-----', ''),
      '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      '-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n',
    ];
    for (const input of cases) {
      refuses(() => parseCertificateUpload(input), CODES.unreadable, UNREADABLE);
    }
  });

  it('mutated certificates never throw anything but a policy DomainError', async () => {
    const der = await derOf(get('rsa-3072').certPath);
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let refused = 0;
    for (let i = 0; i < 150; i++) {
      const copy = Buffer.from(der);
      for (let j = 0; j <= rand(4); j++) copy[rand(copy.length)] = rand(256);
      const input =
        i % 2 === 0
          ? copy
          : `-----BEGIN CERTIFICATE-----\n${copy.toString('base64')}\n-----END CERTIFICATE-----\n`;
      try {
        inspectCertificate(input, { now: Date.now() });
      } catch (e) {
        assert.ok(isDomainError(e) && e.kind === 'policy', `unexpected ${String(e)}`);
        refused++;
      }
    }
    assert.ok(refused > 0);
  });

  it('an empty or blank file', () => {
    const EMPTY =
      'The file is empty: upload the public certificate (PEM or DER), for example the public.pem made by "certmint cert generate" or "openssl req -new -x509"';
    for (const input of ['', Buffer.alloc(0), '  \r\n\t', Buffer.from('\n\n')]) {
      refuses(() => parseCertificateUpload(input), CODES.empty, EMPTY);
    }
  });

  it('more than 64 KiB, checked before anything looks inside', () => {
    const m = get('ec-p256');
    // Content that would otherwise be refused as a private key proves the size check runs first.
    const padded = m.keyPem + ' '.repeat(MAX_CERTIFICATE_BYTES + 1 - m.keyPem.length);
    assert.equal(Buffer.byteLength(padded), MAX_CERTIFICATE_BYTES + 1);
    const message =
      'The file is 65537 bytes, and one certificate is far smaller (the limit is 65536 bytes): upload only the public certificate (one PEM block or DER), not a bundle or archive';
    refuses(() => parseCertificateUpload(padded), CODES.tooLarge, message);
    refuses(() => parseCertificateUpload(Buffer.from(padded)), CODES.tooLarge, message);
    // Exactly at the limit the size is fine (and the content decides).
    const atLimit = m.certPem + ' '.repeat(MAX_CERTIFICATE_BYTES - m.certPem.length);
    assert.deepEqual(parseCertificateUpload(atLimit).reading.key, {
      type: 'ec',
      parameters: 'named',
      curve: 'P-256',
    });
  });
});
