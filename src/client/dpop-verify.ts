/**
 * DPoP on a resource server (RFC 9449 §4.3, §7.1): the request's proof is checked against the
 * access token it comes with. jose verifies the signature; the rest are the RFC's checks, each
 * with its own InvalidDpopProofError reason. Proofs are remembered (jti per key) in a bounded
 * in-memory cache for as long as they could be accepted, so a copied proof is refused.
 */
import {
  calculateJwkThumbprint,
  decodeProtectedHeader,
  importJWK,
  type JWK,
  jwtVerify,
} from 'jose';
import { athOf, htuOf } from './dpop.ts';
import { InvalidDpopProofError, type InvalidDpopProofReason } from './errors.ts';
import { ASSERTION_ALGS } from './keys.ts';

/** The proof algorithms accepted (and advertised in the DPoP challenge): asymmetric only. */
export const DPOP_ALGS: readonly string[] = ASSERTION_ALGS;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_PROOF_LENGTH = 8 * 1024;

/** What the resource server received besides the token. */
export interface DpopRequest {
  /** The `DPoP` header(s) as received; several, or none, are refused. */
  proof: string | readonly string[] | undefined;
  /** HTTP method of the request. */
  method: string;
  /** The absolute URL the client addressed (query and fragment are ignored). */
  url: string;
}

export interface DpopVerifyBounds {
  /** A proof's iat may be this old, in seconds. Default 60. */
  maxAgeSeconds?: number;
  /** Proofs remembered for replay detection; the oldest go first when full. Default 50 000. */
  replayCacheSize?: number;
}

const fail = (reason: InvalidDpopProofReason, message: string, cause?: unknown): never => {
  throw new InvalidDpopProofError(reason, `DPoP proof refused (${reason}): ${message}`, cause);
};

/** jti per key, kept until the proof could no longer be accepted anyway. */
export class ProofReplayCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max: number) {}

  /** True the first time; false while a claim of `key` lives. */
  claim(key: string, expiresAt: number, now: number): boolean {
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    if (this.seen.size >= this.max) {
      for (const [k, t] of this.seen) if (t <= now) this.seen.delete(k);
      // Still full: drop the oldest claim (insertion order), the next one to expire.
      const oldest = this.seen.keys().next();
      if (this.seen.size >= this.max && !oldest.done) this.seen.delete(oldest.value);
    }
    this.seen.delete(key);
    this.seen.set(key, expiresAt);
    return true;
  }
}

/** Checks `req`'s proof for `token` bound to `jkt`; throws InvalidDpopProofError. */
export async function checkDpopProof(
  req: DpopRequest,
  token: string,
  jkt: string,
  nowMs: number,
  maxAgeS: number,
  replay: ProofReplayCache,
): Promise<void> {
  const proof = typeof req.proof === 'string' ? req.proof : undefined;
  if (proof === undefined || proof.includes(',')) {
    return fail('missing', 'exactly one DPoP header is needed');
  }
  if (proof.length > MAX_PROOF_LENGTH) return fail('malformed', 'too long');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch (e) {
    return fail('malformed', 'not a JWS', e);
  }
  if (header.typ !== 'dpop+jwt') fail('malformed', 'typ is not dpop+jwt');
  const alg = header.alg;
  if (typeof alg !== 'string' || !DPOP_ALGS.includes(alg)) {
    return fail('algorithm', `alg ${String(alg)} is not allowed`);
  }
  const jwk = header.jwk as JWK | undefined;
  if (typeof jwk !== 'object' || jwk === null || PRIVATE_MEMBERS.some((m) => m in jwk)) {
    return fail('malformed', 'the jwk header is not a public key');
  }
  let payload: Record<string, unknown>;
  try {
    const key = await importJWK(jwk, alg);
    ({ payload } = await jwtVerify(proof, key, {
      typ: 'dpop+jwt',
      algorithms: [alg],
      currentDate: new Date(nowMs),
    }));
  } catch (e) {
    return fail('signature', 'the signature does not verify with its jwk', e);
  }
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti === '' || typeof htm !== 'string' || typeof htu !== 'string') {
    return fail('malformed', 'jti, htm or htu is missing');
  }
  if (typeof iat !== 'number') return fail('malformed', 'iat is missing');
  if (htm !== req.method.toUpperCase()) fail('method', `htm ${htm} is not ${req.method}`);
  let same = false;
  try {
    same = htuOf(htu) === htuOf(req.url);
  } catch {
    same = false;
  }
  if (!same) fail('url', 'htu is not the URL of this request');
  const nowS = Math.floor(nowMs / 1000);
  if (iat < nowS - maxAgeS || iat > nowS + 5) fail('stale', 'iat is outside the accepted window');
  if (ath !== athOf(token)) fail('ath', 'ath is not the hash of this access token');
  if ((await calculateJwkThumbprint(jwk, 'sha256')) !== jkt) {
    fail('key', "the proof's key is not the one the token is bound to");
  }
  if (!replay.claim(`${jkt}|${jti}`, (iat + maxAgeS + 5) * 1000, nowMs)) {
    fail('replayed', 'this proof was used before');
  }
}
