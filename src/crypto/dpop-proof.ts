/**
 * DPoP proof JWTs (RFC 9449 §4.2): the structural and cryptographic checks of §4.3 steps 2–7
 * (one well-formed JWT, typ `dpop+jwt`, an asymmetric algorithm of the one registry, a public
 * `jwk` in the header, a signature by that key). The request-bound checks (htm, htu, iat,
 * nonce, ath, jti replay) need the clock, the request and the store: service/token/dpop.ts.
 * Verification uses the registry's node:crypto path, so a DPoP key is held to exactly the
 * algorithms and key families of client assertions.
 */
import { createHash, createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  algMatchesKey,
  isAssertionAlg,
  prepareVerificationKey,
  verifySignature,
} from './algorithms.ts';
import { isRecord, parseCompactJws } from './jws.ts';

/**
 * jose is loaded with the first DPoP proof, not at start: its ESM build is ~180 modules, and
 * every CLI command opens the services this module belongs to (measured: docs/performance.md).
 */
let jose: Promise<typeof import('jose')> | null = null;
const thumbprint = async (jwk: JsonWebKey): Promise<string> => {
  jose ??= import('jose');
  return (await jose).calculateJwkThumbprint(jwk as import('jose').JWK, 'sha256');
};

/** The DPoP algorithms are the assertion algorithms: asymmetric only (RFC 9449 §4.2). */
export const DPOP_ALGS: readonly AssertionAlg[] = ASSERTION_ALGS;
/** Far above an honest proof (a PS512 proof with a 4096-bit jwk is ~1.9 KB). */
export const MAX_DPOP_PROOF_LENGTH = 8 * 1024;
/** RFC 7518 §3.3/§3.5: RSA keys of at least 2048 bits. */
const MIN_RSA_BITS = 2048;
const MAX_JTI_LENGTH = 256;

/** Why a proof is no proof: its form, its algorithm (or key), or its signature. */
export type DpopProofFault = 'malformed' | 'alg' | 'signature';

export interface DpopProofClaims {
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath?: string;
  nonce?: string;
}

export interface DpopProof {
  alg: AssertionAlg;
  /** RFC 7638 SHA-256 thumbprint of the proof's key: the token's `cnf.jkt` (RFC 9449 §6.1). */
  jkt: string;
  claims: DpopProofClaims;
}

/** Members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The required public members only (RFC 7638 §3.2), or null for anything else. */
function publicJwk(jwk: unknown): Record<string, string> | null {
  if (!isRecord(jwk) || PRIVATE_MEMBERS.some((m) => m in jwk)) return null;
  const str = (k: string) => (typeof jwk[k] === 'string' && jwk[k] !== '' ? jwk[k] : null);
  if (jwk.kty === 'EC') {
    const [crv, x, y] = [str('crv'), str('x'), str('y')];
    return crv && x && y ? { kty: 'EC', crv, x, y } : null;
  }
  if (jwk.kty === 'RSA') {
    const [n, e] = [str('n'), str('e')];
    return n && e ? { kty: 'RSA', n, e } : null;
  }
  return null;
}

function claimsOf(c: Record<string, unknown>): DpopProofClaims | null {
  const { jti, htm, htu, iat, ath, nonce } = c;
  if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) return null;
  if (typeof htm !== 'string' || typeof htu !== 'string') return null;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return null;
  if (ath !== undefined && typeof ath !== 'string') return null;
  if (nonce !== undefined && typeof nonce !== 'string') return null;
  return {
    jti,
    htm,
    htu,
    iat,
    ...(ath === undefined ? {} : { ath }),
    ...(nonce === undefined ? {} : { nonce }),
  };
}

/**
 * Checks one proof as RFC 9449 §4.3 steps 2–7 ask; never throws on input. The caller has
 * already made sure there was exactly one `DPoP` header (step 1).
 */
export async function verifyDpopProof(jwt: string): Promise<DpopProof | DpopProofFault> {
  const jws = parseCompactJws(jwt, MAX_DPOP_PROOF_LENGTH);
  if (jws === null) return 'malformed';
  const { header, payload } = jws;
  // §4.2: explicit typing keeps other JWTs (assertions, access tokens) from passing as proofs.
  if (header.typ !== 'dpop+jwt') return 'malformed';
  const alg = header.alg;
  if (!isAssertionAlg(alg)) return 'alg';
  const jwk = publicJwk(header.jwk);
  if (jwk === null) return 'malformed';
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
  } catch {
    return 'malformed';
  }
  if (!algMatchesKey(alg, keyObject)) return 'alg';
  const key = prepareVerificationKey(keyObject);
  if (key.family === 'rsa' && key.keySize < MIN_RSA_BITS) return 'alg';
  if (!verifySignature(alg, key, jws.signingInput, jws.signature)) return 'signature';
  const claims = claimsOf(payload);
  if (claims === null) return 'malformed';
  return { alg, jkt: await thumbprint(jwk), claims };
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII bytes. */
export const accessTokenHash = (token: string): string =>
  createHash('sha256').update(token, 'ascii').digest('base64url');
