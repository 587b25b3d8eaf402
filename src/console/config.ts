/**
 * The console's own settings. The sign-in policy (session lifetimes, lockout, recovery codes)
 * belongs to the console-auth service; LOCKOUT is re-exported for the pages and tests that
 * speak of it.
 */
export { LOCKOUT } from '../service/console-auth/index.ts';

/** Per-address limit on sign-in POSTs (password, choose and two-factor), per minute. */
export const SIGN_IN_RATE_PER_MINUTE = 20;

/** An uploaded certificate file may be at most this big (a certificate is 1–3 KiB). */
export const MAX_UPLOAD_BYTES = 64 * 1024;

export interface CookieNames {
  session: string;
  csrf: string;
}

/**
 * Over HTTPS the cookies carry the `__Host-` prefix: the browser then only accepts them with
 * Secure, Path=/ and no Domain, so a sibling subdomain cannot plant a session or CSRF secret.
 */
export function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { session: '__Host-certmint_session', csrf: '__Host-certmint_csrf' }
    : { session: 'certmint_session', csrf: 'certmint_csrf' };
}

/** Where the console lives. */
export const BASE = '/console';
