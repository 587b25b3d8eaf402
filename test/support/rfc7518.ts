/**
 * RFC 7518 §3.1, §3.4 and §3.5 written out for the tests, not read from the registry under
 * test: the hash, the PSS salt length (= the hash length), and for ECDSA the curve and the r||s
 * length (two coordinates of ceil(bits / 8) bytes: P-521 gives 132, not 130).
 */
import type { AssertionAlg } from '../../src/crypto/algorithms.ts';

export const RFC7518: Record<
  AssertionAlg,
  { hash: string; hashLength: number } & (
    | { family: 'ec'; curve: 'P-256' | 'P-384' | 'P-521'; signatureLength: number }
    | { family: 'rsa' }
  )
> = {
  ES256: { family: 'ec', hash: 'sha256', hashLength: 32, curve: 'P-256', signatureLength: 64 },
  ES384: { family: 'ec', hash: 'sha384', hashLength: 48, curve: 'P-384', signatureLength: 96 },
  ES512: { family: 'ec', hash: 'sha512', hashLength: 64, curve: 'P-521', signatureLength: 132 },
  PS256: { family: 'rsa', hash: 'sha256', hashLength: 32 },
  PS384: { family: 'rsa', hash: 'sha384', hashLength: 48 },
  PS512: { family: 'rsa', hash: 'sha512', hashLength: 64 },
};
