/**
 * The certificate policy as a pure function: plain facts about a parsed certificate in, a
 * verdict out. Every refusal with its exact code and message, the accepted keys, and the
 * two-year validity cap at its edges. (The same rules on real OpenSSL certificates:
 * test/crypto/certificate.test.ts.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CertificateKey,
  type CertificateReading,
  type CertificateVerdict,
  CERTIFICATE_POLICY_CODES as CODES,
  capValidity,
  evaluateCertificate,
  fileNameProblem,
  MAX_CERTIFICATE_BYTES,
  sizeProblem,
} from '../../src/domain/certificate-policy.ts';
import type { DomainError } from '../../src/domain/errors.ts';
import type { CertificateFacts } from '../../src/domain/mapping.ts';

const MAKE_NEW =
  'make a new key pair and certificate, for example with "certmint cert generate --alg ES256 --out public.pem --key-out private.pem"';
const at = (iso: string) => Date.parse(iso);
const START = at('2026-03-10T08:00:00Z');
const YEAR = 365 * 86_400_000;

const reading = (over: Partial<CertificateReading> = {}): CertificateReading => ({
  certificateId: 'cert-id',
  publicKeyId: 'key-id',
  pem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  subject: 'CN=client',
  issuer: 'CN=issuer',
  serialNumber: '01',
  key: { type: 'ec', parameters: 'named', curve: 'P-256' },
  notBefore: START,
  notAfter: START + YEAR,
  ...over,
});

function accepted(v: CertificateVerdict): Extract<CertificateVerdict, { accepted: true }> {
  assert.ok(v.accepted, v.accepted ? '' : `refused: ${v.refusal.code} ${v.refusal.message}`);
  return v;
}

function refusal(v: CertificateVerdict): DomainError {
  assert.ok(!v.accepted, 'expected a refusal');
  assert.equal(v.refusal.kind, 'policy');
  return v.refusal;
}

const refusedWith = (v: CertificateVerdict, code: string, message: string) => {
  const r = refusal(v);
  assert.equal(r.code, code);
  assert.equal(r.message, message);
};

describe('evaluateCertificate: keys', () => {
  const ACCEPTED: Array<[CertificateKey, Pick<CertificateFacts, 'keyType' | 'keySize' | 'curve'>]> =
    [
      [{ type: 'rsa', spki: 'rsaEncryption', modulusBits: 3072 }, rsa('rsa', 3072)],
      [{ type: 'rsa', spki: 'rsaEncryption', modulusBits: 4096 }, rsa('rsa', 4096)],
      [{ type: 'rsa', spki: 'RSASSA-PSS', modulusBits: 3072 }, rsa('rsa-pss', 3072)],
      [{ type: 'rsa', spki: 'RSASSA-PSS', modulusBits: 4096 }, rsa('rsa-pss', 4096)],
      [{ type: 'ec', parameters: 'named', curve: 'P-256' }, ec('P-256', 256)],
      [{ type: 'ec', parameters: 'named', curve: 'P-384' }, ec('P-384', 384)],
      [{ type: 'ec', parameters: 'named', curve: 'P-521' }, ec('P-521', 521)],
    ];
  function rsa(keyType: 'rsa' | 'rsa-pss', keySize: number) {
    return { keyType, keySize, curve: null };
  }
  function ec(curve: 'P-256' | 'P-384' | 'P-521', keySize: number) {
    return { keyType: 'ec' as const, keySize, curve };
  }

  for (const [key, expected] of ACCEPTED) {
    it(`accepts ${JSON.stringify(key)}`, () => {
      const { facts, warnings } = accepted(evaluateCertificate(reading({ key }), START));
      assert.deepEqual(facts, {
        certificateId: 'cert-id',
        publicKeyId: 'key-id',
        pem: reading().pem,
        subject: 'CN=client',
        issuer: 'CN=issuer',
        serialNumber: '01',
        algorithm: key.type === 'rsa' ? 'RSA' : 'EC',
        ...expected,
        validFrom: START,
        validUntil: START + YEAR,
        shortened: false,
      });
      assert.deepEqual(warnings, []);
    });
  }

  for (const bits of [0, 1024, 2048, 3071, 3073, 8192]) {
    it(`refuses an RSA key of ${bits} bits (either SPKI type)`, () => {
      for (const spki of ['rsaEncryption', 'RSASSA-PSS'] as const) {
        refusedWith(
          evaluateCertificate(reading({ key: { type: 'rsa', spki, modulusBits: bits } }), START),
          CODES.rsaKeySize,
          `The certificate's RSA key has ${bits} bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"`,
        );
      }
    });
  }

  it('refuses EC keys on other curves, unnamed, or with explicit parameters', () => {
    for (const curve of ['secp256k1', 'brainpoolP256r1', 'prime256v1', 'p-256', '1.2.3.4']) {
      refusedWith(
        evaluateCertificate(reading({ key: { type: 'ec', parameters: 'named', curve } }), START),
        CODES.ecCurve,
        `The certificate's EC key uses curve ${curve}, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
      );
    }
    refusedWith(
      evaluateCertificate(reading({ key: { type: 'ec', parameters: 'unnamed' } }), START),
      CODES.ecCurve,
      `The certificate's EC key uses curve unnamed, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
    );
    refusedWith(
      evaluateCertificate(reading({ key: { type: 'ec', parameters: 'explicit' } }), START),
      CODES.ecExplicitParameters,
      'The certificate\'s EC key is written with explicit curve parameters instead of a named curve: make the key again with "-pkeyopt ec_param_enc:named_curve" (or use "certmint cert generate --alg ES256")',
    );
  });

  it('refuses EdDSA and every other key type', () => {
    for (const name of ['Ed25519', 'Ed448'] as const) {
      refusedWith(
        evaluateCertificate(reading({ key: { type: 'eddsa', name } }), START),
        CODES.eddsaKey,
        `The certificate has an ${name} key, and EdDSA cannot sign NetSuite-style client assertions: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256/PS384/PS512); ${MAKE_NEW}`,
      );
    }
    refusedWith(
      evaluateCertificate(reading({ key: { type: 'other', name: 'DSA' } }), START),
      CODES.keyType,
      `The certificate has a DSA key, and only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
    );
  });

  it('the key is judged before the validity', () => {
    const key: CertificateKey = { type: 'eddsa', name: 'Ed25519' };
    const v = evaluateCertificate(reading({ key, notAfter: START - 1000 }), START + 10 * YEAR);
    assert.equal(refusal(v).code, CODES.eddsaKey);
  });
});

describe('evaluateCertificate: validity', () => {
  const until = (v: CertificateVerdict) => accepted(v).facts.validUntil;

  it('refuses a certificate that ends before (or when) it starts', () => {
    for (const notAfter of [START, START - 1000]) {
      refusedWith(
        evaluateCertificate(reading({ notAfter }), START - YEAR),
        CODES.validityRange,
        `The certificate ends (${new Date(notAfter).toISOString().replace('.000Z', 'Z')}) before it starts (2026-03-10T08:00:00Z): ${MAKE_NEW}`,
      );
    }
  });

  it('exactly two years is kept as it is', () => {
    const notAfter = at('2028-03-10T08:00:00Z');
    const v = accepted(evaluateCertificate(reading({ notAfter }), START));
    assert.equal(v.facts.validUntil, notAfter);
    assert.equal(v.facts.shortened, false);
    assert.deepEqual(v.warnings, []);
  });

  it('two years and one second is shortened to two years, with a warning', () => {
    const notAfter = at('2028-03-10T08:00:01Z');
    const v = accepted(evaluateCertificate(reading({ notAfter }), START));
    assert.equal(v.facts.validUntil, at('2028-03-10T08:00:00Z'));
    assert.equal(v.facts.shortened, true);
    assert.deepEqual(v.warnings, [
      {
        code: 'certificate.validity_shortened',
        message:
          'The certificate is valid until 2028-03-10T08:00:01Z, more than two years after its start: it will be used only until 2028-03-10T08:00:00Z (validity shortened to two years), so replace it before then',
      },
    ]);
  });

  it('a start on 29 February: the cap is 28 February two years later', () => {
    const notBefore = at('2024-02-29T12:00:00Z');
    const cap = at('2026-02-28T12:00:00Z');
    const now = notBefore + 1000;
    assert.equal(until(evaluateCertificate(reading({ notBefore, notAfter: cap }), now)), cap);
    const longer = accepted(evaluateCertificate(reading({ notBefore, notAfter: cap + 1000 }), now));
    assert.equal(longer.facts.validUntil, cap);
    assert.equal(longer.facts.shortened, true);
    // `-days 730` from 29 February 2024 ends on 28 February 2026 too: not shortened.
    assert.equal(
      accepted(
        evaluateCertificate(reading({ notBefore, notAfter: notBefore + 730 * 86_400_000 }), now),
      ).facts.shortened,
      false,
    );
  });

  it('expired: refused from the end of validity on, accepted one millisecond before', () => {
    const notAfter = START + YEAR;
    assert.equal(until(evaluateCertificate(reading({ notAfter }), notAfter - 1)), notAfter);
    for (const now of [notAfter, notAfter + YEAR]) {
      refusedWith(
        evaluateCertificate(reading({ notAfter }), now),
        CODES.expired,
        `The certificate expired on 2027-03-10T08:00:00Z: ${MAKE_NEW}, and map the new one`,
      );
    }
  });

  it('expired by the cap: the message says the validity was capped', () => {
    const r = reading({ notAfter: START + 5 * YEAR });
    const cap = at('2028-03-10T08:00:00Z');
    assert.equal(until(evaluateCertificate(r, cap - 1)), cap);
    refusedWith(
      evaluateCertificate(r, cap),
      CODES.expired,
      `The certificate's validity, capped at two years from its start (2026-03-10T08:00:00Z), ended on 2028-03-10T08:00:00Z: ${MAKE_NEW}, valid for at most two years`,
    );
  });

  it('not valid yet: accepted, with a warning (the token endpoint refuses it until then)', () => {
    const v = accepted(evaluateCertificate(reading(), START - 1));
    assert.equal(v.facts.validFrom, START);
    assert.deepEqual(v.warnings, [
      {
        code: 'certificate.not_yet_valid',
        message:
          'The certificate is not valid before 2026-03-10T08:00:00Z: token requests signed with its key are refused until then',
      },
    ]);
    assert.deepEqual(accepted(evaluateCertificate(reading(), START)).warnings, []);
  });
});

describe('capValidity (two calendar years, UTC)', () => {
  it('adds two to the year, keeping month, day and time', () => {
    assert.equal(capValidity(at('2026-11-29T05:27:21Z')), at('2028-11-29T05:27:21Z'));
    assert.equal(capValidity(at('2027-03-01T00:00:00Z')), at('2029-03-01T00:00:00Z'));
    assert.equal(capValidity(at('2025-12-31T23:59:59Z')), at('2027-12-31T23:59:59Z'));
    assert.equal(capValidity(at('2026-02-28T23:59:59.500Z')), at('2028-02-28T23:59:59.500Z'));
  });

  it('a start on 29 February ends on 28 February, never 1 March', () => {
    assert.equal(capValidity(at('2024-02-29T12:00:00Z')), at('2026-02-28T12:00:00Z'));
    assert.equal(capValidity(at('2028-02-29T00:00:00Z')), at('2030-02-28T00:00:00Z'));
  });
});

describe('the upload: file name and size', () => {
  it('.cer, .pem and .crt in any case pass; anything else is refused', () => {
    for (const name of ['a.cer', 'public.PEM', 'C:\\certs\\client.Crt', '/tmp/x.pem']) {
      assert.equal(fileNameProblem(name), null, name);
    }
    for (const name of ['public.txt', 'private.key', 'public.pem.txt', 'cert', 'pem', '']) {
      const r = fileNameProblem(name);
      assert.equal(r?.code, CODES.fileName);
      assert.equal(
        r?.message,
        `The file name "${name}" is not that of a certificate: upload the public certificate as a .cer, .pem or .crt file`,
      );
    }
  });

  it('the size limit is 64 KiB, inclusive', () => {
    assert.equal(MAX_CERTIFICATE_BYTES, 65_536);
    assert.equal(sizeProblem(0), null);
    assert.equal(sizeProblem(MAX_CERTIFICATE_BYTES), null);
    const r = sizeProblem(MAX_CERTIFICATE_BYTES + 1);
    assert.equal(r?.kind, 'policy');
    assert.equal(r?.code, CODES.tooLarge);
    assert.equal(
      r?.message,
      'The file is 65537 bytes, and one certificate is far smaller (the limit is 65536 bytes): upload only the public certificate (one PEM block or DER), not a bundle or archive',
    );
  });
});
