/**
 * `rotateCertificate`: replaces a mapped certificate with a new one through NetSuite's
 * certificate rotation endpoint (certmint serves the same), with no moment where neither works:
 *
 *   prepare       read the current key; make a new key pair and self-signed certificate
 *   authenticate  get a token (scope rest_webservices) with the CURRENT certificate
 *   upload        POST the new certificate for the same role and entity
 *   verify        get a token with the NEW certificate id and key
 *   save          hand the proven certificate to `onProven` (persist it there)
 *   revoke        revoke the old certificate
 *
 * Nothing is revoked before the new certificate has obtained a token and been saved. A failure
 * up to `save` leaves the old certificate as it was (an uploaded certificate that could not be
 * proven or saved is revoked again, best effort); the RotationError says which step failed.
 */
import { createAssertion, type ScopeFormat } from '../assertion.ts';
import { type DpopOption, DpopProver } from '../dpop.ts';
import {
  ConfigurationError,
  type RotatedCertificate,
  RotationError,
  type RotationStep,
} from '../errors.ts';
import {
  ASSERTION_ALGS,
  type AssertionAlg,
  loadSigningKey,
  type PrivateKeyInput,
  type SigningKey,
} from '../keys.ts';
import { type RetryOptions, retryPolicy } from '../retry.ts';
import { type FetchLike, requestToken } from '../token-request.ts';
import { auditHint, checkEndpointUrl, resolveTokenUrl } from '../token-url.ts';
import { type ApiCall, ApiFailure, certificatesUrlFor, revoke, upload } from './api.ts';
import { newCertificate } from './self-signed.ts';

export type { RotatedCertificate } from '../errors.ts';

/** NetSuite caps a certificate's validity at two years. */
export const MAX_CERTIFICATE_DAYS = 730;
export const DEFAULT_CERTIFICATE_DAYS = 365;
/** The rotation endpoint's scope (NetSuite: "an access token issued for rest_webservices"). */
export const ROTATION_SCOPE = 'rest_webservices';

interface Common {
  /** The integration record's client id. */
  clientId: string;
  /** The certificate being replaced. */
  certificateId: string;
  /** Its private key: PEM, KeyObject or private JWK. */
  privateKey: PrivateKeyInput;
  /** Role and entity of the mapping (NetSuite sends role as a number, entity as a string). */
  role: number | string;
  entity: number | string;
  /** Algorithm of the new key; default the current key's (ES256/384/512 curve, or PS* RSA). */
  alg?: AssertionAlg;
  /** RSA: key size of the new key, 3072 or 4096; default the current key's (else 3072). */
  bits?: 3072 | 4096;
  /** Validity of the new certificate in days (default 365, at most 730). */
  days?: number;
  /** Common name of the new certificate (default "certmint client"). */
  commonName?: string;
  /** Default: derived from the token URL (NetSuite: the account's RESTlet domain). */
  certificatesUrl?: string;
  scopeFormat?: ScopeFormat;
  fetch?: FetchLike;
  clock?: { now(): number };
  retry?: RetryOptions;
  /** Per request (default 10 000 ms). */
  timeoutMs?: number;
  /** DPoP (RFC 9449) for the rotation's tokens and API calls, as the token client's option. */
  dpop?: DpopOption;
  /**
   * Called once the new certificate obtained a token, before the old one is revoked: persist the
   * new key and id here. If it throws, the rotation stops (step `save`) and nothing is revoked.
   */
  onProven?: (rotated: RotatedCertificate) => void | Promise<void>;
}

/** Exactly one of `tokenUrl` and `accountId`, as for createTokenClient. */
export type RotateCertificateOptions = Common &
  ({ tokenUrl: string; accountId?: never } | { accountId: string; tokenUrl?: never });

const systemClock = { now: () => Date.now() };

function roleOf(v: unknown): number {
  const n = typeof v === 'string' && /^-?[0-9]+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new ConfigurationError(
      `role must be the role's integer id (e.g. 1000), not ${JSON.stringify(v)}`,
    );
  }
  return n;
}

