/**
 * Use cases of the OAuth endpoints: issue (client_credentials), introspect (RFC 7662), revoke
 * (RFC 7009) and bearer-token validation for protected resources. Every request is audited
 * (group commit) before it is answered; the three endpoints share the same named steps:
 * `audited` (trace + audit record), `authenticate` (assertion checks), `claimOnce` (replay).
 */
import { randomUUID } from 'node:crypto';
import type { AccessTokenSigner, Confirmation } from '../../crypto/access-token.ts';
import { ACCESS_TOKEN_TTL_SECONDS, audienceOf, subjectOf } from '../../domain/access-token.ts';
import { type AuditEvent, type AuditEventType, auditEvent } from '../../domain/audit.ts';
import { type Clock, seconds } from '../../domain/clock.ts';
import { endpointOf } from '../../domain/endpoints.ts';
import { OAuthError } from '../../domain/oauth-error.ts';
import type { Scope } from '../../domain/scope.ts';
import type { ReplayStore, RevokedTokenStore } from '../../store/ports.ts';
import type { AuditWriter } from '../audit-writer.ts';
import { AccountUrlCache } from './account-urls.ts';
import { type ActiveToken, validateAccessToken } from './active-token.ts';
import {
  type AuthenticatedClient,
  type AuthTrace,
  authenticateClient,
  emptyTrace,
  replayKey,
} from './client-auth.ts';
import { type AcceptedProof, tokenEndpointProof } from './dpop.ts';
import type { DpopNonces } from './dpop-nonce.ts';
import { refuseBoundBearer, validateDpopRequest } from './dpop-resource.ts';
import { type Form, parseForm } from './form.ts';
import { serverMetadata } from './metadata.ts';
import { certificateBinding } from './mtls.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { RecordCache } from './record-cache.ts';
import { requestedScopes } from './scope.ts';
import type { SenderContext } from './sender.ts';
import type { SigningKeys } from './signing-keys.ts';

export interface TokenServiceDeps {
  store: { replay: ReplayStore; revokedTokens: RevokedTokenStore };
  clock: Clock;
  cache: RecordCache;
  keys: SigningKeys;
  audit: AuditWriter;
  /** Per-address and per-client request limits (rate-limit.ts). */
  limiter: RateLimiter;
  /** e.g. http://127.0.0.1:8080 (no trailing slash). */
  publicUrl: string;
  /** Server nonces for DPoP proofs (RFC 9449 §8), when the operator turned them on. */
  dpopNonces?: DpopNonces | null;
}

export interface TokenResponse {
  access_token: string;
  /** DPoP when the token is bound to the proof's key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
}

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      scope: string;
      client_id: string;
      sub: string;
      aud: string[];
      iss: string;
      exp: number;
      iat: number;
      jti: string;
      token_type: 'Bearer' | 'DPoP';
      /** RFC 9449 §6.2 / RFC 8705 §3.2: the confirmation of a bound token. */
      cnf?: Confirmation;
    };

type Endpoint = 'token' | 'introspect' | 'revoke';

/**
 * One step of an audited request: gets the parsed form, the trace to fill and `success`: the
 * request's success record, for a step that stores it itself (with its replay claim). Once the
 * step has taken it, `audited` does not write it again; after that only a refused claim may
 * fail the step (its refusal is then recorded as any other).
 */
type Step<T> = (form: Form, trace: AuthTrace, now: number, success: () => AuditEvent) => Promise<T>;

export type { ActiveToken } from './active-token.ts';

export class TokenService {
  private readonly urls: AccountUrlCache;

  constructor(private readonly d: TokenServiceDeps) {
    this.urls = new AccountUrlCache(d.publicUrl);
  }

  issuer(accountId: string): string {
    return this.urls.of(accountId).issuer;
  }

  endpoint(accountId: string, name: Endpoint | 'keys'): string {
    return endpointOf(this.d.publicUrl, accountId, name);
  }

  /** RFC 8414 metadata of the account (what this service enforces). */
  metadata(accountId: string): Record<string, unknown> {
    return serverMetadata(this.d.publicUrl, accountId);
  }

