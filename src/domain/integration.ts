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
  dpop: DpopMode;
  createdAt: number;
}

export const CLIENT_ID_PATTERN = /^[0-9a-f]{64}$/;
