/**
 * What the certificate's public key is, read from the SubjectPublicKeyInfo itself: Node's
 * KeyObject gives sizes and curve names but reports an EC key with explicit curve parameters as
 * the named curve, so the AlgorithmIdentifier decides and Node only supplies the numbers.
 */
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { policy } from '../domain/errors.ts';
import type { CertificateFacts } from '../domain/mapping.ts';
import { EC_CURVE_BITS, type EcCurve } from './algorithms.ts';
import { C, MAKE_NEW, unreadable } from './certificate-refusals.ts';
import { OID, readSpkiAlgorithm } from './der.ts';

export const ACCEPTED_RSA_BITS: readonly number[] = [3072, 4096];

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

export type KeyFacts = Pick<CertificateFacts, 'algorithm' | 'keyType' | 'keySize' | 'curve'>;

/** The key's facts, or a refusal for anything but RSA 3072/4096 and named EC P-256/384/521. */
export function keyFacts(spki: Uint8Array, node: NodeX509): KeyFacts {
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
