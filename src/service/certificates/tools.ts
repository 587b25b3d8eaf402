/**
 * Certificate tools that need no store: make a client key pair and self-signed certificate
 * (`certmint cert generate`, quickstart) and check a file against exactly the policy an upload
 * meets (`certmint cert check`). Interfaces reach the crypto and the policy through here.
 */
export {
  ASSERTION_ALGS,
  type AssertionAlg,
  isAssertionAlg,
} from '../../crypto/algorithms.ts';
export {
  assertionAlgsFor,
  type CheckedCertificate,
  checkCertificate,
  describeFacts,
  inspectCertificate,
  MAX_CERTIFICATE_BYTES,
} from '../../crypto/certificate.ts';
export {
  DEFAULT_DAYS,
  DEFAULT_RSA_BITS,
  DEFAULT_SUBJECT,
  type GeneratedCertificate,
  type GenerateOptions,
  generateCertificate,
} from '../../crypto/generate.ts';
