export type IntegrationState = 'enabled' | 'blocked';

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
  createdAt: number;
}

export const CLIENT_ID_PATTERN = /^[0-9a-f]{64}$/;
