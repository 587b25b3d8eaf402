/**
 * The ONE algorithm registry: everything certmint knows about the client-assertion algorithms
 * ES256/ES384/ES512 and PS256/PS384/PS512 lives here (after jose's `jws_algorithms.ts` habit).
 *
 * Why the token hot path uses node:crypto directly and not jose:
 * - jose cannot import or use RSASSA-PSS keys (SPKI OID `id-RSASSA-PSS`, as made by Oracle's
 *   SuiteScript command `openssl req … -newkey rsa-pss …`): `importX509`, `importSPKI` and
 *   KeyObjects of type `rsa-pss` are all rejected. `crypto.verify` with `RSA_PKCS1_PSS_PADDING`
 *   verifies them fine.
 * - Speed: the KeyObject is built once per certificate (`prepareVerificationKey`) and kept warm
 *   in a cache; each verification is then one synchronous `crypto.verify` call with a
 *   pre-built options object, no PEM parsing, no promise, no per-call allocation beyond the
 *   signing-input buffer when it is handed in as a string.
 */
import {
  constants as cryptoConstants,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { EC_CURVE_BITS, type EcCurve } from '../domain/certificate-policy.ts';
import { invalidInput } from '../domain/errors.ts';
import type { CertificateFacts } from '../domain/mapping.ts';

export type AssertionAlg = 'ES256' | 'ES384' | 'ES512' | 'PS256' | 'PS384' | 'PS512';
/** The curves and their sizes are the certificate policy's; the registry only uses them. */
export { EC_CURVE_BITS, type EcCurve };
export type HashName = 'sha256' | 'sha384' | 'sha512';

/** Every assertion algorithm certmint accepts, in display order. Never RS*, HS* or `none`. */
export const ASSERTION_ALGS: readonly AssertionAlg[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
]);

interface AlgSpecBase {
  readonly alg: AssertionAlg;
  readonly hash: HashName;
  /** Digest length in bytes; for PS* it is also the PSS salt length (RFC 7518 §3.5). */
  readonly hashLength: 32 | 48 | 64;
}
export interface EcAlgSpec extends AlgSpecBase {
  readonly family: 'ec';
  readonly curve: EcCurve;
  /** JWS ECDSA signatures are raw r||s, each padded to the curve size (RFC 7518 §3.4). */
  readonly signatureLength: 64 | 96 | 132;
}
export interface RsaAlgSpec extends AlgSpecBase {
  readonly family: 'rsa';
}
export type AlgSpec = EcAlgSpec | RsaAlgSpec;

export const ALGORITHMS: Readonly<Record<AssertionAlg, AlgSpec>> = Object.freeze({
  ES256: {
    alg: 'ES256',
    family: 'ec',
    hash: 'sha256',
    hashLength: 32,
    curve: 'P-256',
    signatureLength: 64,
  },
  ES384: {
    alg: 'ES384',
    family: 'ec',
    hash: 'sha384',
    hashLength: 48,
    curve: 'P-384',
    signatureLength: 96,
  },
  // P-521: 521 bits round up to 66 bytes per coordinate, so 132 (not 130) bytes.
  ES512: {
    alg: 'ES512',
    family: 'ec',
    hash: 'sha512',
    hashLength: 64,
    curve: 'P-521',
    signatureLength: 132,
  },
  PS256: { alg: 'PS256', family: 'rsa', hash: 'sha256', hashLength: 32 },
  PS384: { alg: 'PS384', family: 'rsa', hash: 'sha384', hashLength: 48 },
  PS512: { alg: 'PS512', family: 'rsa', hash: 'sha512', hashLength: 64 },
});

export const isAssertionAlg = (s: unknown): s is AssertionAlg =>
  typeof s === 'string' && Object.hasOwn(ALGORITHMS, s);

/** OpenSSL / Node curve names → JOSE names. Anything not listed here is refused. */
const NODE_CURVES: Readonly<Record<string, EcCurve>> = Object.freeze({
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
});

/** The JOSE name of a Node/OpenSSL curve name, or null when certmint does not accept it. */
export const curveFromNodeName = (name: string | undefined): EcCurve | null =>
  name !== undefined && Object.hasOwn(NODE_CURVES, name) ? (NODE_CURVES[name] ?? null) : null;

/** Options object for `crypto.verify` / `crypto.sign`, built once per (key, alg). */
type KeyInput =
  | { key: KeyObject; dsaEncoding: 'ieee-p1363' }
  | { key: KeyObject; padding: number; saltLength: number };

/** A public key ready for the hot path. Build it once per certificate and cache it. */
export interface VerificationKey {
  readonly family: 'ec' | 'rsa';
  /** EC: the curve; RSA: null. */
  readonly curve: EcCurve | null;
  /** RSA modulus bits, or the EC curve size (256/384/521). */
  readonly keySize: number;
  readonly keyObject: KeyObject;
  /** Pre-built `crypto.verify` key inputs for exactly the algorithms this key may use. */
  readonly inputs: Readonly<Partial<Record<AssertionAlg, KeyInput>>>;
}

function keyInputFor(spec: AlgSpec, key: KeyObject): KeyInput {
  return spec.family === 'ec'
    ? { key, dsaEncoding: 'ieee-p1363' }
    : {
        key,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        // RFC 7518 §3.5: the salt length equals the hash output length.
        saltLength: spec.hashLength,
      };
}

