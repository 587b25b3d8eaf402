/**
 * The certificate policy: which uploaded certificates certmint maps, and what it keeps of them.
 * Pure rules (no I/O, no cryptography): the X.509 parser in crypto/ reads the upload and hands
 * over plain facts (`CertificateReading`); `evaluateCertificate` turns them into the accepted
 * `CertificateFacts` plus warnings, or a refusal. Codes and messages: certificate-policy-refusals.ts.
 *
 * Accepted keys mirror NetSuite's OAuth 2.0 M2M rules: RSA 3072 or 4096 bits (rsaEncryption or
 * RSASSA-PSS SPKI, both usable with PS256/384/512) and EC P-256, P-384, P-521 with a named
 * curve (ES256/384/512). A certificate is used for at most two years from its start.
 */
import {
  cappedExpiredRefusal,
  ecCurveRefusal,
  ecExplicitParametersRefusal,
  eddsaKeyRefusal,
  expiredRefusal,
  fileNameRefusal,
  isoSeconds,
  keyTypeRefusal,
  rsaKeySizeRefusal,
  tooLargeRefusal,
  validityRangeRefusal,
} from './certificate-policy-refusals.ts';
import type { DomainError } from './errors.ts';
import type { CertificateFacts } from './mapping.ts';

export {
  CERTIFICATE_POLICY_CODES,
  type CertificatePolicyCode,
} from './certificate-policy-refusals.ts';

/** Largest upload read at all (checked before any parsing). A certificate is ~0.5–2 KiB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** NetSuite caps a certificate's validity at two years from its start. */
export const MAX_VALIDITY_YEARS = 2;
export const CERTIFICATE_FILE_EXTENSIONS: readonly string[] = ['.cer', '.pem', '.crt'];
export const ACCEPTED_RSA_BITS: readonly number[] = [3072, 4096];

export type EcCurve = NonNullable<CertificateFacts['curve']>;
/** The accepted curves (JOSE names, RFC 7518 §6.2.1.1) and their sizes in bits. */
export const EC_CURVE_BITS: Readonly<Record<EcCurve, 256 | 384 | 521>> = Object.freeze({
  'P-256': 256,
  'P-384': 384,
  'P-521': 521,
});
const isAcceptedCurve = (name: string): name is EcCurve => Object.hasOwn(EC_CURVE_BITS, name);

/**
 * The certificate's public key as its SubjectPublicKeyInfo declares it (RFC 5280 §4.1.2.7),
 * told apart by the AlgorithmIdentifier, not by what a crypto library makes of the key.
 */
export type CertificateKey =
  /** RFC 8017 App. A.1 `rsaEncryption`, or RFC 4055 §3.1 / RFC 8017 App. A.2.3 `id-RSASSA-PSS`. */
  | { type: 'rsa'; spki: 'rsaEncryption' | 'RSASSA-PSS'; modulusBits: number }
  /**
   * RFC 5480 §2.1.1 `id-ecPublicKey`, whose parameters MUST be a named curve in certificates.
   * `named`: `curve` is the JOSE name for P-256/384/521, another curve's name (or OID)
   * otherwise. `explicit`: the parameters spell the curve out (`specifiedCurve`). `unnamed`:
   * absent, `implicitCurve` (NULL) or unreadable parameters.
   */
  | { type: 'ec'; parameters: 'named'; curve: string }
  | { type: 'ec'; parameters: 'explicit' }
  | { type: 'ec'; parameters: 'unnamed' }
  /** RFC 8410 §3: these keys sign with EdDSA, which NetSuite-style assertions never use. */
  | { type: 'eddsa'; name: 'Ed25519' | 'Ed448' }
  /** Anything else (DSA, X25519, …): `name` for the message. */
  | { type: 'other'; name: string };

/** What the parser read from one certificate: the policy's input. */
export interface CertificateReading {
  /** base64url(SHA-256(DER)), no padding: NetSuite's certificate id (x5t#S256, RFC 7515 §4.1.8). */
  certificateId: string;
  /** base64url(SHA-256(SubjectPublicKeyInfo DER)). */
  publicKeyId: string;
  /** The certificate as one PEM CERTIFICATE block (64-column lines). */
  pem: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  key: CertificateKey;
  /** notBefore and notAfter (ms), RFC 5280 §4.1.2.5. */
  notBefore: number;
  notAfter: number;
}

export interface CertificateWarning {
  code: 'certificate.validity_shortened' | 'certificate.not_yet_valid';
  message: string;
}

