/**
 * DPoP (RFC 9449) at the token endpoint and on protected resources: the request-bound checks of
 * §4.3 (htm, htu, iat, nonce, jti replay) and, on a resource, §7.1 (ath, the key of `cnf.jkt`).
 * The proof itself (form, typ, alg, jwk, signature) is crypto/dpop-proof.ts.
 *
 * Token endpoint, by the integration's mode (docs/http.md, "DPoP"):
 * - `off`: any DPoP header is ignored (RFC 9449 §5 lets the server) and a Bearer token issued;
 * - `allowed`: a valid proof binds the token (`cnf.jkt`, token_type DPoP); without one, Bearer;
 * - `required`: no token without a valid proof (400 invalid_dpop_proof, DpopProofMissing).
 * When the header is absent and the mode is not `required`, nothing here runs at all.
 */
import { createHash } from 'node:crypto';
import { DPOP_ALGS, type DpopProof, verifyDpopProof } from '../../crypto/dpop-proof.ts';
import type { DetailCode } from '../../domain/audit.ts';
import { seconds } from '../../domain/clock.ts';
import type { Integration } from '../../domain/integration.ts';
import { OAuthError } from '../../domain/oauth-error.ts';
import type { DpopNonces } from './dpop-nonce.ts';
import type { SenderContext } from './sender.ts';

/** A proof's iat may be this old (RFC 9449 §11.1: a short window limits pre-made proofs). */
export const DPOP_MAX_AGE_S = 60;
/** … and this far in the future (client clocks run ahead). */
export const DPOP_FUTURE_S = 5;
/** Replay records outlive the acceptance window by this much (clock skew between nodes). */
const REPLAY_SKEW_S = 60;

export interface ReplayClaim {
  key: string;
  expiresAt: number;
}

/** A proof that passed every check but the replay claim, which the caller makes. */
export interface AcceptedProof {
  jkt: string;
  replay: ReplayClaim;
}

const FAULT_DETAIL = {
  malformed: 'DpopProofMalformed',
  alg: 'DpopUnsupportedAlgo',
  signature: 'DpopSignatureValidation',
} as const satisfies Record<string, DetailCode>;

/** 400 invalid_dpop_proof (RFC 9449 §5): the audit detail says which check failed. */
const invalidProof = (detail: DetailCode, description?: string) =>
  new OAuthError('invalid_dpop_proof', detail, description);

/**
 * `htu` compared as RFC 9449 §4.3 step 9 asks: without query and fragment, after the
 * syntax-based normalization of RFC 3986 §6.2.2–6.2.3 that WHATWG URL parsing does (case of
 * scheme and host, default port, dot segments, percent-encoding case). Null if not a URL.
 */
export function normalizedHtu(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return null;
  }
}

/** Step 1 of §4.3: one header. Node joins repeated headers with ", " (a JWT has no comma). */
function oneProof(header: string | undefined): string | null {
  if (header === undefined) return null;
  return header.includes(',') ? '' : header;
}

export interface ProofCheck {
  header: string;
  method: string;
  url: string;
  nowMs: number;
  nonces: DpopNonces | null;
  /** Namespace of the replay key: the token endpoint and resources never share one. */
  replayScope: string;
}

/**
 * Every check of one proof but its replay claim; throws OAuthError invalid_dpop_proof (or
 * use_dpop_nonce) with the detail code of the first failing check.
 */
export async function checkProof(
  c: ProofCheck,
): Promise<{ proof: DpopProof; replay: ReplayClaim }> {
  const jwt = oneProof(c.header);
  if (!jwt) throw invalidProof('DpopProofMalformed');
  const proof = await verifyDpopProof(jwt);
  if (typeof proof === 'string') throw invalidProof(FAULT_DETAIL[proof]);
  const { claims } = proof;
  if (claims.htm !== c.method) throw invalidProof('DpopWrongMethod');
  const htu = normalizedHtu(claims.htu);
  if (htu === null || htu !== normalizedHtu(c.url)) throw invalidProof('DpopWrongUrl');
  const nowS = seconds(c.nowMs);
  if (claims.iat < nowS - DPOP_MAX_AGE_S || claims.iat > nowS + DPOP_FUTURE_S) {
    throw invalidProof('DpopProofStale');
  }
  if (c.nonces !== null && !c.nonces.accepts(claims.nonce)) {
    // RFC 9449 §8: the error carries a nonce the client puts in its next proof.
    throw new OAuthError(
      'use_dpop_nonce',
      'DpopNonceRequired',
      'Authorization server requires nonce in DPoP proof',
      {
        dpopNonce: c.nonces.issue(),
      },
    );
  }
  // The jti is hashed: the key stays short whatever the client sent (≤ 256 characters).
  const jti = createHash('sha256').update(claims.jti).digest('base64url');
  return {
    proof,
    replay: {
      key: `dpop|${c.replayScope}|${proof.jkt}|${jti}`,
      expiresAt: (Math.floor(claims.iat) + DPOP_MAX_AGE_S + REPLAY_SKEW_S) * 1000,
    },
  };
}

/**
 * The token endpoint's decision (see the file comment): null for a Bearer token, else the
 * accepted proof whose key the token is bound to.
 */
export async function tokenEndpointProof(
  integration: Integration,
  sender: SenderContext,
  c: Omit<ProofCheck, 'header' | 'method'>,
): Promise<AcceptedProof | null> {
  if (integration.dpop === 'off') return null;
  if (sender.dpopProof === undefined) {
    if (integration.dpop === 'required') {
      throw invalidProof('DpopProofMissing', 'this client must send a DPoP proof (RFC 9449)');
    }
    return null;
  }
  const { proof, replay } = await checkProof({ ...c, header: sender.dpopProof, method: 'POST' });
  return { jkt: proof.jkt, replay };
}

export { DPOP_ALGS };
