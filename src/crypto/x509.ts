/**
 * The one X.509 reader: a certificate's DER → the plain facts the certificate policy decides on
 * (domain/certificate-policy.ts), plus the DER and the public key for signature checks.
 *
 * Two readers look at the bytes, each for what only it does right:
 * - @peculiar/asn1-x509 (ASN.1 schemas over asn1js) reads the structure: names, validity, and
 *   the SubjectPublicKeyInfo's AlgorithmIdentifier *with its parameters*. That is where the
 *   traps are: Node (OpenSSL) reports an EC key with explicit curve parameters as a named
 *   `prime256v1` key, and only the parameters' encoding tells them apart (RFC 5480 §2.1.1).
 * - Node's X509Certificate is the gate: the token endpoint verifies signatures with OpenSSL, so
 *   a certificate OpenSSL cannot load must be refused now, not fail at the first token request.
 *   It also gives the key object (RSA modulus size) and the serial number as OpenSSL prints it.
 */
import { createHash, type KeyObject, X509Certificate } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate, type SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { type AsnType, fromBER, ObjectIdentifier, Sequence } from 'asn1js';
import type { CertificateKey, CertificateReading } from '../domain/certificate-policy.ts';
import { unreadable } from '../domain/certificate-policy-refusals.ts';
import { toPem } from './pem.ts';
import { formatName } from './x509-name.ts';

/** Object identifiers of the key algorithms and curves the policy tells apart. */
export const OID = {
  /** RFC 8017 App. A.1 (PKCS #1). */
  rsaEncryption: '1.2.840.113549.1.1.1',
  /** RFC 4055 §3.1, RFC 8017 App. A.2.3: an RSA key meant for RSASSA-PSS only. */
  rsassaPss: '1.2.840.113549.1.1.10',
  /** RFC 5480 §2.1.1. */
  ecPublicKey: '1.2.840.10045.2.1',
  /** RFC 3279 §2.3.2. */
  dsa: '1.2.840.10040.4.1',
  /** RFC 8410 §3. */
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  /** RFC 5480 §2.1.1.1 named curves. */
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  p521: '1.3.132.0.35',
  secp256k1: '1.3.132.0.10',
} as const;

const CURVE_NAMES: Readonly<Record<string, string>> = {
  [OID.p256]: 'P-256',
  [OID.p384]: 'P-384',
  [OID.p521]: 'P-521',
  [OID.secp256k1]: 'secp256k1',
};
const OTHER_KEY_NAMES: Readonly<Record<string, string>> = {
  [OID.dsa]: 'DSA',
  [OID.x25519]: 'X25519',
  [OID.x448]: 'X448',
};

/**
 * Parser limits for untrusted input. `parseEmbedded: false`: asn1js would otherwise try to read
 * every BIT STRING and OCTET STRING (the public key, each extension) as ASN.1 too, work nobody
 * uses. `copyInput: false`: the bytes are only read, and a chain is walked without copying the
 * rest of the file for every certificate.
 */
const BER_OPTIONS = { parseEmbedded: false, copyInput: false } as const;

export interface Element {
  readonly node: AsnType;
  /** Offset just past the element in the buffer it was read from. */
  readonly end: number;
}

/**
 * The ASN.1 element at `offset` if it is a SEQUENCE with a definite length (X.690 §10.1: DER
 * has no indefinite form), else null. Whatever follows the element is left alone: the caller
 * decides what trailing bytes mean (OpenSSL itself silently ignores them).
 */
export function readSequence(bytes: Uint8Array, offset: number): Element | null {
  const parsed = fromBER(bytes.subarray(offset), BER_OPTIONS);
  const node = parsed.result;
  if (parsed.offset <= 0 || node.error !== '' || !(node instanceof Sequence)) return null;
  if (node.lenBlock.isIndefiniteForm) return null;
  return { node, end: offset + parsed.offset };
}

/** A certificate as the ASN.1 schema read it, and its public key's bytes as written. */
export interface DecodedCertificate {
  readonly asn: Certificate;
  /** The SubjectPublicKeyInfo exactly as encoded in the certificate (its hash is the key id). */
  readonly spkiDer: Uint8Array;
}

/** The element read as an X.509 Certificate (RFC 5280 §4.1), or null if it is not one. */
export function asCertificate(node: AsnType): DecodedCertificate | null {
  let asn: Certificate;
  try {
    asn = AsnParser.fromASN<Certificate>(node, Certificate);
  } catch {
    return null;
  }
  // The schema matched, so the TBSCertificate's fields sit where RFC 5280 §4.1 puts them:
  // [0] version (optional), serialNumber, signature, issuer, validity, subject,
  // subjectPublicKeyInfo. The SPKI's own bytes are taken from the parse tree rather than
  // re-encoded from the parsed object.
  const tbs = node instanceof Sequence ? node.valueBlock.value[0] : undefined;
  const fields = tbs instanceof Sequence ? tbs.valueBlock.value : [];
  const hasVersion = fields[0]?.idBlock.tagClass === 3; // context-specific [0]
  const spki = fields[hasVersion ? 6 : 5];
  return spki instanceof Sequence ? { asn, spkiDer: spki.valueBeforeDecodeView } : null;
}

