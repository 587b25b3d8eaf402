/**
 * An account's URLs as the token endpoint reads them on every request (its issuer, its token
 * endpoint, the audiences an assertion may name), built once per account instead of per request.
 */
import { endpointOf, issuerOf } from '../../domain/endpoints.ts';

export interface AccountUrls {
  issuer: string;
  token: string;
  /** An assertion's `aud` at the token endpoint: its URL or the issuer (RFC 7523 §3 point 3). */
  tokenAudiences: readonly string[];
}

/** Accounts whose URLs are kept; beyond this the map starts over (memory stays bounded). */
export const MAX_URL_ACCOUNTS = 10_000;

export class AccountUrlCache {
  private readonly urls = new Map<string, AccountUrls>();

  constructor(private readonly publicUrl: string) {}

  of(accountId: string): AccountUrls {
    let u = this.urls.get(accountId);
    if (u === undefined) {
      const issuer = issuerOf(this.publicUrl, accountId);
      const token = endpointOf(this.publicUrl, accountId, 'token');
      u = Object.freeze({ issuer, token, tokenAudiences: Object.freeze([token, issuer]) });
      if (this.urls.size >= MAX_URL_ACCOUNTS) this.urls.clear();
      this.urls.set(accountId, u);
    }
    return u;
  }

  get size(): number {
    return this.urls.size;
  }
}
