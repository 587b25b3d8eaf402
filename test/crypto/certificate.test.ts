/**
 * The certificate policy against real OpenSSL-made certificates: every accepted shape (Oracle's
 * documented commands included) and every refusal with its exact code and message.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CERTIFICATE_POLICY_CODES as CODES,
  describeFacts,
  inspectCertificate,
  MAX_CERTIFICATE_BYTES,
} from '../../src/crypto/certificate.ts';
import { generateCertificate } from '../../src/crypto/generate.ts';
import { isDomainError } from '../../src/domain/errors.ts';
import {
  type CertKind,
  type CertMaterial,
  derOf,
  makeCert,
  opensslCertificateId,
  runOpenssl,
  validity,
} from '../support/openssl.ts';

const MAKE_NEW =
  'make a new key pair and certificate, e.g. `certmint cert generate --alg ES256 --out public.pem --key-out private.pem`';
const DAY = 86_400_000;

/** Asserts a policy refusal with exactly this code and message. */
function refuses(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isDomainError(e), `expected a DomainError, got ${String(e)}`);
    assert.equal(e.kind, 'policy');
    assert.equal(e.code, code);
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
}

const ACCEPTED: Array<{
  kind: CertKind;
  algorithm: 'RSA' | 'EC';
  keyType: 'rsa' | 'rsa-pss' | 'ec';
  keySize: number;
  curve: 'P-256' | 'P-384' | 'P-521' | null;
}> = [
  { kind: 'ec-p256', algorithm: 'EC', keyType: 'ec', keySize: 256, curve: 'P-256' },
  { kind: 'ec-p384', algorithm: 'EC', keyType: 'ec', keySize: 384, curve: 'P-384' },
  { kind: 'ec-p521', algorithm: 'EC', keyType: 'ec', keySize: 521, curve: 'P-521' },
  { kind: 'rsa-4096-pss-sig', algorithm: 'RSA', keyType: 'rsa', keySize: 4096, curve: null },
  { kind: 'rsa-pss-4096', algorithm: 'RSA', keyType: 'rsa-pss', keySize: 4096, curve: null },
  { kind: 'rsa-pss-3072', algorithm: 'RSA', keyType: 'rsa-pss', keySize: 3072, curve: null },
  { kind: 'rsa-3072', algorithm: 'RSA', keyType: 'rsa', keySize: 3072, curve: null },
  { kind: 'rsa-4096', algorithm: 'RSA', keyType: 'rsa', keySize: 4096, curve: null },
  { kind: 'der', algorithm: 'EC', keyType: 'ec', keySize: 256, curve: 'P-256' },
];

const material = new Map<CertKind, CertMaterial>();
const get = (kind: CertKind): CertMaterial => {
  const m = material.get(kind);
  if (m === undefined) throw new Error(`no material for ${kind}`);
  return m;
};

before(async () => {
  const kinds: CertKind[] = [
    ...ACCEPTED.map((a) => a.kind),
    'rsa-2048',
    'secp256k1',
    'ed25519',
    'ed448',
    'dsa',
    'ec-explicit',
    'expired',
    'five-year',
    'csr',
    'two-certs',
  ];
  await Promise.all(kinds.map(async (k) => material.set(k, await makeCert(k))));
});

