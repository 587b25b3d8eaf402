/**
 * The certificate policy (DESIGN "Certificate rules", contract): reads an uploaded certificate,
 * refuses anything the server must not map, and returns the facts certmint imports from it.
 * Every refusal is a `policy` DomainError with its own stable code and a message that says what
 * to do instead. Garbage never throws anything else.
 */
import { createHash, createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { X509Certificate as PeculiarX509, Pkcs10CertificateRequest } from '@peculiar/x509';
import { type DomainError, isDomainError, policy } from '../domain/errors.ts';
import type { CertificateFacts } from '../domain/mapping.ts';
import {
  ALGORITHMS,
  ASSERTION_ALGS,
  type AssertionAlg,
  EC_CURVE_BITS,
  type EcCurve,
} from './algorithms.ts';
import { OID, readSpkiAlgorithm, readTlv, TAG_SEQUENCE } from './der.ts';
import { decodeSingleCertificateBlock, pemLabels, toPem } from './pem.ts';

/** Largest upload read at all (checked before any parsing). A certificate is ~0.5–2 KiB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** NetSuite caps a certificate's validity at two years from its start. */
export const MAX_VALIDITY_YEARS = 2;
export const CERTIFICATE_FILE_EXTENSIONS: readonly string[] = ['.cer', '.pem', '.crt'];
export const ACCEPTED_RSA_BITS: readonly number[] = [3072, 4096];

/** Stable codes of every refusal (switch on these, never on messages). */
export const CERTIFICATE_POLICY_CODES = {
  fileName: 'certificate.file_name',
  empty: 'certificate.empty',
  tooLarge: 'certificate.too_large',
  privateKey: 'certificate.private_key',
  csr: 'certificate.csr',
  chain: 'certificate.chain',
  publicKey: 'certificate.public_key',
  surroundingText: 'certificate.surrounding_text',
  unreadable: 'certificate.unreadable',
  rsaKeySize: 'certificate.rsa_key_size',
  ecCurve: 'certificate.ec_curve',
  ecExplicitParameters: 'certificate.ec_explicit_parameters',
  eddsaKey: 'certificate.eddsa_key',
  keyType: 'certificate.key_type',
  validityRange: 'certificate.validity_range',
  expired: 'certificate.expired',
} as const;
export type CertificatePolicyCode =
  (typeof CERTIFICATE_POLICY_CODES)[keyof typeof CERTIFICATE_POLICY_CODES];

const C = CERTIFICATE_POLICY_CODES;
const MAKE_NEW =
  'make a new key pair and certificate, e.g. `certmint cert generate --alg ES256 --out public.pem --key-out private.pem`';

export interface InspectOptions {
  /** The uploaded file's name, when there is one: it must end in .cer, .pem or .crt. */
  fileName?: string;
  /** Current time (ms) from the injected Clock. */
  now: number;
}

/**
 * Applies the certificate policy to an upload (PEM text or DER bytes) and returns its facts.
 * Throws a `policy` DomainError (codes in CERTIFICATE_POLICY_CODES) on every refusal.
 */
export function inspectCertificate(input: Buffer | string, opts: InspectOptions): CertificateFacts {
  if (opts.fileName !== undefined) checkFileName(opts.fileName);
  // Size first, before anything looks inside.
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > MAX_CERTIFICATE_BYTES) {
    throw policy(
      C.tooLarge,
      `The file is ${size} bytes; one certificate is far smaller (the limit is ${MAX_CERTIFICATE_BYTES} bytes): upload only the public certificate (one PEM block or DER), not a bundle or archive`,
    );
  }
  try {
    return factsFromDer(extractDer(input), opts.now);
  } catch (e) {
    // Parsers deep in @peculiar/x509 throw plain Errors on some malformed inputs (found by
    // the mutation test): whatever is not already a refusal is unreadable.
    if (isDomainError(e)) throw e;
    throw unreadable();
  }
}

function checkFileName(fileName: string): void {
  const lower = fileName.toLowerCase();
  if (!CERTIFICATE_FILE_EXTENSIONS.some((ext) => lower.endsWith(ext))) {
    const shown = fileName.length > 60 ? `${fileName.slice(0, 57)}...` : fileName;
    throw policy(
      C.fileName,
      `"${shown}" is not a certificate file name: upload the public certificate as a .cer, .pem or .crt file`,
    );
  }
}

const isBlank = (input: Buffer | string): boolean =>
  (typeof input === 'string' ? input : input.toString('latin1')).replace(/^\uFEFF/, '').trim() ===
  '';

/** PEM or DER → the DER of the one certificate, refusing everything else. */
function extractDer(input: Buffer | string): Buffer {
  if (input.length === 0 || isBlank(input)) {
    throw policy(
      C.empty,
      'The file is empty: upload the public certificate (PEM or DER), e.g. public.pem made by `certmint cert generate` or `openssl req -new -x509`',
    );
  }
  const looksPem =
    typeof input === 'string' ? input.includes('-----BEGIN') : input.includes('-----BEGIN');
  if (looksPem) {
    return derFromPem(typeof input === 'string' ? input : input.toString('utf8'));
  }
  if (typeof input !== 'string' && input[0] === TAG_SEQUENCE) return derFromDer(input);
  throw unreadable();
}