  /** POST token. Throws OAuthError (already audited). */
  issue(
    accountId: string,
    body: string,
    remoteAddress: string | null,
    sender: SenderContext = {},
  ): Promise<TokenResponse> {
    return this.audited('token', accountId, body, remoteAddress, async (form, trace, now, ok) => {
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
      // Sender constraints come before the replay claim: a refused request does not use up its
      // assertion. Certificate binding (RFC 8705) is a byte compare; DPoP (RFC 9449) is skipped
      // entirely, not even a promise, without a header unless the integration requires it.
      const binding = certificateBinding(client.integration, client.mapping, sender);
      const dpop =
        sender.dpopProof === undefined && client.integration.dpop !== 'required'
          ? null
          : await tokenEndpointProof(client.integration, sender, {
              url: this.urls.of(accountId).token,
              nowMs: now,
              nonces: this.d.dpopNonces ?? null,
              replayScope: `token|${accountId}`,
            });
      // The signer before the claim: once the success record is stored with it, nothing may fail.
      const signer = this.d.keys.peekSigner(accountId) ?? (await this.d.keys.signer(accountId));
      await this.claimOnce(accountId, client, dpop, ok());
      const cnf: Confirmation = { ...binding, ...(dpop && { jkt: dpop.jkt }) };
      const token = this.sign(signer, accountId, client, scopes, now, cnf);
      return {
        access_token: token,
        token_type: dpop === null ? 'Bearer' : 'DPoP',
        expires_in: ACCESS_TOKEN_TTL_SECONDS,
      };
    });
  }

  /**
   * POST introspect (RFC 7662 §2): the caller authenticates with an assertion and learns about
   * its own tokens only. Another client's token, however valid, is `active: false`: RFC 7662
   * §2.2 lets the server limit what it tells a caller, and one integration has no business
   * reading another's `sub` and scopes (revoke already ignores foreign tokens the same way).
   */
  introspect(
    accountId: string,
    body: string,
    remoteAddress: string | null,
  ): Promise<IntrospectionResponse> {
    return this.audited('introspect', accountId, body, remoteAddress, async (form, trace, now) => {
      const { active } = await this.authenticatedTokenCall(
        accountId,
        form,
        'introspect',
        now,
        trace,
      );
      if (!active) return { active: false };
      const c = active.claims;
      return {
        active: true,
        scope: c.scope.join(' '),
        client_id: c.client_id,
        sub: c.sub,
        aud: c.aud,
        iss: c.iss,
        exp: c.exp,
        iat: c.iat,
        jti: c.jti,
        token_type: c.cnf?.jkt === undefined ? 'Bearer' : 'DPoP',
        ...(c.cnf && { cnf: c.cnf }),
      };
    });
  }

  /** POST revoke (RFC 7009 §2): only the client's own tokens; unknown tokens answer 200 too. */
  revoke(accountId: string, body: string, remoteAddress: string | null): Promise<void> {
    return this.audited('revoke', accountId, body, remoteAddress, async (form, trace, now) => {
      const { active } = await this.authenticatedTokenCall(accountId, form, 'revoke', now, trace);
      if (active) {
        await this.d.store.revokedTokens.add(
          accountId,
          active.claims.jti,
          active.claims.exp * 1000,
        );
      }
    });
  }

  /**
   * A bearer token of this account that is still good, with the records it speaks for; null
   * otherwise. See active-token.ts for the checks.
   */
  validate(accountId: string, token: string): Promise<ActiveToken | null> {
    return validateAccessToken(
      {
        cache: this.d.cache,
        keys: this.d.keys,
        revoked: this.d.store.revokedTokens,
        issuer: this.issuer(accountId),
        now: this.d.clock.now(),
      },
      accountId,
      token,
    );
  }

  /**
   * The token of a protected-resource request by its scheme (RFC 6750 Bearer, RFC 9449 DPoP):
   * a DPoP-bound token only with the DPoP scheme and a good proof (dpop-resource.ts). Null for
   * a Bearer token that is not good; throws a DPoP challenge otherwise.
   */
  async authorize(
    accountId: string,
    scheme: 'Bearer' | 'DPoP',
    token: string,
    sender: SenderContext = {},
  ): Promise<ActiveToken | null> {
    if (scheme === 'DPoP') {
      return validateDpopRequest(
        {
          validate: (t) => this.validate(accountId, t),
          claim: (r) => this.d.audit.claim(r),
          accountId,
          nowMs: this.d.clock.now(),
        },
        token,
        sender,
      );
    }
    const active = await this.validate(accountId, token);
    if (active !== null) refuseBoundBearer(active);
    return active;
  }