describe('inspectCertificate accepts', () => {
  for (const a of ACCEPTED) {
    it(`${a.kind}: facts match what OpenSSL says`, async () => {
      const m = get(a.kind);
      const now = Date.now();
      const facts = inspectCertificate(m.certBytes, { fileName: m.certPath, now });
      assert.equal(facts.algorithm, a.algorithm);
      assert.equal(facts.keyType, a.keyType);
      assert.equal(facts.keySize, a.keySize);
      assert.equal(facts.curve, a.curve);
      assert.equal(facts.subject, 'CN=test');
      assert.equal(facts.issuer, 'CN=test');

      const pemFile = a.kind === 'der' ? join(m.dir, 'public.pem') : m.certPath;
      // Certificate id: OpenSSL's DER through OpenSSL's SHA-256, nothing of ours.
      assert.equal(facts.certificateId, await opensslCertificateId(pemFile));
      assert.match(facts.certificateId, /^[A-Za-z0-9_-]{43}$/);
      // Public key id: SHA-256 of the SPKI DER as OpenSSL writes it.
      const spki = await runOpenssl(['x509', '-in', pemFile, '-noout', '-pubkey']);
      const spkiDer = await runOpenssl(['pkey', '-pubin', '-outform', 'DER'], { input: spki });
      assert.equal(facts.publicKeyId, createHash('sha256').update(spkiDer).digest('base64url'));

      const serial = (await runOpenssl(['x509', '-in', pemFile, '-noout', '-serial']))
        .toString('utf8')
        .trim();
      assert.equal(`serial=${facts.serialNumber}`, serial);
      const v = await validity(pemFile);
      assert.equal(facts.validFrom, v.notBefore);
      assert.equal(facts.validUntil, v.notAfter);
      assert.equal(facts.shortened, false);
      // The stored PEM is OpenSSL's own (64-column lines, one block).
      assert.equal(facts.pem, m.certPem);
    });
  }

  it('DER and PEM of one certificate give the same facts', () => {
    const m = get('der');
    const now = Date.now();
    assert.deepEqual(
      inspectCertificate(m.certBytes, { now }),
      inspectCertificate(m.certPem, { now }),
    );
  });

  it('tolerates CRLF line ends, a byte-order mark and whitespace around the block', () => {
    const m = get('ec-p256');
    const now = Date.now();
    const plain = inspectCertificate(m.certPem, { now });
    const crlf = `\uFEFF\r\n  ${m.certPem.replace(/\n/g, '\r\n')}  \r\n\t\n`;
    assert.deepEqual(inspectCertificate(crlf, { now }), plain);
    assert.deepEqual(inspectCertificate(Buffer.from(crlf, 'utf8'), { now }), plain);
    // One long base64 line instead of 64-column lines is still one PEM block.
    const body = m.certPem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
    const oneLine = `-----BEGIN CERTIFICATE-----\n${body.join('')}\n-----END CERTIFICATE-----`;
    assert.deepEqual(inspectCertificate(oneLine, { now }), plain);
  });

  it('DER whose subject contains "-----BEGIN CERTIFICATE-----" is still read as DER', async () => {
    const g = await generateCertificate({
      alg: 'ES256',
      subject: 'CN=-----BEGIN CERTIFICATE-----',
      now: Date.now(),
    });
    const der = Buffer.from(new X509Certificate(g.certificatePem).raw);
    assert.ok(der.includes('-----BEGIN CERTIFICATE-----'));
    const facts = inspectCertificate(der, { fileName: 'odd.cer', now: Date.now() });
    assert.equal(facts.subject, 'CN=-----BEGIN CERTIFICATE-----');
    assert.equal(facts.pem, g.certificatePem);
  });

  it('accepts .cer, .pem and .crt file names in any case', () => {
    const m = get('ec-p256');
    for (const fileName of ['a.cer', 'public.PEM', 'C:\\certs\\client.Crt', '/tmp/x.pem']) {
      assert.equal(inspectCertificate(m.certPem, { fileName, now: Date.now() }).curve, 'P-256');
    }
  });

  it('accepts a certificate that is not valid yet (the token endpoint checks that)', async () => {
    const m = get('ec-p256');
    const v = await validity(m.certPath);
    const facts = inspectCertificate(m.certPem, { now: v.notBefore - 10 * DAY });
    assert.equal(facts.validFrom, v.notBefore);
  });
});

/**
 * The two-year cap worked out from OpenSSL alone: its own notBefore text with two added to the
 * year ("Nov 29 05:27:21 2025 GMT" → "Nov 29 05:27:21 2027 GMT").
 */
async function twoYearsAfterOpensslStart(certPath: string): Promise<number> {
  const out = (await runOpenssl(['x509', '-in', certPath, '-noout', '-startdate']))
    .toString('utf8')
    .trim();
  const start = /notBefore=(.+ )(\d{4})( GMT)/.exec(out);
  assert.ok(start, out);
  return Date.parse(`${start[1]}${Number(start[2]) + 2}${start[3]}`);
}