const unreadable = (): DomainError =>
  policy(
    C.unreadable,
    'This is not a readable X.509 certificate: upload one certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form',
  );

const privateKeyRefusal = (): DomainError =>
  // Never echo any part of the key: the message is fixed text.
  policy(
    C.privateKey,
    'This is a private key, not a certificate: keep it secret and never upload it anywhere. Upload the public certificate (e.g. public.pem) instead',
  );

const csrRefusal = (): DomainError =>
  policy(
    C.csr,
    'This is a certificate signing request (CSR), not a certificate: upload a certificate instead, e.g. a self-signed one from `openssl req -new -x509 …` or `certmint cert generate`',
  );

const chainRefusal = (count: number): DomainError =>
  policy(
    C.chain,
    `The file holds ${count} certificates; upload exactly one: the client's own certificate, without any chain or CA certificates`,
  );

function derFromPem(text: string): Buffer {
  const labels = pemLabels(text);
  if (labels.some((l) => l.includes('PRIVATE KEY'))) throw privateKeyRefusal();
  if (labels.some((l) => l.includes('CERTIFICATE REQUEST'))) throw csrRefusal();
  const certificates = labels.filter((l) => l === 'CERTIFICATE').length;
  if (certificates > 1) throw chainRefusal(certificates);
  if (certificates === 0) {
    if (labels.some((l) => l.endsWith('PUBLIC KEY'))) {
      throw policy(
        C.publicKey,
        'This is a bare public key, not a certificate: wrap it in a self-signed X.509 certificate (`openssl req -new -x509 -key private.pem -days 365 -out public.pem`) and upload that',
      );
    }
    throw unreadable();
  }
  const block = decodeSingleCertificateBlock(text);
  if (block.kind === 'surrounding_text') {
    throw policy(
      C.surroundingText,
      'The file has text around the certificate: upload only the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (e.g. `openssl x509 -in cert.pem -out public.pem`)',
    );
  }
  if (block.kind === 'bad_base64') throw unreadable();
  return checkOneDerCertificate(block.der);
}

function derFromDer(der: Buffer): Buffer {
  const outer = readTlv(der, 0);
  if (outer !== null && outer.end === der.length && !parsesAsCertificate(der)) {
    // Not a certificate: say what it is when we can tell, without echoing anything.
    if (isDerPrivateKey(der)) throw privateKeyRefusal();
    if (isDerCsr(der)) throw csrRefusal();
  }
  return checkOneDerCertificate(der);
}

/** The DER must be exactly one TLV: OpenSSL itself happily ignores whatever follows it. */
function checkOneDerCertificate(der: Buffer): Buffer {
  const outer = readTlv(der, 0);
  if (outer === null || outer.tag !== TAG_SEQUENCE) throw unreadable();
  if (outer.end !== der.length) {
    let count = 1;
    let offset = outer.end;
    while (offset < der.length) {
      const next = readTlv(der, offset);
      if (
        next === null ||
        next.tag !== TAG_SEQUENCE ||
        !parsesAsCertificate(der.subarray(offset, next.end))
      ) {
        throw unreadable();
      }
      count++;
      offset = next.end;
    }
    throw chainRefusal(count);
  }
  return der;
}

function parsesAsCertificate(der: Buffer): boolean {
  try {
    new NodeX509(der);
    return true;
  } catch {
    return false;
  }
}

function isDerPrivateKey(der: Buffer): boolean {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      createPrivateKey({ key: der, format: 'der', type });
      return true;
    } catch (e) {
      // An encrypted PKCS#8 key is still a private key.
      if ((e as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') return true;
    }
  }
  return false;
}

function isDerCsr(der: Buffer): boolean {
  try {
    new Pkcs10CertificateRequest(der);
    return true;
  } catch {
    return false;
  }
}

const base64url = (data: Uint8Array): string =>
  createHash('sha256').update(data).digest('base64url');

const RSA_KEY_TYPES: Readonly<Record<string, 'rsa' | 'rsa-pss'>> = {
  [OID.rsaEncryption]: 'rsa',
  [OID.rsassaPss]: 'rsa-pss',
};
const NAMED_CURVES: Readonly<Record<string, EcCurve>> = {
  [OID.p256]: 'P-256',
  [OID.p384]: 'P-384',
  [OID.p521]: 'P-521',
};
const OTHER_KEY_NAMES: Readonly<Record<string, string>> = {
  [OID.dsa]: 'DSA',
  [OID.x25519]: 'X25519',
  [OID.x448]: 'X448',
};

type KeyFacts = Pick<CertificateFacts, 'algorithm' | 'keyType' | 'keySize' | 'curve'>;

