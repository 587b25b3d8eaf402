/**
 * A certificate upload end to end (parse, then policy) against real OpenSSL-made certificates:
 * every accepted shape (Oracle's documented commands included), the validity cap, every key
 * refusal and the file-name rule, each with its exact code and message. What is not one
 * certificate at all: certificate-upload.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  CERTIFICATE_POLICY_CODES as CODES,
  checkCertificate,
  describeFacts,
  inspectCertificate,
} from '../../src/crypto/certificate.ts';
import { generateCertificate } from '../../src/crypto/generate.ts';
import {
  type CertKind,
  type CertMaterial,
  makeCert,
  opensslCertificateId,
  runOpenssl,
  validity,
} from '../support/openssl.ts';
import { MAKE_NEW, refuses } from './refusal.ts';

const DAY = 86_400_000;

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

  it('checkCertificate says why the validity was shortened, and when a certificate starts later', async () => {
    const m = get('five-year');
    const v = await validity(m.certPath);
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
    const later = checkCertificate(m.certPem, { now: v.notBefore + DAY });
    assert.deepEqual(later.facts, inspectCertificate(m.certPem, { now: v.notBefore + DAY }));
    assert.deepEqual(later.warnings, [
      {
        code: 'certificate.validity_shortened',
        message: `The certificate is valid until ${iso(v.notAfter)}, more than two years after its start: it will be used only until ${iso(later.facts.validUntil)} (validity shortened to two years), so replace it before then`,
      },
    ]);
    const early = checkCertificate(m.certPem, { now: v.notBefore - DAY });
    assert.deepEqual(
      early.warnings.map((w) => w.code),
      ['certificate.validity_shortened', 'certificate.not_yet_valid'],
    );
    assert.equal(
      early.warnings[1]?.message,
      `The certificate is not valid before ${iso(v.notBefore)}: token requests signed with its key are refused until then`,
    );
    assert.deepEqual(checkCertificate(get('ec-p256').certPem, { now: Date.now() }).warnings, []);
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
      `The certificate's RSA key has 2048 bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"`,
    );
  });

  it('secp256k1', () => {
    refuses(
      () => inspectCertificate(get('secp256k1').certPem, { now: Date.now() }),
      CODES.ecCurve,
      `The certificate's EC key uses curve secp256k1, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
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
        `The certificate has an ${name} key, and EdDSA cannot sign NetSuite-style client assertions: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256/PS384/PS512); ${MAKE_NEW}`,
      );
    });
  }

  it('DSA', () => {
    refuses(
      () => inspectCertificate(get('dsa').certPem, { now: Date.now() }),
      CODES.keyType,
      `The certificate has a DSA key, and only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
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
      'The certificate\'s EC key is written with explicit curve parameters instead of a named curve: make the key again with "-pkeyopt ec_param_enc:named_curve" (or use "certmint cert generate --alg ES256")',
    );
  });
});

describe('the file name', () => {
  it('a file name not ending in .cer, .pem or .crt', () => {
    const m = get('ec-p256');
    for (const fileName of ['public.txt', 'private.key', 'public.pem.txt', 'cert', 'pem']) {
      refuses(
        () => inspectCertificate(m.certPem, { fileName, now: Date.now() }),
        CODES.fileName,
        `The file name "${fileName}" is not that of a certificate: upload the public certificate as a .cer, .pem or .crt file`,
      );
    }
    // Checked first: even an empty upload is refused for its name.
    refuses(() => inspectCertificate('', { fileName: 'x.txt', now: 0 }), CODES.fileName, /x\.txt/);
  });

  it('a long file name is shortened in the message', () => {
    const fileName = `${'a'.repeat(70)}.txt`;
    refuses(
      () => inspectCertificate(get('ec-p256').certPem, { fileName, now: Date.now() }),
      CODES.fileName,
      `The file name "${'a'.repeat(57)}..." is not that of a certificate: upload the public certificate as a .cer, .pem or .crt file`,
    );
  });
});
