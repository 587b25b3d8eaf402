import { ConfigurationError } from './errors.ts';

/**
 * NetSuite account ids: production `123456` or `TSTDRV123`, sandbox `_SB<n>`, release preview
 * `_RP`. Anchored and without any character a URL gives meaning to (`.`, `/`, `?`, `#`, `@`,
 * `:`), so a crafted id can never move the host: the assertion would be posted, and could be
 * replayed, wherever the URL points.
 */
const ACCOUNT_ID = /^(?:[0-9]+|TSTDRV[0-9]+)(?:_SB[0-9]+|_RP)?$/i;

/** The path of the token endpoint under an account host (NetSuite) or issuer (certmint). */
export const TOKEN_PATH = '/services/rest/auth/oauth2/v1/token';

/** Whether `id` is a well-formed NetSuite account id (case-insensitive). */
export function isAccountId(id: string): boolean {
  return ACCOUNT_ID.test(id);
}

/** `123456_SB1` → `123456-sb1`: lower case, `_` → `-`, as NetSuite's account-specific hosts. */
export function accountHostForm(accountId: string): string {
  if (!isAccountId(accountId)) {
    throw new ConfigurationError(
      `invalid NetSuite account id ${JSON.stringify(accountId)}: expected digits or TSTDRV<digits>, ` +
        'optionally followed by _SB<n> or _RP (e.g. 123456, 123456_SB1, TSTDRV1234567)',
    );
  }
  return accountId.toLowerCase().replaceAll('_', '-');
}

/** Real NetSuite's token endpoint for an account id, which is validated strictly first. */
export function netsuiteTokenUrl(accountId: string): string {
  const host = `${accountHostForm(accountId)}.suitetalk.api.netsuite.com`;
  const url = new URL(`https://${host}${TOKEN_PATH}`);
  // Belt and braces: the regex already rules this out.
  if (url.hostname !== host) throw new ConfigurationError('account id changed the token host');
  return url.href;
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    /^127\.(?:[0-9]{1,3}\.){2}[0-9]{1,3}$/.test(hostname)
  );
}

/**
 * Checks a caller-given endpoint URL: https, or plain http on a loopback host only (local
 * development and tests). For the token URL because the assertion is a bearer credential until
 * it expires; for a JWKS URL because whoever answers it decides which tokens are valid.
 * Returns the normalized URL (for the token URL, also the assertion's `aud`).
 */
export function checkEndpointUrl(raw: string, name = 'tokenUrl'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError(`${name} is not an absolute URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new ConfigurationError(
      `${name} must use https (plain http is allowed only for localhost/127.0.0.1/[::1]): ${url.origin}`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError(`${name} must not contain a user name or password`);
  }
  if (url.hash !== '') throw new ConfigurationError(`${name} must not contain a #fragment`);
  return url.href;
}

export const checkTokenUrl = (raw: string): string => checkEndpointUrl(raw, 'tokenUrl');

/**
 * Chooses the token URL from exactly one of `tokenUrl` and `accountId`.
 */
export function resolveTokenUrl(opts: { tokenUrl?: string; accountId?: string }): string {
  const hasUrl = opts.tokenUrl !== undefined;
  const hasAccount = opts.accountId !== undefined;
  if (hasUrl === hasAccount) {
    throw new ConfigurationError('give exactly one of tokenUrl and accountId');
  }
  return hasUrl
    ? checkTokenUrl(opts.tokenUrl as string)
    : netsuiteTokenUrl(opts.accountId as string);
}

/**
 * The hint that goes with a refused token request: the server's answer is terse on purpose,
 * the precise reason sits in the audit trail.
 */
export function auditHint(tokenUrl: string): string {
  const url = new URL(tokenUrl);
  if (url.hostname.endsWith('.netsuite.com')) {
    return 'see Setup > Users/Roles > View Login Audit Trail, column Detail';
  }
  const m = /\/accounts\/([^/]+)\//.exec(url.pathname);
  const account = m?.[1] ? decodeURIComponent(m[1]) : '<account>';
  return `see \`certmint audit list --account ${account}\``;
}