function keyFacts(spki: Uint8Array, node: NodeX509): KeyFacts {
  const alg = readSpkiAlgorithm(spki);
  if (alg === null) throw unreadable();
  const details = node.publicKey.asymmetricKeyDetails;
  const rsaType = RSA_KEY_TYPES[alg.oid];
  if (rsaType !== undefined) {
    const bits = details?.modulusLength ?? 0;
    if (!ACCEPTED_RSA_BITS.includes(bits)) {
      throw policy(
        C.rsaKeySize,
        `The certificate's RSA key has ${bits} bits; only 3072 or 4096 bits are accepted: make a new key pair, e.g. \`certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem\``,
      );
    }
    return { algorithm: 'RSA', keyType: rsaType, keySize: bits, curve: null };
  }
  if (alg.oid === OID.ecPublicKey) {
    if (alg.params === 'sequence') {
      // Node says `prime256v1` here; only the SPKI parameters (RFC 5480 §2.1.1) show it.
      throw policy(
        C.ecExplicitParameters,
        "The certificate's EC key is written with explicit curve parameters instead of a named curve: make the key again with `-pkeyopt ec_param_enc:named_curve` (or use `certmint cert generate --alg ES256`)",
      );
    }
    const curve = alg.paramsOid === null ? undefined : NAMED_CURVES[alg.paramsOid];
    if (curve === undefined) {
      const name =
        details?.namedCurve ??
        (alg.paramsOid === OID.secp256k1 ? 'secp256k1' : (alg.paramsOid ?? 'unnamed'));
      throw policy(
        C.ecCurve,
        `The certificate's EC key uses curve ${name}; only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
      );
    }
    return { algorithm: 'EC', keyType: 'ec', keySize: EC_CURVE_BITS[curve], curve };
  }
  if (alg.oid === OID.ed25519 || alg.oid === OID.ed448) {
    const name = alg.oid === OID.ed25519 ? 'Ed25519' : 'Ed448';
    throw policy(
      C.eddsaKey,
      `The certificate has an ${name} key; EdDSA cannot sign NetSuite-style client assertions: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256/PS384/PS512): ${MAKE_NEW}`,
    );
  }
  const name = OTHER_KEY_NAMES[alg.oid] ?? node.publicKey.asymmetricKeyType ?? alg.oid;
  throw policy(
    C.keyType,
    `The certificate has a ${name} key; only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
  );
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

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function factsFromDer(der: Buffer, now: number): CertificateFacts {
  let node: NodeX509;
  let peculiar: PeculiarX509;
  try {
    node = new NodeX509(der);
    peculiar = new PeculiarX509(der);
  } catch {
    throw unreadable();
  }
  const spki = new Uint8Array(peculiar.publicKey.rawData);
  const key = keyFacts(spki, node);

  const validFrom = peculiar.notBefore.getTime();
  const notAfter = peculiar.notAfter.getTime();
  if (!(notAfter > validFrom)) {
    throw policy(
      C.validityRange,
      `The certificate ends (${iso(notAfter)}) before it starts (${iso(validFrom)}): ${MAKE_NEW}`,
    );
  }
  const cap = capValidity(validFrom);
  const shortened = notAfter > cap;
  const validUntil = shortened ? cap : notAfter;
  // Same test as isMappingActive: usable while validUntil > now.
  if (!(validUntil > now)) {
    throw policy(
      C.expired,
      shortened
        ? `The certificate's validity, capped at two years from its start (${iso(validFrom)}), ended on ${iso(validUntil)}: ${MAKE_NEW}, valid for at most two years`
        : `The certificate expired on ${iso(validUntil)}: ${MAKE_NEW}, and map the new one`,
    );
  }
  return {
    certificateId: base64url(der),
    publicKeyId: base64url(spki),
    pem: toPem(der, 'CERTIFICATE'),
    subject: peculiar.subject,
    issuer: peculiar.issuer,
    serialNumber: node.serialNumber,
    ...key,
    validFrom,
    validUntil,
    shortened,
  };
}

/** The algorithms a client may sign assertions with for this certificate's key. */
export function assertionAlgsFor(
  facts: Pick<CertificateFacts, 'algorithm' | 'curve'>,
): AssertionAlg[] {
  return ASSERTION_ALGS.filter((alg) => {
    const spec = ALGORITHMS[alg];
    return facts.algorithm === 'EC'
      ? spec.family === 'ec' && spec.curve === facts.curve
      : spec.family === 'rsa';
  });
}

/** Human labels for display (CLI, console): `[label, value]` pairs in a fixed order. */
export function describeFacts(facts: CertificateFacts): Array<[string, string]> {
  const key =
    facts.algorithm === 'EC'
      ? `EC ${facts.curve}`
      : `RSA ${facts.keySize} bits${facts.keyType === 'rsa-pss' ? ' (RSASSA-PSS key)' : ''}`;
  return [
    ['Certificate id', facts.certificateId],
    ['Algorithm', facts.algorithm],
    ['Key', key],
    ['Sign assertions with', assertionAlgsFor(facts).join(', ')],
    ['Subject', facts.subject],
    ['Issuer', facts.issuer],
    ['Serial number', facts.serialNumber],
    ['Valid from', iso(facts.validFrom)],
    [
      'Valid until',
      facts.shortened ? `${iso(facts.validUntil)} (shortened to two years)` : iso(facts.validUntil),
    ],
  ];
}