describe('validity', () => {
  it('a five-year certificate is accepted and shortened to two calendar years', async () => {
    const m = get('five-year');
    const expected = await twoYearsAfterOpensslStart(m.certPath);
    const v = await validity(m.certPath);
    const facts = inspectCertificate(m.certPem, { now: v.notBefore + DAY });
    assert.equal(facts.shortened, true);
    assert.equal(facts.validFrom, v.notBefore);
    assert.equal(facts.validUntil, expected);
    assert.ok(facts.validUntil < v.notAfter);
    const until = describeFacts(facts).find(([label]) => label === 'Valid until');
    assert.match(until?.[1] ?? '', /shortened/);
  });

  it('a five-year certificate past its two-year cap is refused as expired', async () => {
    const m = get('five-year');
    const v = await validity(m.certPath);
    const cap = await twoYearsAfterOpensslStart(m.certPath);
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    refuses(
      () => inspectCertificate(m.certPem, { now: cap + 1000 }),
      CODES.expired,
      `The certificate's validity, capped at two years from its start (${iso(v.notBefore)}), ended on ${iso(cap)}: ${MAKE_NEW}, valid for at most two years`,
    );
  });

  it('an expired certificate is refused; one second before its end it is accepted', async () => {
    const m = get('expired');
    const v = await validity(m.certPath);
    assert.equal(inspectCertificate(m.certPem, { now: v.notAfter - 1000 }).validUntil, v.notAfter);
    const iso = new Date(v.notAfter).toISOString().replace('.000Z', 'Z');
    for (const now of [v.notAfter, v.notAfter + DAY]) {
      refuses(
        () => inspectCertificate(m.certPem, { now }),
        CODES.expired,
        `The certificate expired on ${iso}: ${MAKE_NEW}, and map the new one`,
      );
    }
  });
});

describe('inspectCertificate refuses keys', () => {
  it('RSA 2048', () => {
    refuses(
      () => inspectCertificate(get('rsa-2048').certPem, { now: Date.now() }),
      CODES.rsaKeySize,
      "The certificate's RSA key has 2048 bits; only 3072 or 4096 bits are accepted: make a new key pair, e.g. `certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem`",
    );
  });

  it('secp256k1', () => {
    refuses(
      () => inspectCertificate(get('secp256k1').certPem, { now: Date.now() }),
      CODES.ecCurve,
      `The certificate's EC key uses curve secp256k1; only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
    );
  });

  for (const [kind, name] of [
    ['ed25519', 'Ed25519'],
    ['ed448', 'Ed448'],
  ] as const) {
    it(name, () => {
      refuses(
        () => inspectCertificate(get(kind).certPem, { now: Date.now() }),
        CODES.eddsaKey,
        `The certificate has an ${name} key; EdDSA cannot sign NetSuite-style client assertions: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256/PS384/PS512): ${MAKE_NEW}`,
      );
    });
  }

  it('DSA', () => {
    refuses(
      () => inspectCertificate(get('dsa').certPem, { now: Date.now() }),
      CODES.keyType,
      `The certificate has a DSA key; only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
    );
  });

  it('EC with explicit curve parameters, although Node calls it prime256v1', async () => {
    const m = get('ec-explicit');
    // The trap this test guards: Node alone cannot tell it from a named P-256 key.
    assert.equal(
      new X509Certificate(m.certPem).publicKey.asymmetricKeyDetails?.namedCurve,
      'prime256v1',
    );
    const text = (await runOpenssl(['x509', '-in', m.certPath, '-noout', '-text'])).toString(
      'utf8',
    );
    assert.match(text, /Field Type: prime-field/);
    refuses(
      () => inspectCertificate(m.certPem, { now: Date.now() }),
      CODES.ecExplicitParameters,
      "The certificate's EC key is written with explicit curve parameters instead of a named curve: make the key again with `-pkeyopt ec_param_enc:named_curve` (or use `certmint cert generate --alg ES256`)",
    );
  });
});

const PRIVATE_KEY_MESSAGE =
  'This is a private key, not a certificate: keep it secret and never upload it anywhere. Upload the public certificate (e.g. public.pem) instead';

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
        return inspectCertificate(input, { now: Date.now() });
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

