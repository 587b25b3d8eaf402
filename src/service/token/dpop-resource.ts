/**
 * DPoP on certmint's own protected resources (whoami, the rotation and admin APIs), RFC 9449
 * §7.1: a token bound to a key (`cnf.jkt`) is good only as `Authorization: DPoP <token>` with a
 * proof of that key for this very request (htm, htu, `ath` of this token, fresh iat, unused
 * jti); sent as Bearer it is refused. Refusals are 401 with a `DPoP` challenge naming the
 * algorithms (§7.1, §12.2). Like Bearer refusals on resources they are not audited: the audit
 * trail records the token endpoints.
 */
import { accessTokenHash, DPOP_ALGS } from '../../crypto/dpop-proof.ts';
import type { DetailCode } from '../../domain/audit.ts';
import { OAuthError } from '../../domain/oauth-error.ts';
import type { ActiveToken } from './active-token.ts';
import { checkProof, type ReplayClaim } from './dpop.ts';
import type { SenderContext } from './sender.ts';

/** 401 with `WWW-Authenticate: DPoP …, error="<error>", algs="…"`. */
export const dpopChallenge = (
  error: 'invalid_token' | 'invalid_dpop_proof',
  detail: DetailCode | null = null,
  description?: string,
) => new OAuthError(error, detail, description, { status: 401, dpopAlgs: DPOP_ALGS });

/**
 * 403 insufficient_scope (RFC 6750 §3.1); for the DPoP scheme with a DPoP challenge (RFC 9449
 * §7.1). The description may name the scope: the token is good, nothing secret is told.
 */
export const insufficientScope = (scheme: 'Bearer' | 'DPoP', scope: string) =>
  new OAuthError(
    'insufficient_scope',
    null,
    `this resource needs an access token with the ${scope} scope`,
    scheme === 'DPoP' ? { dpopAlgs: DPOP_ALGS } : {},
  );

/** A bound token presented as Bearer: refused, the challenge says which scheme to use. */
export function refuseBoundBearer(active: ActiveToken): void {
  if (active.claims.cnf?.jkt !== undefined) {
    throw dpopChallenge(
      'invalid_token',
      null,
      'this access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof',
    );
  }
}

export interface ResourceDeps {
  validate(token: string): Promise<ActiveToken | null>;
  claim(replay: ReplayClaim): Promise<boolean>;
  accountId: string;
  nowMs: number;
}

/** `Authorization: DPoP <token>` with its proof: the active token, or a DPoP challenge. */
export async function validateDpopRequest(
  d: ResourceDeps,
  token: string,
  sender: SenderContext,
): Promise<ActiveToken> {
  const active = await d.validate(token);
  if (active === null) throw dpopChallenge('invalid_token');
  const jkt = active.claims.cnf?.jkt;
  if (jkt === undefined) {
    throw dpopChallenge(
      'invalid_token',
      null,
      'this access token is not DPoP-bound: send it as Authorization: Bearer',
    );
  }
  if (sender.dpopProof === undefined || sender.method === undefined || sender.url === undefined) {
    throw dpopChallenge('invalid_dpop_proof');
  }
  let checked: Awaited<ReturnType<typeof checkProof>>;
  try {
    checked = await checkProof({
      header: sender.dpopProof,
      method: sender.method,
      url: sender.url,
      nowMs: d.nowMs,
      nonces: null,
      replayScope: `resource|${d.accountId}`,
    });
  } catch (e) {
    if (e instanceof OAuthError) throw dpopChallenge('invalid_dpop_proof', e.detail);
    throw e;
  }
  // §4.3 step 11 / §7.1: the proof names this token and is made by the token's key.
  if (checked.proof.claims.ath !== accessTokenHash(token))
    throw dpopChallenge('invalid_dpop_proof');
  if (checked.proof.jkt !== jkt) throw dpopChallenge('invalid_dpop_proof');
  if (!(await d.claim(checked.replay))) {
    throw dpopChallenge('invalid_dpop_proof', 'DpopProofReplayed');
  }
  return active;
}
