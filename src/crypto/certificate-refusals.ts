/**
 * The certificate policy's refusals: stable codes (switch on these, never on messages) and the
 * messages shared by several checks. Every message says what to do instead, and none ever
 * echoes the input (it may be a private key).
 */
import { type DomainError, policy } from '../domain/errors.ts';

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

export const C = CERTIFICATE_POLICY_CODES;
export const MAKE_NEW =
  'make a new key pair and certificate, e.g. `certmint cert generate --alg ES256 --out public.pem --key-out private.pem`';

export const unreadable = (): DomainError =>
  policy(
    C.unreadable,
    'This is not a readable X.509 certificate: upload one certificate in PEM (-----BEGIN CERTIFICATE-----) or DER form',
  );

export const privateKeyRefusal = (): DomainError =>
  // Never echo any part of the key: the message is fixed text.
  policy(
    C.privateKey,
    'This is a private key, not a certificate: keep it secret and never upload it anywhere. Upload the public certificate (e.g. public.pem) instead',
  );

export const csrRefusal = (): DomainError =>
  policy(
    C.csr,
    'This is a certificate signing request (CSR), not a certificate: upload a certificate instead, e.g. a self-signed one from `openssl req -new -x509 …` or `certmint cert generate`',
  );

export const chainRefusal = (count: number): DomainError =>
  policy(
    C.chain,
    `The file holds ${count} certificates; upload exactly one: the client's own certificate, without any chain or CA certificates`,
  );