describe('inspectCertificate refuses what is not one certificate', () => {
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
    'This is a certificate signing request (CSR), not a certificate: upload a certificate instead, e.g. a self-signed one from `openssl req -new -x509 …` or `certmint cert generate`';

  it('a CSR, PEM and DER', async () => {
    const m = get('csr');
    refuses(() => inspectCertificate(m.certBytes, { now: Date.now() }), CODES.csr, CSR);
    const der = await runOpenssl(['req', '-in', m.certPath, '-outform', 'DER']);
    refuses(() => inspectCertificate(der, { now: Date.now() }), CODES.csr, CSR);
  });

  const CHAIN = (n: number) =>
    `The file holds ${n} certificates; upload exactly one: the client's own certificate, without any chain or CA certificates`;

  it('two certificates in one PEM file (Node would read only the first)', () => {
    refuses(
      () => inspectCertificate(get('two-certs').certBytes, { now: Date.now() }),
      CODES.chain,
      CHAIN(2),
    );
  });

  it('two or three DER certificates back to back', async () => {
    const a = await derOf(get('ec-p256').certPath);
    const b = await derOf(get('ec-p384').certPath);
    refuses(
      () => inspectCertificate(Buffer.concat([a, b]), { now: Date.now() }),
      CODES.chain,
      CHAIN(2),
    );
    refuses(
      () => inspectCertificate(Buffer.concat([a, b, a]), { now: Date.now() }),
      CODES.chain,
      CHAIN(3),
    );
  });

  const UNREADABLE =
    'This is not a readable X.509 certificate: upload one certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form';

  it('a DER certificate followed by junk (OpenSSL itself would ignore the junk)', async () => {
    const a = await derOf(get('ec-p256').certPath);
    refuses(
      () => inspectCertificate(Buffer.concat([a, Buffer.from('junk')]), { now: Date.now() }),
      CODES.unreadable,
      UNREADABLE,
    );
  });

  it('OpenSSL text output around the PEM block', async () => {
    const text = (await runOpenssl(['x509', '-in', get('ec-p256').certPath, '-text'])).toString();
    assert.match(text, /^Certificate:/);
    refuses(
      () => inspectCertificate(text, { now: Date.now() }),
      CODES.surroundingText,
      'The file has text around the certificate: upload only the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (e.g. `openssl x509 -in cert.pem -out public.pem`)',
    );
  });

  it('a bare public key', async () => {
    const spki = await runOpenssl(['x509', '-in', get('ec-p256').certPath, '-noout', '-pubkey']);
    refuses(
      () => inspectCertificate(spki, { now: Date.now() }),
      CODES.publicKey,
      'This is a bare public key, not a certificate: wrap it in a self-signed X.509 certificate (`openssl req -new -x509 -key private.pem -days 365 -out public.pem`) and upload that',
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
      refuses(() => inspectCertificate(input, { now: Date.now() }), CODES.unreadable, UNREADABLE);
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
      'The file is empty: upload the public certificate (PEM or DER), e.g. public.pem made by `certmint cert generate` or `openssl req -new -x509`';
    for (const input of ['', Buffer.alloc(0), '  \r\n\t', Buffer.from('\n\n')]) {
      refuses(() => inspectCertificate(input, { now: Date.now() }), CODES.empty, EMPTY);
    }
  });

  it('more than 64 KiB, checked before anything looks inside', () => {
    const m = get('ec-p256');
    // Content that would otherwise be refused as a private key proves the size check runs first.
    const padded = m.keyPem + ' '.repeat(MAX_CERTIFICATE_BYTES + 1 - m.keyPem.length);
    assert.equal(Buffer.byteLength(padded), MAX_CERTIFICATE_BYTES + 1);
    const message =
      'The file is 65537 bytes; one certificate is far smaller (the limit is 65536 bytes): upload only the public certificate (one PEM block or DER), not a bundle or archive';
    refuses(() => inspectCertificate(padded, { now: Date.now() }), CODES.tooLarge, message);
    refuses(
      () => inspectCertificate(Buffer.from(padded), { now: Date.now() }),
      CODES.tooLarge,
      message,
    );
    // Exactly at the limit the size is fine (and the content decides).
    const atLimit = m.certPem + ' '.repeat(MAX_CERTIFICATE_BYTES - m.certPem.length);
    assert.equal(inspectCertificate(atLimit, { now: Date.now() }).curve, 'P-256');
  });

  it('a file name not ending in .cer, .pem or .crt', () => {
    const m = get('ec-p256');
    for (const fileName of ['public.txt', 'private.key', 'public.pem.txt', 'cert', 'pem']) {
      refuses(
        () => inspectCertificate(m.certPem, { fileName, now: Date.now() }),
        CODES.fileName,
        `"${fileName}" is not a certificate file name: upload the public certificate as a .cer, .pem or .crt file`,
      );
    }
    // Checked first: even an empty upload is refused for its name.
    refuses(() => inspectCertificate('', { fileName: 'x.txt', now: 0 }), CODES.fileName, /x\.txt/);
  });
});