function entityOf(v: unknown): string {
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v;
  if (typeof s !== 'string' || !/^-?[0-9]+$/.test(s.trim())) {
    throw new ConfigurationError(
      `entity must be the entity's integer id (e.g. "-5"), not ${JSON.stringify(v)}`,
    );
  }
  return s.trim();
}

interface Plan {
  tokenUrl: string;
  certificatesUrl: string;
  current: SigningKey;
  newAlg: AssertionAlg;
  bits: number;
  days: number;
  role: number;
  entity: string;
}

function plan(o: RotateCertificateOptions): Plan {
  const tokenUrl = resolveTokenUrl(o as { tokenUrl?: string; accountId?: string });
  for (const [name, v] of [
    ['clientId', o.clientId],
    ['certificateId', o.certificateId],
  ] as const) {
    if (typeof v !== 'string' || v.trim() === '' || v !== v.trim()) {
      throw new ConfigurationError(`${name} must be a non-empty string without surrounding spaces`);
    }
  }
  const current = loadSigningKey(o.privateKey);
  const newAlg = o.alg ?? current.alg;
  if (!(ASSERTION_ALGS as readonly string[]).includes(newAlg)) {
    throw new ConfigurationError(
      `alg ${String(newAlg)} is not one of ${ASSERTION_ALGS.join(', ')}`,
    );
  }
  const currentBits = current.key.asymmetricKeyDetails?.modulusLength;
  const bits = o.bits ?? (currentBits === 4096 ? 4096 : 3072);
  if (bits !== 3072 && bits !== 4096) throw new ConfigurationError('bits must be 3072 or 4096');
  const days = o.days ?? DEFAULT_CERTIFICATE_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_CERTIFICATE_DAYS) {
    throw new ConfigurationError(`days must be a whole number from 1 to ${MAX_CERTIFICATE_DAYS}`);
  }
  return {
    tokenUrl,
    certificatesUrl:
      o.certificatesUrl !== undefined
        ? checkEndpointUrl(o.certificatesUrl, 'certificatesUrl')
        : certificatesUrlFor(tokenUrl, o.clientId),
    current,
    newAlg,
    bits,
    days,
    role: roleOf(o.role),
    entity: entityOf(o.entity),
  };
}

/** A token of the rotation API, and the DPoP prover when the token is bound to its key. */
export interface ApiToken {
  accessToken: string;
  dpop: DpopProver | undefined;
}

/** A token for `certificateId` + key with the rotation scope (a fresh assertion per attempt). */
export function rotationToken(
  o: Pick<Common, 'clientId' | 'scopeFormat' | 'fetch' | 'retry' | 'timeoutMs'> & {
    clock: { now(): number };
    dpop?: DpopProver | undefined;
  },
  tokenUrl: string,
  certificateId: string,
  signingKey: SigningKey,
): Promise<ApiToken> {
  return requestToken({
    fetch: o.fetch ?? ((input, init) => fetch(input, init)),
    tokenUrl,
    policy: retryPolicy(o.retry),
    timeoutMs: o.timeoutMs ?? 10_000,
    hint: auditHint(tokenUrl),
    dpop: o.dpop,
    makeAssertion: () =>
      createAssertion({
        signingKey,
        certificateId,
        clientId: o.clientId,
        audience: tokenUrl,
        scopes: [ROTATION_SCOPE],
        scopeFormat: o.scopeFormat ?? 'array',
        nowMs: o.clock.now(),
        lifetimeSeconds: 300,
      }),
  }).then((r) => ({
    accessToken: r.access_token,
    dpop: r.token_type.toLowerCase() === 'dpop' ? o.dpop : undefined,
  }));
}

/** Why a step failed, as one line; the rotation scope explained where it is the likely cause. */
function reason(e: unknown, step: RotationStep): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (step === 'authenticate' && /invalid_scope|ScopeMismatched/.test(msg)) {
    return `${msg}; the rotation API needs the rest_webservices scope on the integration record`;
  }
  return msg;
}

