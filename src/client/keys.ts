import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { ConfigurationError } from './errors.ts';

/** The algorithms NetSuite accepts for a client assertion. RS* is refused since 2025. */
export type AssertionAlg = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512';

export const ASSERTION_ALGS: readonly AssertionAlg[] = [
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
];

/** A private key as PEM text (PKCS#8, SEC1 or PKCS#1), a node KeyObject, or a private JWK. */
export type PrivateKeyInput = string | KeyObject | JsonWebKey;

/** How the assertion gets signed: jose for ordinary keys, node:crypto for RSASSA-PSS keys. */
export interface SigningKey {
  key: KeyObject;
  alg: AssertionAlg;
  /** true for `id-RSASSA-PSS` keys, which jose cannot use. */
  rsaPss: boolean;
}

const CURVE_ALG: Record<string, AssertionAlg> = {
  prime256v1: 'ES256',
  secp384r1: 'ES384',
  secp521r1: 'ES512',
};

const HASH_ALG: Record<string, AssertionAlg> = {
  sha256: 'PS256',
  'sha-256': 'PS256',
  sha384: 'PS384',
  'sha-384': 'PS384',
  sha512: 'PS512',
  'sha-512': 'PS512',
};

const MIN_RSA_BITS = 3072;

function toKeyObject(input: PrivateKeyInput): KeyObject {
  try {
    if (typeof input === 'string') return createPrivateKey(input);
    if (isKeyObject(input)) return input;
    if (typeof input === 'object' && input !== null) {
      if (typeof input.d !== 'string') {
        throw new ConfigurationError('privateKey is a public JWK: give the private key (with "d")');
      }
      return createPrivateKey({ key: input, format: 'jwk' });
    }
  } catch (e) {
    if (e instanceof ConfigurationError) throw e;
    // The reason from OpenSSL, never the key material itself.
    const why = e instanceof Error ? e.message : String(e);
    throw new ConfigurationError(`privateKey could not be read as a private key: ${why}`);
  }
  throw new ConfigurationError('privateKey must be a PEM string, a KeyObject or a private JWK');
}

function isKeyObject(x: unknown): x is KeyObject {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as KeyObject).export === 'function' &&
    typeof (x as KeyObject).type === 'string'
  );
}

/**
 * Reads the private key and picks the assertion algorithm from it: P-256/384/521 →
 * ES256/384/512, RSA → PS256 (never RS256). An explicit `alg` must fit the key. Keys NetSuite
 * would refuse (RSA under 3072 bits, other key types or curves) are refused here, with what to
 * do instead, rather than at the server with an opaque `invalid_client`.
 */
export function loadSigningKey(input: PrivateKeyInput, alg?: string): SigningKey {
  const key = toKeyObject(input);
  if (key.type !== 'private') {
    throw new ConfigurationError(`privateKey is a ${key.type} key: give the private key`);
  }
  if (alg !== undefined && !(ASSERTION_ALGS as readonly string[]).includes(alg)) {
    throw new ConfigurationError(
      `alg ${alg} is not accepted for a client assertion: use one of ${ASSERTION_ALGS.join(', ')}`,
    );
  }
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = details.namedCurve ?? '';
    const fit = CURVE_ALG[curve];
    if (!fit) {
      throw new ConfigurationError(
        `EC curve ${curve || 'unknown'} is not accepted: use P-256, P-384 or P-521`,
      );
    }
    if (alg !== undefined && alg !== fit) {
      throw new ConfigurationError(`alg ${alg} does not fit this ${curve} key: use ${fit}`);
    }
    return { key, alg: fit, rsaPss: false };
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    const bits = details.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      throw new ConfigurationError(
        `RSA key of ${bits} bits is too short: NetSuite accepts 3072 or 4096 bits; ` +
          'generate a new one, e.g. `certmint cert generate --alg PS256 --bits 3072`',
      );
    }
    // A RSASSA-PSS key may be bound to one hash in its parameters (RFC 4055 §3.1).
    const bound = type === 'rsa-pss' && details.hashAlgorithm ? details.hashAlgorithm : undefined;
    const boundAlg = bound ? HASH_ALG[bound.toLowerCase()] : undefined;
    if (bound && !boundAlg) {
      throw new ConfigurationError(`RSASSA-PSS key bound to hash ${bound}: not usable for PS*`);
    }
    const chosen = (alg ?? boundAlg ?? 'PS256') as AssertionAlg;
    if (!chosen.startsWith('PS')) {
      throw new ConfigurationError(`alg ${chosen} does not fit an RSA key: use PS256`);
    }
    if (boundAlg && chosen !== boundAlg) {
      throw new ConfigurationError(
        `alg ${chosen} does not fit this RSASSA-PSS key bound to ${bound}: use ${boundAlg}`,
      );
    }
    return { key, alg: chosen, rsaPss: type === 'rsa-pss' };
  }
  throw new ConfigurationError(
    `${type ?? 'this'} keys are not accepted: use an EC key (P-256, P-384, P-521) or RSA 3072/4096`,
  );
}
