/**
 * The certificate policy (NetSuite's upload rules): reads an uploaded certificate,
 * refuses anything the server must not map, and returns the facts certmint imports from it.
 * Every refusal is a `policy` DomainError with its own stable code and a message that says what
 * to do instead. Garbage never throws anything else.
 */
import { createHash, createPrivateKey, X509Certificate as NodeX509 } from 'node:crypto';
import { X509Certificate as PeculiarX509, Pkcs10CertificateRequest } from '@peculiar/x509';
import { isDomainError, policy } from '../domain/errors.ts';
import type { CertificateFacts } from '../domain/mapping.ts';
import { ALGORITHMS, ASSERTION_ALGS, type AssertionAlg } from './algorithms.ts';
import { ACCEPTED_RSA_BITS, keyFacts } from './certificate-key.ts';
import {
  C,
  CERTIFICATE_POLICY_CODES,
  type CertificatePolicyCode,
  chainRefusal,
  csrRefusal,
  MAKE_NEW,
  privateKeyRefusal,
  unreadable,
} from './certificate-refusals.ts';
import { readTlv, TAG_SEQUENCE } from './der.ts';
import { decodeSingleCertificateBlock, pemLabels, toPem } from './pem.ts';

export { ACCEPTED_RSA_BITS, CERTIFICATE_POLICY_CODES, type CertificatePolicyCode };

/** Largest upload read at all (checked before any parsing). A certificate is ~0.5–2 KiB. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;
/** NetSuite caps a certificate's validity at two years from its start. */
export const MAX_VALIDITY_YEARS = 2;
export const CERTIFICATE_FILE_EXTENSIONS: readonly string[] = ['.cer', '.pem', '.crt'];

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
  if (typeof input === 'string') {
    if (input.includes('-----BEGIN')) return derFromPem(input);
    throw unreadable();
  }
  // Bytes that open with a well-formed SEQUENCE are DER (PEM text never starts with one), even
  // if a name inside happens to contain "-----BEGIN".
  if (input[0] === TAG_SEQUENCE && readTlv(input, 0) !== null) return derFromDer(input);
  if (input.includes('-----BEGIN')) return derFromPem(input.toString('utf8'));
  throw unreadable();
}

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
