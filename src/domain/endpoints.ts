/**
 * The public URL layout (NetSuite's): an account's issuer is `{publicUrl}/accounts/{A}` and its
 * OAuth endpoints live under `{issuer}/services/rest/auth/oauth2/v1/`. The token service needs
 * these URLs as much as the HTTP routes do: an assertion's `aud` must name the token endpoint
 * or the issuer (RFC 7523 §3 point 3), and an access token's `iss` is the issuer.
 */

export const OAUTH_PATH = '/services/rest/auth/oauth2/v1';

export type OAuthEndpoint = 'token' | 'introspect' | 'revoke' | 'keys';

/** `publicUrl` without a trailing slash, e.g. http://127.0.0.1:8080. */
export const issuerOf = (publicUrl: string, accountId: string): string =>
  `${publicUrl}/accounts/${accountId}`;

export const endpointOf = (publicUrl: string, accountId: string, name: OAuthEndpoint): string =>
  `${issuerOf(publicUrl, accountId)}${OAUTH_PATH}/${name}`;

/** The protected resource every token can call: who the token speaks for. */
export const WHOAMI_PATH = '/services/rest/whoami';
