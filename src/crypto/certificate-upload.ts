/**
 * Reads an uploaded certificate file exactly once: size, then PEM or DER, then the one
 * certificate inside (x509.ts). Refuses everything that is not exactly one certificate — empty
 * files, private keys, CSRs, bare public keys, several certificates, text after the PEM block,
 * garbage — with the refusals of domain/certificate-policy-refusals.ts; explanatory text before
 * the block is read past (RFC 7468 §2, see pem.ts). Never echoes the input, and never throws
 * anything but a `policy` DomainError.
 */
import { createPrivateKey } from 'node:crypto';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnParser } from '@peculiar/asn1-schema';
import type { AsnType } from 'asn1js';
import { sizeProblem } from '../domain/certificate-policy.ts';
import {
  chainRefusal,
  csrRefusal,
  emptyRefusal,
  privateKeyRefusal,
  publicKeyRefusal,
  surroundingTextRefusal,
  unreadable,
} from '../domain/certificate-policy-refusals.ts';
import { isDomainError } from '../domain/errors.ts';
import { decodeSingleCertificateBlock, pemLabels } from './pem.ts';
import {
  asCertificate,
  type DecodedCertificate,
  type ParsedCertificate,
  readCertificate,
  readSequence,
} from './x509.ts';

export type { ParsedCertificate } from './x509.ts';

/** Parses one uploaded certificate (PEM text or DER bytes). Throws a `policy` DomainError. */
export function parseCertificateUpload(input: Buffer | string): ParsedCertificate {
  // Size first, before anything looks inside.
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  const tooLarge = sizeProblem(size);
  if (tooLarge !== null) throw tooLarge;
  try {
    const { der, cert } = extractCertificate(input);
    return readCertificate(der, cert);
  } catch (e) {
    // The ASN.1 and PEM layers throw plain Errors on some malformed inputs (found by the
    // mutation test): whatever is not already a refusal is unreadable.
    if (isDomainError(e)) throw e;
    throw unreadable();
  }
}

interface OneCertificate {
  der: Buffer;
  cert: DecodedCertificate;
}

const isBlank = (input: Buffer | string): boolean =>
  (typeof input === 'string' ? input : input.toString('latin1')).replace(/^\uFEFF/, '').trim() ===
  '';

const TAG_SEQUENCE = 0x30;

function extractCertificate(input: Buffer | string): OneCertificate {
  if (input.length === 0 || isBlank(input)) throw emptyRefusal();
  if (typeof input === 'string') {
    if (input.includes('-----BEGIN')) return fromPem(input);
    throw unreadable();
  }
  // Bytes that open with a well-formed SEQUENCE are DER (PEM text never starts with one), even
  // if a name inside happens to contain "-----BEGIN".
  if (input[0] === TAG_SEQUENCE && readSequence(input, 0) !== null) return fromDer(input);
  if (input.includes('-----BEGIN')) return fromPem(input.toString('utf8'));
  throw unreadable();
}

/** RFC 7468 text: exactly one CERTIFICATE block, told apart from keys and CSRs by its label. */
function fromPem(text: string): OneCertificate {
  const labels = pemLabels(text);
  if (labels.some((l) => l.includes('PRIVATE KEY'))) throw privateKeyRefusal();
  if (labels.some((l) => l.includes('CERTIFICATE REQUEST'))) throw csrRefusal();
  const certificates = labels.filter((l) => l === 'CERTIFICATE').length;
  if (certificates > 1) throw chainRefusal(certificates);
  if (certificates === 0) {
    if (labels.some((l) => l.endsWith('PUBLIC KEY'))) throw publicKeyRefusal();
    throw unreadable();
  }
  const block = decodeSingleCertificateBlock(text);
  if (block.kind === 'surrounding_text') throw surroundingTextRefusal();
  if (block.kind === 'bad_base64') throw unreadable();
  return fromDer(block.der);
}

/**
 * DER: exactly one Certificate. OpenSSL (hence Node) reads the first element and ignores
 * whatever follows, so the length is checked here: more certificates are a chain, anything
 * else after the first is garbage.
 */
function fromDer(bytes: Buffer): OneCertificate {
  const first = readSequence(bytes, 0);
  if (first === null) throw unreadable();
  const cert = asCertificate(first.node);
  if (first.end === bytes.length) {
    if (cert !== null) return { der: bytes, cert };
    // Not a certificate: say what it is when we can tell, without echoing anything.
    if (isDerPrivateKey(bytes)) throw privateKeyRefusal();
    if (isCsr(first.node)) throw csrRefusal();
    throw unreadable();
  }
  if (cert === null) throw unreadable();
  let count = 1;
  for (let offset = first.end; offset < bytes.length; count++) {
    const next = readSequence(bytes, offset);
    if (next === null || asCertificate(next.node) === null) throw unreadable();
    offset = next.end;
  }
  throw chainRefusal(count);
}

/** PKCS #8 (RFC 5208, encrypted or not), PKCS #1 (RFC 8017 App. A.1.2) or SEC 1 (RFC 5915). */
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

/** A PKCS #10 CertificationRequest (RFC 2986 §4.2). */
function isCsr(node: AsnType): boolean {
  try {
    AsnParser.fromASN(node, CertificationRequest);
    return true;
  } catch {
    return false;
  }
}
