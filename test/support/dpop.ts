/**
 * DPoP proofs for tests, made with jose (independent of the server's verify path): a key pair
 * and a `proof()` whose claims and header each test may override (undefined removes a member).
 */
import {
  constants,
  createHash,
  createPublicKey,
  sign as cryptoSign,
  type KeyObject,
  randomUUID,
} from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
  /** A proof for `htm` `htu` now (seconds), with overrides. */
  proof(
    htm: string,
    htu: string,
    nowS: number,
    claims?: Record<string, unknown>,
    header?: Record<string, unknown>,
  ): Promise<string>;
}

export const ath = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

const strip = (o: Record<string, unknown>) => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
};

export async function dpopKey(
  alg = 'ES256',
  opts: { modulusLength?: number } = {},
): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(opts.modulusLength && { modulusLength: opts.modulusLength }),
  });
  const jwk = await exportJWK(publicKey);
  return {
    alg,
    privateKey,
    jwk,
    proof(htm, htu, nowS, claims = {}, header = {}) {
      const payload = strip({ jti: randomUUID(), htm, htu, iat: nowS, ...claims });
      const h = strip({ alg, typ: 'dpop+jwt', jwk, ...header });
      return new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(privateKey);
    },
  };
}

/**
 * A proof signed with node:crypto, for what jose refuses to make: a `crit` header, a key below
 * jose's minimum size. ES256 (P-1363) or PS256 only.
 */
export function rawProof(
  alg: 'ES256' | 'PS256',
  privateKey: KeyObject,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  const b = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const input = `${b({ alg, typ: 'dpop+jwt', jwk: createPublicKey(privateKey).export({ format: 'jwk' }), ...header })}.${b(payload)}`;
  const sig = cryptoSign(
    'sha256',
    Buffer.from(input),
    alg === 'ES256'
      ? { key: privateKey, dsaEncoding: 'ieee-p1363' }
      : { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  );
  return `${input}.${sig.toString('base64url')}`;
}