/** Describes a KeyObject (public or private) in registry terms, or null if it is not usable. */
function describeKey(
  key: KeyObject,
): { family: 'ec' | 'rsa'; curve: EcCurve | null; keySize: number } | null {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails;
  if (type === 'ec') {
    const curve = curveFromNodeName(details?.namedCurve);
    return curve === null ? null : { family: 'ec', curve, keySize: EC_CURVE_BITS[curve] };
  }
  if (type === 'rsa' || type === 'rsa-pss') {
    return { family: 'rsa', curve: null, keySize: details?.modulusLength ?? 0 };
  }
  return null;
}

/**
 * Builds the warm KeyObject of a certificate once. Accepts the facts of an accepted
 * certificate, its PEM, or a public KeyObject. Throws `crypto.unsupported_key` for a key the
 * registry does not know (the certificate policy refuses those long before this point).
 */
export function prepareVerificationKey(
  source: CertificateFacts | string | KeyObject,
): VerificationKey {
  let keyObject: KeyObject;
  if (typeof source === 'string') keyObject = new X509Certificate(source).publicKey;
  else if ('pem' in source) keyObject = new X509Certificate(source.pem).publicKey;
  else keyObject = source;
  const d = describeKey(keyObject);
  if (d === null) {
    throw invalidInput(
      'crypto.unsupported_key',
      'This key cannot verify assertions: use an EC key on P-256, P-384 or P-521, or an RSA key',
    );
  }
  const inputs: Partial<Record<AssertionAlg, KeyInput>> = {};
  for (const alg of ASSERTION_ALGS) {
    const spec = ALGORITHMS[alg];
    if (specMatches(spec, d.family, d.curve)) inputs[alg] = keyInputFor(spec, keyObject);
  }
  return Object.freeze({ ...d, keyObject, inputs: Object.freeze(inputs) });
}

const specMatches = (spec: AlgSpec, family: 'ec' | 'rsa', curve: EcCurve | null): boolean =>
  spec.family === family && (spec.family === 'rsa' || spec.curve === curve);

/**
 * Whether `alg` may be used with `key`: ES256↔P-256, ES384↔P-384, ES512↔P-521 only;
 * PS256/384/512 ↔ RSA of either SPKI type (rsaEncryption or RSASSA-PSS).
 */
export function algMatchesKey(alg: AssertionAlg, key: VerificationKey | KeyObject): boolean {
  if ('inputs' in key) return key.inputs[alg] !== undefined;
  const d = describeKey(key);
  return d !== null && specMatches(ALGORITHMS[alg], d.family, d.curve);
}

/**
 * Verifies a JWS signature. Synchronous; returns false (never throws) for a wrong algorithm for
 * the key, a wrong-length ECDSA signature, or a key whose own PSS restrictions refuse the hash.
 */
export function verifySignature(
  alg: AssertionAlg,
  key: VerificationKey,
  signingInput: Buffer | string,
  signature: Buffer,
): boolean {
  const input = key.inputs[alg];
  if (input === undefined) return false;
  const spec = ALGORITHMS[alg];
  // RFC 7518 §3.4: a DER or truncated ECDSA signature is simply invalid.
  if (spec.family === 'ec' && signature.length !== spec.signatureLength) return false;
  const data = typeof signingInput === 'string' ? Buffer.from(signingInput, 'utf8') : signingInput;
  try {
    return cryptoVerify(spec.hash, data, input, signature);
  } catch {
    // e.g. an RSASSA-PSS SPKI restricted to another hash: not a valid signature for this alg.
    return false;
  }
}

/**
 * Signs a JWS signing input with a private key (tests, CLI and quickstart; the server signs
 * access tokens elsewhere). Throws when the key does not fit the algorithm.
 */
export function createSignature(
  alg: AssertionAlg,
  privateKey: KeyObject,
  signingInput: Buffer | string,
): Buffer {
  const spec = ALGORITHMS[alg];
  if (privateKey.type !== 'private' || !algMatchesKey(alg, privateKey)) {
    const needs = spec.family === 'ec' ? `an EC ${spec.curve} private key` : 'an RSA private key';
    throw invalidInput(
      'crypto.key_alg_mismatch',
      `This key cannot sign ${alg}: ${alg} needs ${needs}`,
    );
  }
  const data = typeof signingInput === 'string' ? Buffer.from(signingInput, 'utf8') : signingInput;
  return cryptoSign(spec.hash, data, keyInputFor(spec, privateKey));
}

/**
 * The algorithm a client should use with a key (public or private): P-256→ES256,
 * P-384→ES384, P-521→ES512, RSA (either SPKI type)→PS256.
 */
export function algForKey(key: KeyObject): AssertionAlg {
  const d = describeKey(key);
  if (d === null) {
    throw invalidInput(
      'crypto.unsupported_key',
      'No assertion algorithm fits this key: use an EC key on P-256, P-384 or P-521 (ES256/ES384/ES512) or an RSA 3072/4096-bit key (PS256)',
    );
  }
  if (d.family === 'rsa') return 'PS256';
  return d.curve === 'P-256' ? 'ES256' : d.curve === 'P-384' ? 'ES384' : 'ES512';
}
