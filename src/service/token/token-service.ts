/**
 * Use cases of the OAuth endpoints: issue (client_credentials), introspect (RFC 7662), revoke
 * (RFC 7009) and bearer-token validation for protected resources. Every token request is
 * audited (group commit) before it is answered.
 */
import { randomUUID } from 'node:crypto';
import { type AccessTokenClaims, verifyAccessToken } from '../../crypto/access-token.ts';
import { type AuditEventType, auditEvent } from '../../domain/audit.ts';
import { type Clock, seconds } from '../../domain/clock.ts';
import { isMappingActive } from '../../domain/mapping.ts';
import { OAuthError } from '../../domain/oauth-error.ts';
import type { Scope } from '../../domain/scope.ts';
import type { Store } from '../../store/ports.ts';
import type { AuditWriter } from '../audit-writer.ts';
import { GroupCommit } from '../group-commit.ts';
import {
  type AuthenticatedClient,
  type AuthTrace,
  authenticateClient,
  emptyTrace,
  replayKey,
} from './client-auth.ts';
import { type Form, parseForm } from './form.ts';
import type { RecordCache } from './record-cache.ts';
import { requestedScopes } from './scope.ts';
import { ACCESS_TOKEN_TTL_SECONDS, type SigningKeys } from './signing-keys.ts';

export interface TokenServiceDeps {
  store: Store;
  clock: Clock;
  cache: RecordCache;
  keys: SigningKeys;
  audit: AuditWriter;
  /** e.g. http://127.0.0.1:8080 (no trailing slash). */
  publicUrl: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

export const OAUTH_PATH = '/services/rest/auth/oauth2/v1';

export interface ActiveToken {
  claims: AccessTokenClaims;
  accountId: string;
  roleId: number;
  entityId: number;
}

export class TokenService {
  /** Replay claims of one event-loop turn share one transaction (group commit). */
  private readonly replay: GroupCommit<{ key: string; expiresAt: number }, boolean>;

  constructor(private readonly d: TokenServiceDeps) {
    this.replay = new GroupCommit((entries) => d.store.replay.claimMany(entries));
  }

  issuer(accountId: string): string {
    return `${this.d.publicUrl}/accounts/${accountId}`;
  }

  endpoint(accountId: string, name: 'token' | 'introspect' | 'revoke' | 'keys'): string {
    return `${this.issuer(accountId)}${OAUTH_PATH}/${name}`;
  }

  /** POST token. Throws OAuthError (already audited). */
  async issue(
    accountId: string,
    body: string,
    remoteAddress: string | null,
  ): Promise<TokenResponse> {
    const now = this.d.clock.now();
    const trace = emptyTrace();
    try {
      const form = parseForm(body);
      const grant = form.get('grant_type');
      if (grant === undefined) throw new OAuthError('invalid_request', 'InvalidRequest');
      if (grant !== 'client_credentials') {
        throw new OAuthError('unsupported_grant_type', 'UnsupportedGrantType');
      }
      const client = await this.authenticate(accountId, form, 'token', now, trace);
      const scopes = requestedScopes(client.assertion.claims.scope, form.get('scope'));
      if (!scopes.every((s) => client.integration.scopes.includes(s))) {
        throw new OAuthError('invalid_scope', 'ScopeMismatched');
      }
      await this.claimOnce(accountId, client);
      const token = await this.sign(accountId, client, scopes, now);
      await this.record('token', accountId, now, trace, null, remoteAddress);
      return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_TTL_SECONDS };
    } catch (e) {
      await this.recordFailure('token', accountId, now, trace, e, remoteAddress);
      throw e;
    }
  }

  /** POST introspect (RFC 7662 §2): the caller authenticates with an assertion. */
  async introspect(accountId: string, body: string, remoteAddress: string | null) {
    const now = this.d.clock.now();
    const trace = emptyTrace();
    try {
      const form = parseForm(body);
      const client = await this.authenticate(accountId, form, 'introspect', now, trace);
      await this.claimOnce(accountId, client);
      const token = form.get('token');
      if (token === undefined) throw new OAuthError('invalid_request', 'InvalidRequest');
      const active = await this.validate(accountId, token);
      await this.record('introspect', accountId, now, trace, null, remoteAddress);
      if (!active) return { active: false as const };
      const c = active.claims;
      return {
        active: true as const,
        scope: c.scope.join(' '),
        client_id: c.client_id,
        sub: c.sub,
        aud: c.aud,
        iss: c.iss,
        exp: c.exp,
        iat: c.iat,
        jti: c.jti,
        token_type: 'Bearer',
      };
    } catch (e) {
      await this.recordFailure('introspect', accountId, now, trace, e, remoteAddress);
      throw e;
    }
  }

