/**
 * Every refusal of a certificate upload: a stable code (switch on codes, never on messages) and
 * a message that says what went wrong and what to do instead, in words an API caller, a console
 * user and a CLI user all understand. No message ever echoes the upload: it may be a private key.
 *
 * The parser (crypto/) raises the refusals about what the file *is* (empty, a private key, a
 * CSR, several certificates, unreadable); the policy (certificate-policy.ts) raises the ones
 * about what the certificate *says* (key, validity) and about the upload itself (name, size).
 */
import { type DomainError, policy } from './errors.ts';

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

/** The advice most refusals end with. */
export const MAKE_NEW =
  'make a new key pair and certificate, for example with "certmint cert generate --alg ES256 --out public.pem --key-out private.pem"';

/** A time as the messages show it: ISO 8601 UTC to the second. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

// --- What the file is (raised by the parser) ---------------------------------------------------

export const emptyRefusal = (): DomainError =>
  policy(
    C.empty,
    'The file is empty: upload the public certificate (PEM or DER), for example the public.pem made by "certmint cert generate" or "openssl req -new -x509"',
  );

export const unreadable = (): DomainError =>
  policy(
    C.unreadable,
    'The file is not a readable X.509 certificate: upload one certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form',
  );

export const privateKeyRefusal = (): DomainError =>
  // Never echo any part of the key: the message is fixed text.
  policy(
    C.privateKey,
    'The file is a private key, not a certificate: keep it secret and never upload it anywhere; upload the public certificate (for example public.pem) instead',
  );

export const csrRefusal = (): DomainError =>
  policy(
    C.csr,
    'The file is a certificate signing request (CSR), not a certificate: upload a certificate instead, for example a self-signed one from "openssl req -new -x509 …" or "certmint cert generate"',
  );

export const chainRefusal = (count: number): DomainError =>
  policy(
    C.chain,
    `The file holds ${count} certificates: upload exactly one, the client's own certificate, without any chain or CA certificates`,
  );

export const publicKeyRefusal = (): DomainError =>
  policy(
    C.publicKey,
    'The file is a bare public key, not a certificate: wrap it in a self-signed X.509 certificate (for example with "openssl req -new -x509 -key private.pem -days 365 -out public.pem") and upload that',
  );

export const surroundingTextRefusal = (): DomainError =>
  policy(
    C.surroundingText,
    'The file has text around the certificate: upload only the block from -----BEGIN CERTIFICATE----- to -----END CERTIFICATE----- (for example the output of "openssl x509 -in cert.pem -out public.pem")',
  );

// --- The upload itself ---------------------------------------------------------------------------

export const fileNameRefusal = (fileName: string): DomainError => {
  const shown = fileName.length > 60 ? `${fileName.slice(0, 57)}...` : fileName;
  return policy(
    C.fileName,
    `The file name "${shown}" is not that of a certificate: upload the public certificate as a .cer, .pem or .crt file`,
  );
};

export const tooLargeRefusal = (size: number, limit: number): DomainError =>
  policy(
    C.tooLarge,
    `The file is ${size} bytes, and one certificate is far smaller (the limit is ${limit} bytes): upload only the public certificate (one PEM block or DER), not a bundle or archive`,
  );

// --- What the certificate says -------------------------------------------------------------------

export const rsaKeySizeRefusal = (bits: number): DomainError =>
  policy(
    C.rsaKeySize,
    `The certificate's RSA key has ${bits} bits, and only 3072 or 4096 bits are accepted: make a new key pair, for example with "certmint cert generate --alg PS256 --bits 3072 --out public.pem --key-out private.pem"`,
  );

export const ecExplicitParametersRefusal = (): DomainError =>
  policy(
    C.ecExplicitParameters,
    'The certificate\'s EC key is written with explicit curve parameters instead of a named curve: make the key again with "-pkeyopt ec_param_enc:named_curve" (or use "certmint cert generate --alg ES256")',
  );

export const ecCurveRefusal = (curve: string): DomainError =>
  policy(
    C.ecCurve,
    `The certificate's EC key uses curve ${curve}, and only P-256, P-384 and P-521 are accepted (ES256/ES384/ES512): ${MAKE_NEW}`,
  );

export const eddsaKeyRefusal = (name: 'Ed25519' | 'Ed448'): DomainError =>
  policy(
    C.eddsaKey,
    `The certificate has an ${name} key, and EdDSA cannot sign NetSuite-style client assertions: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256/PS384/PS512); ${MAKE_NEW}`,
  );

export const keyTypeRefusal = (name: string): DomainError =>
  policy(
    C.keyType,
    `The certificate has a ${name} key, and only RSA 3072/4096-bit and EC P-256/P-384/P-521 keys are accepted: ${MAKE_NEW}`,
  );

export const validityRangeRefusal = (validFrom: number, notAfter: number): DomainError =>
  policy(
    C.validityRange,
    `The certificate ends (${isoSeconds(notAfter)}) before it starts (${isoSeconds(validFrom)}): ${MAKE_NEW}`,
  );

export const expiredRefusal = (validUntil: number): DomainError =>
  policy(
    C.expired,
    `The certificate expired on ${isoSeconds(validUntil)}: ${MAKE_NEW}, and map the new one`,
  );

export const cappedExpiredRefusal = (validFrom: number, validUntil: number): DomainError =>
  policy(
    C.expired,
    `The certificate's validity, capped at two years from its start (${isoSeconds(validFrom)}), ended on ${isoSeconds(validUntil)}: ${MAKE_NEW}, valid for at most two years`,
  );
