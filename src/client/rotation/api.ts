/**
 * NetSuite's certificate rotation endpoint (OAuth 2.0 Client Credentials Certificate Rotation):
 *   GET  …/services/rest/auth/oauth2/v1/clients/{clientId}/certificates
 *   POST …/clients/{clientId}/certificates   {"fileContent": "<PEM>", "role": 1000, "entity": "-5"}
 *   POST …/clients/{clientId}/certificates/{certificateId}/revoke   (empty body)
 * with a bearer token of scope rest_webservices. NetSuite serves it on the account's RESTlet
 * domain; certmint under the account's issuer, next to the token endpoint.
 */
import type { DpopProver } from '../dpop.ts';
import { ConfigurationError } from '../errors.ts';
import { readBounded } from '../http-body.ts';
import type { FetchLike } from '../token-request.ts';
import { checkEndpointUrl } from '../token-url.ts';

const MAX_BODY_BYTES = 256 * 1024;

/** The rotation API refused or failed; `error` is the server's code when it gave one. */
export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly error: string | undefined,
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

export interface ApiCall {
  fetch: FetchLike;
  timeoutMs: number;
  /** The certificates collection URL of the client. */
  url: string;
  accessToken: string;
  /** Set when the token is DPoP-bound: each call sends `Authorization: DPoP` and a proof. */
  dpop?: DpopProver | undefined;
}

/**
 * `…/oauth2/v1/token` → `…/oauth2/v1/clients/{clientId}/certificates`; NetSuite's suitetalk host
 * becomes the RESTlet host, where Oracle documents the endpoint.
 */
export function certificatesUrlFor(tokenUrl: string, clientId: string): string {
  const url = new URL(tokenUrl);
  if (!url.pathname.endsWith('/token')) {
    throw new ConfigurationError(
      'the certificates URL cannot be derived from a token URL that does not end in /token: give certificatesUrl',
    );
  }
  url.hostname = url.hostname.replace(
    /\.suitetalk\.api\.netsuite\.com$/,
    '.restlets.api.netsuite.com',
  );
  url.pathname = `${url.pathname.slice(0, -'/token'.length)}/clients/${encodeURIComponent(clientId)}/certificates`;
  url.search = '';
  return checkEndpointUrl(url.href, 'certificatesUrl');
}

/** Server text in a message: one line, printable, bounded (a remote server chose it). */
const clean = (s: string) =>
  s
    .replace(/[^\x20-\x7E]+/g, ' ')
    .trim()
    .slice(0, 300);

const NEEDS_PERMISSION =
  'the certificate rotation API needs a role with "Manage own OAuth 2.0 Client Credentials Certificates" or "OAuth 2.0 Authorized Applications Management"';
const NEEDS_SCOPE =
  'the certificate rotation API needs an access token with the rest_webservices scope: check REST Web Services on the integration record';

function failure(res: Response, text: string): ApiFailure {
  const www = res.headers.get('www-authenticate') ?? '';
  if (res.status === 403 && /error\s*=\s*"?insufficient_scope/i.test(www)) {
    return new ApiFailure(NEEDS_SCOPE, res.status, 'insufficient_scope');
  }
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  const str = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? clean(v) : undefined);
  // certmint: {error, message}; OAuth: {error, error_description}; NetSuite REST: {title, o:errorDetails}.
  const details = Array.isArray(json?.['o:errorDetails']) ? json?.['o:errorDetails'][0] : undefined;
  const code =
    str(json?.error) ?? str((details as Record<string, unknown> | undefined)?.['o:errorCode']);
  const said =
    str(json?.message) ??
    str(json?.error_description) ??
    str((details as Record<string, unknown> | undefined)?.detail) ??
    str(json?.title) ??
    (json === undefined ? str(text) : undefined);
  if (res.status === 401) {
    return new ApiFailure(
      `the certificate rotation API refused the access token (HTTP 401${code ? ` ${code}` : ''})`,
      401,
      code ?? 'invalid_token',
    );
  }
  // Any other 403 is the role: NetSuite words it its own way, so its words follow ours.
  if (res.status === 403) {
    return new ApiFailure(
      `${NEEDS_PERMISSION}${said && said !== code ? ` (the server said: ${said})` : ''}`,
      403,
      code ?? 'forbidden',
    );
  }
  return new ApiFailure(
    `the certificate rotation API answered HTTP ${res.status}${code ? ` ${code}` : ''}${said ? `: ${said}` : ''}`,
    res.status,
    code,
  );
}

async function call(c: ApiCall, method: 'GET' | 'POST', url: string, body?: unknown) {
  let res: Response;
  try {
    res = await c.fetch(url, {
      method,
      headers: {
        ...(c.dpop === undefined
          ? { authorization: `Bearer ${c.accessToken}` }
          : {
              authorization: `DPoP ${c.accessToken}`,
              dpop: await c.dpop.proof(method, url, c.accessToken),
            }),
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      // A redirect would carry the bearer token elsewhere.
      redirect: 'manual',
      signal: AbortSignal.timeout(c.timeoutMs),
    });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    throw new ApiFailure(
      `${method} ${new URL(url).origin} failed: ${why}${cause}`,
      undefined,
      undefined,
    );
  }
  const text = await readBounded(res, MAX_BODY_BYTES);
  if (res.status < 200 || res.status > 299) throw failure(res, text);
  return text;
}

/** A day (`2026-03-01`, NetSuite's shape) or an ISO time → ms, or null. */
function dayOf(v: unknown): number | null {
  if (typeof v !== 'string') return null;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v);
  return Number.isFinite(ms) ? ms : null;
}

export interface Uploaded {
  certificateId: string;
  /** The end of validity the server recorded (a day), or null. */
  validUntil: number | null;
}

export async function upload(
  c: ApiCall,
  input: { fileContent: string; role: number; entity: string },
): Promise<Uploaded> {
  const text = await call(c, 'POST', c.url, input);
  let body: { certificate_id?: unknown; valid_until?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new ApiFailure(
      'the certificate rotation API answered the upload without JSON',
      200,
      undefined,
    );
  }
  if (typeof body.certificate_id !== 'string' || body.certificate_id === '') {
    throw new ApiFailure('the upload answer has no certificate_id', 200, undefined);
  }
  return { certificateId: body.certificate_id, validUntil: dayOf(body.valid_until) };
}

export async function revoke(c: ApiCall, certificateId: string): Promise<void> {
  await call(c, 'POST', `${c.url}/${encodeURIComponent(certificateId)}/revoke`);
}

export interface Listed {
  certificateId: string;
  validUntil: number | null;
  revoked: boolean;
  entity: string | null;
  role: number | null;
}

export async function list(c: ApiCall): Promise<Listed[]> {
  const text = await call(c, 'GET', c.url);
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    rows = undefined;
  }
  if (!Array.isArray(rows))
    throw new ApiFailure('the certificate list is not a JSON array', 200, undefined);
  return rows.flatMap((r: Record<string, unknown>) => {
    if (typeof r?.certificate_id !== 'string') return [];
    const entity = (r.entity as { id?: unknown } | undefined)?.id;
    const role = (r.role as { id?: unknown } | undefined)?.id;
    return [
      {
        certificateId: r.certificate_id,
        validUntil: dayOf(r.valid_until),
        revoked: r.revoked === true,
        entity: typeof entity === 'number' || typeof entity === 'string' ? String(entity) : null,
        role: typeof role === 'number' ? role : typeof role === 'string' ? Number(role) : null,
      },
    ];
  });
}
