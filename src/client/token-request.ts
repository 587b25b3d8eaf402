import type { DpopProver } from './dpop.ts';
import { NetworkError, TokenRequestError } from './errors.ts';
import { readBounded } from './http-body.ts';
import type { RetryPolicy } from './retry.ts';

/** The token endpoint's success answer (RFC 6749 §5.1), with any extra members kept. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  [member: string]: unknown;
}

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface TokenRequestInput {
  fetch: FetchLike;
  tokenUrl: string;
  /** A fresh assertion per attempt: the server may have consumed the previous one's jti. */
  makeAssertion: () => Promise<string>;
  policy: RetryPolicy;
  timeoutMs: number;
  hint: string;
  /** Sends a DPoP proof with each attempt (RFC 9449 §5) and accepts `token_type: DPoP`. */
  dpop?: DpopProver | undefined;
}

const MAX_BODY_BYTES = 64 * 1024;
/** RFC 6749 §5.2: `error` is NQSCHAR only. Anything else did not come from an OAuth server. */
const OAUTH_ERROR = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

type Outcome = { ok: TokenResponse } | { retry: TokenRequestError } | { fail: TokenRequestError };

/**
 * POSTs `client_credentials` with a JWT client assertion (RFC 7523 §2.2), exactly the three
 * form fields NetSuite documents. Retries network errors and 5xx with backoff; 4xx is final
 * (the same assertion problem would recur, and every refused attempt lands in the audit trail).
 */
export async function requestToken(r: TokenRequestInput): Promise<TokenResponse> {
  let nonceRetried = false;
  for (let attempt = 1; ; attempt++) {
    let outcome: Outcome;
    try {
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await r.makeAssertion(),
      });
      const res = await r.fetch(r.tokenUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          ...(r.dpop && { dpop: await r.dpop.proof('POST', r.tokenUrl) }),
        },
        body: body.toString(),
        // Never follow a redirect: it would carry the assertion to another URL. A 3xx is final.
        redirect: 'manual',
        signal: AbortSignal.timeout(r.timeoutMs),
      });
      const newNonce = r.dpop?.remember(r.tokenUrl, res.headers) ?? false;
      outcome = await interpret(res, attempt, r.hint, r.dpop !== undefined);
      // RFC 9449 §8: the server wants its nonce in the proof; once, not counted as an attempt.
      if (
        'fail' in outcome &&
        outcome.fail.error === 'use_dpop_nonce' &&
        newNonce &&
        !nonceRetried
      ) {
        nonceRetried = true;
        attempt -= 1;
        continue;
      }
    } catch (e) {
      if (attempt >= r.policy.attempts) {
        const why = e instanceof Error ? (causeMessage(e) ?? e.message) : String(e);
        throw new NetworkError(
          `token request to ${new URL(r.tokenUrl).origin} failed after ${attempt} attempt(s): ${why}`,
          attempt,
          e,
        );
      }
      await r.policy.sleep(r.policy.delay(attempt));
      continue;
    }
    if ('ok' in outcome) return outcome.ok;
    if ('fail' in outcome || attempt >= r.policy.attempts) {
      throw 'fail' in outcome ? outcome.fail : outcome.retry;
    }
    await r.policy.sleep(r.policy.delay(attempt));
  }
}

function causeMessage(e: Error): string | undefined {
  // undici reports "fetch failed" and puts the useful part (ECONNREFUSED …) in `cause`.
  const c = e.cause;
  return c instanceof Error ? `${e.message}: ${c.message}` : undefined;
}

async function interpret(
  res: Response,
  attempts: number,
  hint: string,
  dpop: boolean,
): Promise<Outcome> {
  const text = await readBounded(res, MAX_BODY_BYTES);
  const json = parseJson(text);
  if (res.status >= 200 && res.status < 300) {
    const t = json as Partial<TokenResponse> | undefined;
    if (
      t &&
      typeof t.access_token === 'string' &&
      t.access_token !== '' &&
      typeof t.token_type === 'string' &&
      // RFC 6749 §5.1: case-insensitive; NetSuite documents "bearer" and sends "Bearer". A
      // DPoP client may get either: the server decides whether to bind (RFC 9449 §5).
      (t.token_type.toLowerCase() === 'bearer' ||
        (dpop && t.token_type.toLowerCase() === 'dpop')) &&
      typeof t.expires_in === 'number' &&
      Number.isFinite(t.expires_in) &&
      t.expires_in > 0
    ) {
      return { ok: t as TokenResponse };
    }
    return {
      fail: new TokenRequestError({
        error: 'unexpected_response',
        errorDescription: 'a 2xx answer without a usable bearer token',
        status: res.status,
        hint,
        attempts,
      }),
    };
  }
  const body = json as { error?: unknown; error_description?: unknown } | undefined;
  const error =
    typeof body?.error === 'string' && OAUTH_ERROR.test(body.error)
      ? body.error
      : 'unexpected_response';
  const desc =
    typeof body?.error_description === 'string' && OAUTH_ERROR.test(body.error_description)
      ? body.error_description
      : undefined;
  const err = new TokenRequestError({
    error,
    errorDescription: desc,
    status: res.status,
    hint,
    attempts,
  });
  return res.status >= 500 ? { retry: err } : { fail: err };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
