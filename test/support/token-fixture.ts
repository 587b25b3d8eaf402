/**
 * A running app (fastify inject) on a real store with one account fully set up for the client
 * credentials flow: role with token login, entity holding it, M2M integration, mapped certificate.
 * Assertions are signed with jose (an implementation independent of the server's verify path).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { importPKCS8, SignJWT } from 'jose';
import type { AssertionAlg } from '../../src/crypto/algorithms.ts';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { AuditEvent } from '../../src/domain/audit.ts';
import { type Clock, FixedClock } from '../../src/domain/clock.ts';
import type { AppDeps } from '../../src/http/app.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Services } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';
import { type TestAppOptions, testApp } from './app.ts';

export const PUBLIC_URL = 'http://certmint.test';
export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
export const TEST_SECRET = 'test-secret-0123456789abcdef';

export interface Credential {
  certificateId: string;
  alg: AssertionAlg;
  privateKeyPem: string;
  certificatePem: string;
}

export interface CredentialOptions {
  entityId?: number;
  roleId?: number;
  clientId?: string;
  accountId?: string;
  /** Certificate notBefore (ms); default one minute before the clock. */
  notBefore?: number;
  days?: number;
}

export interface Fixture {
  app: FastifyInstance;
  services: Services;
  store: Store;
  clock: FixedClock;
  accountId: string;
  clientId: string;
  integrationId: number;
  entityId: number;
  roleId: number;
  cred: Credential;
  issuer: string;
  tokenUrl: string;
  /** Signs an assertion; claims/header override the defaults (undefined removes a claim). */
  sign(
    claims?: Record<string, unknown>,
    header?: Record<string, unknown>,
    cred?: Credential,
  ): Promise<string>;
  /** POSTs a form to an OAuth endpoint of the account. */
  post(form: Record<string, string> | string, endpoint?: string): Promise<LightMyRequestResponse>;
  token(assertion: string): Promise<LightMyRequestResponse>;
  /** Newest first. */
  audit(): Promise<AuditEvent[]>;
  newCredential(alg: AssertionAlg, opts?: CredentialOptions): Promise<Credential>;
  close(): Promise<void>;
}

export const nowS = (clock: FixedClock) => Math.floor(clock.now() / 1000);

/** The client-credentials token request's form for a signed assertion (RFC 7523 §2.2). */
export const assertionForm = (assertion: string): URLSearchParams =>
  new URLSearchParams({
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });

export async function tokenFixture(
  open: (opts?: { clock?: Clock }) => Promise<Store>,
  opts: {
    alg?: AssertionAlg;
    accountId?: string;
    explainErrors?: boolean;
    /** Base URL (default http://certmint.test); for a listening server, its real address. */
    publicUrl?: string;
    /** Frozen start time (default T0). */
    startAt?: number;
    /** OAuth endpoint rate limits (default: the services' defaults). */
    rateLimits?: TestAppOptions['rateLimits'];
    /** Metrics measured and /metrics served behind this token (default: off). */
    metrics?: AppDeps['metrics'];
    /** Further buildApp options (TLS, the client-certificate header). */
    app?: TestAppOptions['app'];
    /** The integration's DPoP mode (default off) and server nonces (default none). */
    dpop?: 'off' | 'allowed' | 'required';
    dpopNonce?: boolean;
  } = {},
): Promise<Fixture> {
  const clock = new FixedClock(opts.startAt ?? T0);
  // The store decides replay expiry with the same frozen clock.
  const store = await open({ clock });
  const deps = { store, clock };
  const accountId = opts.accountId ?? 'TSTDRV7000001';
  await createAccount(deps, SYSTEM, { id: accountId });
  const role = await createRole(deps, SYSTEM, {
    accountId,
    name: 'M2M',
    permissions: ['oauth2_access_token_login'],
  });
  const entity = await createEntity(deps, SYSTEM, {
    accountId,
    name: 'svc',
    email: 'svc@example.com',
  });
  await assignRole(deps, SYSTEM, { accountId, entityId: entity.id, roleId: role.id });
  const { integration } = await createIntegration(deps, SYSTEM, {
    accountId,
    name: 'App',
    m2mGrant: true,
    scopes: ['restlets', 'rest_webservices'],
    ...(opts.dpop && { dpop: opts.dpop }),
  });
  const { app, services } = await testApp({
    store,
    secret: TEST_SECRET,
    publicUrl: opts.publicUrl ?? PUBLIC_URL,
    clock,
    explainErrors: opts.explainErrors ?? false,
    ...(opts.rateLimits && { rateLimits: opts.rateLimits }),
    ...((opts.metrics || opts.app) && {
      app: { ...opts.app, ...(opts.metrics && { metrics: opts.metrics }) },
    }),
    ...(opts.dpopNonce && { dpopNonce: true }),
  });
  const issuer = `${opts.publicUrl ?? PUBLIC_URL}/accounts/${accountId}`;
  const tokenUrl = `${issuer}/services/rest/auth/oauth2/v1/token`;

  async function newCredential(alg: AssertionAlg, o: CredentialOptions = {}): Promise<Credential> {
    const g = await generateCertificate({
      alg,
      now: o.notBefore ?? clock.now() - 60_000,
      days: o.days ?? 365,
    });
    const m = await createMapping(deps, SYSTEM, {
      accountId: o.accountId ?? accountId,
      clientId: o.clientId ?? integration.clientId,
      entityId: o.entityId ?? entity.id,
      roleId: o.roleId ?? role.id,
      certificate: g.certificatePem,
    });
    return {
      certificateId: m.certificateId,
      alg,
      privateKeyPem: g.privateKeyPem,
      certificatePem: g.certificatePem,
    };
  }

  const cred = await newCredential(opts.alg ?? 'ES256');

  async function sign(
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    c: Credential = cred,
  ): Promise<string> {
    const now = nowS(clock);
    const payload: Record<string, unknown> = {
      iss: integration.clientId,
      aud: tokenUrl,
      iat: now - 5,
      exp: now + 300,
      jti: randomUUID(),
      scope: ['restlets'],
      ...claims,
    };
    for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
    const key = await importPKCS8(c.privateKeyPem, c.alg);
    const h = { alg: c.alg, typ: 'JWT', kid: c.certificateId, ...header };
    for (const k of Object.keys(h))
      if ((h as Record<string, unknown>)[k] === undefined) delete (h as Record<string, unknown>)[k];
    return new SignJWT(payload).setProtectedHeader(h as { alg: string }).sign(key);
  }

  const post = (
    form: Record<string, string> | string,
    endpoint = 'token',
  ): Promise<LightMyRequestResponse> =>
    app.inject({
      method: 'POST',
      url: `/accounts/${accountId}/services/rest/auth/oauth2/v1/${endpoint}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
    });

  const token = (assertion: string): Promise<LightMyRequestResponse> =>
    post(assertionForm(assertion).toString());

  return {
    app,
    services,
    store,
    clock,
    accountId,
    clientId: integration.clientId,
    integrationId: integration.id,
    entityId: entity.id,
    roleId: role.id,
    cred,
    issuer,
    tokenUrl,
    sign,
    post,
    token,
    audit: () => store.audit.list({ accountId, limit: 100 }),
    newCredential,
    async close() {
      await app.close();
      await store.close();
    },
  };
}