/** What the upload parse yields: the policy's input, the DER, and the key for verification. */
export interface ParsedCertificate {
  readonly reading: CertificateReading;
  readonly der: Buffer;
  /** The public key as OpenSSL loads it; null only for a key type OpenSSL does not know. */
  readonly publicKey: KeyObject | null;
}

const sha256url = (data: Uint8Array): string =>
  createHash('sha256').update(data).digest('base64url');

/**
 * Facts of one DER certificate already read by `asCertificate`. Throws the `unreadable` refusal
 * when OpenSSL cannot load it.
 *
 * Ids: the certificate id is base64url(SHA-256(DER)) without padding, NetSuite's certificate id
 * and the JWS `x5t#S256` thumbprint (RFC 7515 §4.1.8); the public key id is the same over the
 * SubjectPublicKeyInfo, so one key cannot hide behind two certificates.
 */
export function readCertificate(der: Buffer, cert: DecodedCertificate): ParsedCertificate {
  let node: X509Certificate;
  try {
    node = new X509Certificate(der);
  } catch {
    throw unreadable();
  }
  const tbs = cert.asn.tbsCertificate;
  const spki = tbs.subjectPublicKeyInfo;
  const notBefore = tbs.validity.notBefore.getTime().getTime();
  const notAfter = tbs.validity.notAfter.getTime().getTime();
  // The policy does date arithmetic and prints dates: a time that is no date is unreadable here.
  if (!Number.isFinite(notBefore) || !Number.isFinite(notAfter)) throw unreadable();
  const publicKey = loadPublicKey(node);
  return {
    reading: {
      certificateId: sha256url(der),
      publicKeyId: sha256url(cert.spkiDer),
      pem: toPem(der, 'CERTIFICATE'),
      subject: formatName(tbs.subject),
      issuer: formatName(tbs.issuer),
      serialNumber: node.serialNumber,
      key: describeKey(spki, publicKey),
      notBefore,
      notAfter,
    },
    der,
    publicKey,
  };
}

function loadPublicKey(node: X509Certificate): KeyObject | null {
  try {
    return node.publicKey;
  } catch {
    return null; // an algorithm OpenSSL does not know: the policy refuses it by OID
  }
}

/**
 * The key as its SubjectPublicKeyInfo declares it (RFC 5280 §4.1.2.7). The AlgorithmIdentifier
 * decides the type; Node supplies only numbers (RSA modulus size) and names for messages.
 */
function describeKey(spki: SubjectPublicKeyInfo, key: KeyObject | null): CertificateKey {
  const oid = spki.algorithm.algorithm;
  if (oid === OID.rsaEncryption || oid === OID.rsassaPss) {
    // rsaEncryption has NULL parameters (RFC 8017 App. A.1); id-RSASSA-PSS has none or
    // RSASSA-PSS-params restricting the hash (RFC 4055 §3.1). OpenSSL checks both; the key
    // itself is the same RSAPublicKey, so the modulus size comes from OpenSSL's key object.
    if (key === null) throw unreadable();
    const spkiType = oid === OID.rsassaPss ? 'RSASSA-PSS' : 'rsaEncryption';
    return {
      type: 'rsa',
      spki: spkiType,
      modulusBits: key.asymmetricKeyDetails?.modulusLength ?? 0,
    };
  }
  if (oid === OID.ecPublicKey) return describeEcKey(spki.algorithm.parameters, key);
  if (oid === OID.ed25519) return { type: 'eddsa', name: 'Ed25519' };
  if (oid === OID.ed448) return { type: 'eddsa', name: 'Ed448' };
  return { type: 'other', name: OTHER_KEY_NAMES[oid] ?? key?.asymmetricKeyType ?? oid };
}

/**
 * RFC 5480 §2.1.1: ECParameters ::= CHOICE { namedCurve OBJECT IDENTIFIER, implicitCurve NULL,
 * specifiedCurve SpecifiedECDomain }, and certificates MUST use namedCurve. The trap: OpenSSL
 * matches explicit P-256 parameters to `prime256v1` and Node reports that name, so the
 * encoding of the parameters (OID or SEQUENCE) is the only honest signal.
 */
function describeEcKey(
  parameters: ArrayBuffer | null | undefined,
  key: KeyObject | null,
): CertificateKey {
  const params = parameters ? fromBER(parameters, BER_OPTIONS).result : null;
  if (params instanceof Sequence) return { type: 'ec', parameters: 'explicit' };
  if (params instanceof ObjectIdentifier && params.error === '') {
    const oid = params.getValue();
    const curve = CURVE_NAMES[oid] ?? key?.asymmetricKeyDetails?.namedCurve ?? oid;
    return { type: 'ec', parameters: 'named', curve };
  }
  // Absent, implicitCurve (NULL) or unreadable parameters: no curve is named.
  return { type: 'ec', parameters: 'unnamed' };
}