function fail(
  step: RotationStep,
  e: unknown,
  extra: Partial<ConstructorParameters<typeof RotationError>[1]> = {},
): RotationError {
  const api = e instanceof ApiFailure ? e : undefined;
  return new RotationError(reason(e, step), {
    step,
    status: api?.status,
    error: api?.error ?? (e as { error?: string }).error,
    cause: e,
    ...extra,
  });
}

export function rotateCertificate(o: RotateCertificateOptions): Promise<RotatedCertificate> {
  const clock = o.clock ?? systemClock;
  return rotateWith(o, o.dpop === undefined ? undefined : new DpopProver(o.dpop, clock));
}

/** rotateCertificate with a DPoP prover of the caller's (the token client's, for autoRotate). */
export async function rotateWith(
  o: RotateCertificateOptions,
  prover: DpopProver | undefined,
): Promise<RotatedCertificate> {
  const clock = o.clock ?? systemClock;
  let p: Plan;
  let made: Awaited<ReturnType<typeof newCertificate>>;
  try {
    p = plan(o);
    made = await newCertificate({
      alg: p.newAlg,
      bits: p.bits,
      days: p.days,
      commonName: o.commonName ?? 'certmint client',
      now: clock.now(),
    });
  } catch (e) {
    throw fail('prepare', e);
  }
  const tokenOpts = { ...o, clock, dpop: prover };

  let token: ApiToken;
  try {
    token = await rotationToken(tokenOpts, p.tokenUrl, o.certificateId, p.current);
  } catch (e) {
    throw fail('authenticate', e);
  }
  const api: ApiCall = {
    fetch: o.fetch ?? ((input, init) => fetch(input, init)),
    timeoutMs: o.timeoutMs ?? 10_000,
    url: p.certificatesUrl,
    accessToken: token.accessToken,
    dpop: token.dpop,
  };

  let uploaded: Awaited<ReturnType<typeof upload>>;
  try {
    uploaded = await upload(api, {
      fileContent: made.certificatePem,
      role: p.role,
      entity: p.entity,
    });
  } catch (e) {
    throw fail('upload', e);
  }
  const newId = uploaded.certificateId;
  /** Best effort: an uploaded certificate we cannot use must not linger (it counts toward 5). */
  const undo = async () => {
    try {
      await revoke(api, newId);
      return true;
    } catch {
      return false;
    }
  };

  try {
    const newKey = loadSigningKey(made.privateKey, made.alg);
    await rotationToken(tokenOpts, p.tokenUrl, newId, newKey);
  } catch (e) {
    throw fail('verify', e, { newCertificateId: newId, cleanedUp: await undo() });
  }

  // The server answers with a day. When that day is before the certificate's last day, the
  // server shortened it (NetSuite caps validity at two years): its day counts, from midnight.
  const lastDay = made.notAfter - (made.notAfter % 86_400_000);
  const server = uploaded.validUntil;
  const validUntil = server !== null && server < lastDay ? server : made.notAfter;
  const rotated: RotatedCertificate = {
    certificateId: newId,
    privateKey: made.privateKeyPem,
    certificatePem: made.certificatePem,
    validUntil: new Date(validUntil),
  };
  try {
    await o.onProven?.(rotated);
  } catch (e) {
    throw fail('save', e, { newCertificateId: newId, cleanedUp: await undo() });
  }

  try {
    await revoke(api, o.certificateId);
  } catch (e) {
    const api2 = e instanceof ApiFailure ? e : undefined;
    throw new RotationError(
      `the new certificate ${newId} works, but revoking the old certificate ${o.certificateId} failed (${reason(e, 'revoke')}); the old one stays active until it is revoked`,
      {
        step: 'revoke',
        status: api2?.status,
        error: api2?.error,
        newCertificateId: newId,
        cause: e,
      },
      rotated,
    );
  }
  return rotated;
}
