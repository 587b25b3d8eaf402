export type IntegrationState = 'enabled' | 'blocked';
/** DPoP (RFC 9449) for the integration's tokens: ignored, honoured when sent, or demanded. */
export type DpopMode = 'off' | 'allowed' | 'required';
export const DPOP_MODES: readonly DpopMode[] = ['off', 'allowed', 'required'];

export interface Integration {
  accountId: string;
  /** Internal integer id (NetSuite's `application.id`). */
  id: number;
  name: string;
  state: IntegrationState;
  /** 64 lower-case hex characters; the assertion's `iss`. */
  clientId: string;
  /** GUID, upper case as NetSuite shows it. */
  applicationId: string;
  /** Checkbox "Client Credentials (Machine to Machine) Grant". */
  m2mGrant: boolean;
  scopes: import('./scope.ts').Scope[];
  /** Certificate-bound tokens over mutual TLS (RFC 8705 §3); see MTLS_BINDING_MODES. */
  mtlsBinding: MtlsBinding;
  dpop: DpopMode;
  createdAt: number;
}

export const CLIENT_ID_PATTERN = /^[0-9a-f]{64}$/;

/**
 * RFC 8705 §3 per integration: `off` never binds (plain bearer tokens); `allowed` binds a token
 * when the request came over mutual TLS with the mapped certificate, else issues a bearer token;
 * `required` refuses a token request without the mapped certificate on the connection.
 */
export const MTLS_BINDING_MODES = ['off', 'allowed', 'required'] as const;
export type MtlsBinding = (typeof MTLS_BINDING_MODES)[number];
export const isMtlsBinding = (v: unknown): v is MtlsBinding =>
  typeof v === 'string' && (MTLS_BINDING_MODES as readonly string[]).includes(v);