export type CertificateVerdict =
  | { accepted: true; facts: CertificateFacts; warnings: CertificateWarning[] }
  | { accepted: false; refusal: DomainError };

/** The upload's file name, when there is one, must end in .cer, .pem or .crt (any case). */
export function fileNameProblem(fileName: string): DomainError | null {
  const lower = fileName.toLowerCase();
  return CERTIFICATE_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext))
    ? null
    : fileNameRefusal(fileName);
}

/** An upload over MAX_CERTIFICATE_BYTES is refused before anything looks inside it. */
export function sizeProblem(bytes: number): DomainError | null {
  return bytes > MAX_CERTIFICATE_BYTES ? tooLargeRefusal(bytes, MAX_CERTIFICATE_BYTES) : null;
}

/**
 * validFrom + 2 calendar years (UTC). Why calendar years: NetSuite states the cap in years, and
 * a certificate made with `-days 730` across a leap day must not be shortened by one day.
 * A start on 29 February ends on 28 February (the cap is "at most", so never 1 March).
 */
export function capValidity(validFrom: number): number {
  const d = new Date(validFrom);
  const month = d.getUTCMonth();
  d.setUTCFullYear(d.getUTCFullYear() + MAX_VALIDITY_YEARS);
  if (d.getUTCMonth() !== month) d.setUTCDate(0); // rolled into March: back to 28 February
  return d.getTime();
}

type KeyFacts = Pick<CertificateFacts, 'algorithm' | 'keyType' | 'keySize' | 'curve'>;

/** The key's facts, or why it is refused. */
export function keyVerdict(key: CertificateKey): KeyFacts | DomainError {
  switch (key.type) {
    case 'rsa':
      if (!ACCEPTED_RSA_BITS.includes(key.modulusBits)) return rsaKeySizeRefusal(key.modulusBits);
      return {
        algorithm: 'RSA',
        keyType: key.spki === 'RSASSA-PSS' ? 'rsa-pss' : 'rsa',
        keySize: key.modulusBits,
        curve: null,
      };
    case 'ec':
      if (key.parameters === 'explicit') return ecExplicitParametersRefusal();
      if (key.parameters === 'unnamed') return ecCurveRefusal('unnamed');
      if (!isAcceptedCurve(key.curve)) return ecCurveRefusal(key.curve);
      return {
        algorithm: 'EC',
        keyType: 'ec',
        keySize: EC_CURVE_BITS[key.curve],
        curve: key.curve,
      };
    case 'eddsa':
      return eddsaKeyRefusal(key.name);
    case 'other':
      return keyTypeRefusal(key.name);
  }
}

/**
 * The policy on one parsed certificate at time `now` (ms): the key first, then the validity.
 * A certificate that is not valid yet is accepted (the token endpoint refuses its assertions
 * until it is); one whose (capped) validity has ended is refused.
 */
export function evaluateCertificate(reading: CertificateReading, now: number): CertificateVerdict {
  const key = keyVerdict(reading.key);
  if (!('algorithm' in key)) return { accepted: false, refusal: key };

  const { notBefore: validFrom, notAfter } = reading;
  if (!(notAfter > validFrom)) {
    return { accepted: false, refusal: validityRangeRefusal(validFrom, notAfter) };
  }
  const cap = capValidity(validFrom);
  const shortened = notAfter > cap;
  const validUntil = shortened ? cap : notAfter;
  // Same test as isMappingActive: usable while validUntil > now.
  if (!(validUntil > now)) {
    const refusal = shortened
      ? cappedExpiredRefusal(validFrom, validUntil)
      : expiredRefusal(validUntil);
    return { accepted: false, refusal };
  }

  const warnings: CertificateWarning[] = [];
  if (shortened) {
    warnings.push({
      code: 'certificate.validity_shortened',
      message: `The certificate is valid until ${isoSeconds(notAfter)}, more than two years after its start: it will be used only until ${isoSeconds(validUntil)} (validity shortened to two years), so replace it before then`,
    });
  }
  if (validFrom > now) {
    warnings.push({
      code: 'certificate.not_yet_valid',
      message: `The certificate is not valid before ${isoSeconds(validFrom)}: token requests signed with its key are refused until then`,
    });
  }
  const { certificateId, publicKeyId, pem, subject, issuer, serialNumber } = reading;
  return {
    accepted: true,
    facts: {
      certificateId,
      publicKeyId,
      pem,
      subject,
      issuer,
      serialNumber,
      ...key,
      validFrom,
      validUntil,
      shortened,
    },
    warnings,
  };
}
