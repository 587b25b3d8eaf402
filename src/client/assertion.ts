import { constants, randomUUID, sign } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from './keys.ts';

export type ScopeFormat = 'array' | 'comma';

export interface AssertionInput {
  signingKey: SigningKey;
  certificateId: string;
  clientId: string;
  audience: string;
  scopes: readonly string[];
  scopeFormat: ScopeFormat;
  /** Milliseconds since the epoch. */
  nowMs: number;
  /** `exp − iat`, seconds. */
  lifetimeSeconds: number;
}

/**
 * `iat` is set this far in the past: a client clock slightly ahead of the server's makes the
 * server see a token "issued in the future" (NetSuite: TokenNotAcceptable).
 */
export const IAT_BACKDATE_SECONDS = 5;

const HASH_BYTES: Record<string, number> = { PS256: 32, PS384: 48, PS512: 64 };

/**
 * Mints a fresh client assertion (RFC 7523 §3). A new one for every token request, with a unique
 * `jti`, because a server accepts each assertion once.
 */
export async function createAssertion(a: AssertionInput): Promise<string> {
  const iat = Math.floor(a.nowMs / 1000) - IAT_BACKDATE_SECONDS;
  const header = { typ: 'JWT', alg: a.signingKey.alg, kid: a.certificateId };
  const claims = {
    iss: a.clientId,
    scope: a.scopeFormat === 'comma' ? a.scopes.join(',') : [...a.scopes],
    aud: a.audience,
    iat,
    exp: iat + a.lifetimeSeconds,
    jti: randomUUID(),
  };
  if (a.signingKey.rsaPss) return signWithNode(header, claims, a.signingKey);
  return new SignJWT(claims).setProtectedHeader(header).sign(a.signingKey.key);
}

/**
 * jose cannot import or use `id-RSASSA-PSS` keys (SPKI or PKCS#8), so those are signed by
 * node:crypto. RFC 7518 §3.5: PS* uses MGF1 with the same hash and a salt as long as the hash.
 */
function signWithNode(header: object, claims: object, k: SigningKey): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const hash = `sha${k.alg.slice(2)}`;
  const sig = sign(hash, Buffer.from(input), {
    key: k.key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: HASH_BYTES[k.alg] ?? 32,
  });
  return `${input}.${sig.toString('base64url')}`;
}

function b64url(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64url');
}