  /**
   * Runs `step` on the parsed form and records the outcome in the audit trail before the answer
   * leaves: success, or the OAuthError's detail code. Other errors are server faults: logged by
   * the HTTP layer, not audited as a client's failure. The address's rate limit comes first,
   * before anything is parsed.
   */
  private async audited<T>(
    type: AuditEventType,
    accountId: string,
    body: string,
    remoteAddress: string | null,
    step: Step<T>,
  ): Promise<T> {
    const now = this.d.clock.now();
    const trace = emptyTrace();
    let taken = false;
    const success = () => {
      taken = true;
      return this.event(type, accountId, now, trace, null, remoteAddress);
    };
    try {
      this.d.limiter.admitAddress(remoteAddress);
      const result = await step(parseForm(body), trace, now, success);
      if (!taken) await this.d.audit.record(success());
      return result;
    } catch (e) {
      if (e instanceof OAuthError) {
        await this.d.audit.record(this.event(type, accountId, now, trace, e, remoteAddress));
      }
      throw e;
    }
  }

  /** Introspect and revoke: an authenticated, non-replayed caller and the token it names. */
  private async authenticatedTokenCall(
    accountId: string,
    form: Form,
    endpoint: 'introspect' | 'revoke',
    now: number,
    trace: AuthTrace,
  ): Promise<{ client: AuthenticatedClient; active: ActiveToken | null }> {
    const client = await this.authenticate(accountId, form, endpoint, now, trace);
    await this.claimOnce(accountId, client);
    const token = form.get('token');
    if (token === undefined) throw new OAuthError('invalid_request', 'InvalidRequest');
    const active = await this.validate(accountId, token);
    // Only tokens issued to the caller: another client's token is as good as unknown.
    const own = active !== null && active.claims.client_id === client.integration.clientId;
    return { client, active: own ? active : null };
  }

  /** The client checks (client-auth.ts), then its rate limit: charged once it is proven. */
  private async authenticate(
    accountId: string,
    form: Form,
    endpoint: Endpoint,
    now: number,
    trace: AuthTrace,
  ): Promise<AuthenticatedClient> {
    // The token endpoint or the issuer; introspect and revoke also accept their own URL.
    const { tokenAudiences } = this.urls.of(accountId);
    const audiences =
      endpoint === 'token'
        ? tokenAudiences
        : [...tokenAudiences, this.endpoint(accountId, endpoint)];
    const client = await authenticateClient(this.d.cache, accountId, form, audiences, now, trace);
    this.d.limiter.admitClient(client.integration.clientId);
    return client;
  }

  /**
   * Replay check last: an atomic unique insert, so parallel copies cannot all pass. A DPoP
   * proof's jti is claimed in the same commit, in its own key namespace. `onWin`, the request's
   * success record, rides on the claims: stored in their commit if and only if every claim is
   * won (one commit per request, with or without DPoP).
   */
  private async claimOnce(
    accountId: string,
    client: AuthenticatedClient,
    dpop: AcceptedProof | null = null,
    onWin?: AuditEvent,
  ): Promise<void> {
    if (dpop === null) {
      if (!(await this.d.audit.claim(replayKey(accountId, client), onWin))) {
        throw new OAuthError('invalid_client', 'AssertionReplayed');
      }
      return;
    }
    const [assertion, proof] = await this.d.audit.claimBoth(
      replayKey(accountId, client),
      dpop.replay,
      onWin,
    );
    if (!assertion) throw new OAuthError('invalid_client', 'AssertionReplayed');
    if (!proof) throw new OAuthError('invalid_dpop_proof', 'DpopProofReplayed');
  }

  private sign(
    signer: AccessTokenSigner,
    accountId: string,
    client: AuthenticatedClient,
    scopes: Scope[],
    now: number,
    cnf: Confirmation,
  ): string {
    const iat = seconds(now);
    const { integration, mapping } = client;
    return signer.sign({
      iss: this.issuer(accountId),
      sub: subjectOf(mapping.roleId, mapping.entityId),
      aud: audienceOf(integration.applicationId, accountId, integration.clientId),
      client_id: integration.clientId,
      scope: scopes,
      jti: randomUUID(),
      iat,
      exp: iat + ACCESS_TOKEN_TTL_SECONDS,
      cid: mapping.certificateId,
      // RFC 7800 §3.1: only when something confirms the token (a plain bearer token has none).
      ...(Object.keys(cnf).length > 0 && { cnf }),
    });
  }

  /** The request's audit record: success, or the OAuthError's detail code. */
  private event(
    type: AuditEventType,
    accountId: string,
    at: number,
    trace: AuthTrace,
    error: OAuthError | null,
    remoteAddress: string | null,
  ): AuditEvent {
    // Field by field, not `...trace`: one object shape on every request.
    return auditEvent(type, accountId, at, {
      clientId: trace.clientId,
      certificateId: trace.certificateId,
      entityId: trace.entityId,
      roleId: trace.roleId,
      result: error ? 'failure' : 'success',
      detail: error?.detail ?? null,
      remoteAddress,
    });
  }
}