  /** POST revoke (RFC 7009 §2): only the client's own tokens; unknown tokens answer 200 too. */
  async revoke(accountId: string, body: string, remoteAddress: string | null): Promise<void> {
    const now = this.d.clock.now();
    const trace = emptyTrace();
    try {
      const form = parseForm(body);
      const client = await this.authenticate(accountId, form, 'revoke', now, trace);
      await this.claimOnce(accountId, client);
      const token = form.get('token');
      if (token === undefined) throw new OAuthError('invalid_request', 'InvalidRequest');
      const active = await this.validate(accountId, token);
      if (active && active.claims.client_id === client.integration.clientId) {
        await this.d.store.revokedTokens.add(
          accountId,
          active.claims.jti,
          active.claims.exp * 1000,
        );
      }
      await this.record('revoke', accountId, now, trace, null, remoteAddress);
    } catch (e) {
      await this.recordFailure('revoke', accountId, now, trace, e, remoteAddress);
      throw e;
    }
  }

  /**
   * A bearer token of this account that is still good: signature by one of the account's keys,
   * issuer, expiry, not revoked (RFC 7009), mapping still active, entity and role still active.
   * Null otherwise (a refreshed sandbox has new keys and no mappings: its old tokens fail here).
   */
  async validate(accountId: string, token: string): Promise<ActiveToken | null> {
    const kidKeys = new Map<string, import('node:crypto').KeyObject>();
    const kid = peekKid(token);
    if (kid === null) return null;
    const key = await this.d.keys.publicKey(accountId, kid);
    if (!key) return null;
    kidKeys.set(kid, key);
    const decoded = verifyAccessToken(token, (k) => kidKeys.get(k));
    if (!decoded) return null;
    const c = decoded.claims;
    const now = this.d.clock.now();
    if (c.iss !== this.issuer(accountId) || c.exp <= seconds(now)) return null;
    const m = /^(-?\d+);(-?\d+)$/.exec(c.sub);
    if (!m) return null;
    const roleId = Number(m[1]);
    const entityId = Number(m[2]);
    const cached = await this.d.cache.mapping(c.cid);
    if (
      !cached ||
      cached.mapping.accountId !== accountId ||
      !isMappingActive(cached.mapping, now)
    ) {
      return null;
    }
    const [entity, role] = await Promise.all([
      this.d.cache.entity(accountId, entityId),
      this.d.cache.role(accountId, roleId),
    ]);
    if (!entity?.active || !role?.active) return null;
    if (await this.d.store.revokedTokens.isRevoked(accountId, c.jti)) return null;
    return { claims: c, accountId, roleId, entityId };
  }

  private authenticate(
    accountId: string,
    form: Form,
    endpoint: 'token' | 'introspect' | 'revoke',
    now: number,
    trace: AuthTrace,
  ): Promise<AuthenticatedClient> {
    const audiences =
      endpoint === 'token'
        ? [this.endpoint(accountId, 'token'), this.issuer(accountId)]
        : [
            this.endpoint(accountId, 'token'),
            this.issuer(accountId),
            this.endpoint(accountId, endpoint),
          ];
    return authenticateClient(this.d.cache, accountId, form, audiences, now, trace);
  }

  /** Replay check last: an atomic unique insert, so parallel copies cannot all pass. */
  private async claimOnce(accountId: string, client: AuthenticatedClient): Promise<void> {
    if (!(await this.replay.submit(replayKey(accountId, client)))) {
      throw new OAuthError('invalid_client', 'AssertionReplayed');
    }
  }

  private async sign(accountId: string, client: AuthenticatedClient, scopes: Scope[], now: number) {
    const signer = await this.d.keys.signer(accountId);
    const iat = seconds(now);
    const { integration, mapping } = client;
    return signer.sign({
      iss: this.issuer(accountId),
      sub: `${mapping.roleId};${mapping.entityId}`,
      aud: [`${integration.applicationId};${accountId}`, integration.clientId],
      client_id: integration.clientId,
      scope: scopes,
      jti: randomUUID(),
      iat,
      exp: iat + ACCESS_TOKEN_TTL_SECONDS,
      cid: mapping.certificateId,
    });
  }

  private record(
    type: AuditEventType,
    accountId: string,
    at: number,
    trace: AuthTrace,
    error: OAuthError | null,
    remoteAddress: string | null,
  ): Promise<void> {
    const event = auditEvent(type, accountId, at, {
      ...trace,
      result: error ? 'failure' : 'success',
      detail: error?.detail ?? null,
      remoteAddress,
    });
    return this.d.audit.record(event);
  }

  private async recordFailure(
    type: AuditEventType,
    accountId: string,
    at: number,
    trace: AuthTrace,
    e: unknown,
    remoteAddress: string | null,
  ): Promise<void> {
    if (e instanceof OAuthError) await this.record(type, accountId, at, trace, e, remoteAddress);
  }
}

function peekKid(token: string): string | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot > 512) return null;
  try {
    const h: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    if (typeof h === 'object' && h !== null && 'kid' in h && typeof h.kid === 'string')
      return h.kid;
  } catch {
    return null;
  }
  return null;
}
