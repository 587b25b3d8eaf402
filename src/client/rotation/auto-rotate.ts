/**
 * `autoRotate` of the token client: a long-running service rotates its own certificate before it
 * expires, with no downtime. The current credential (certificate id + key) comes from the store
 * when it has one (a restart after a rotation must not go back to the revoked certificate of the
 * configuration), else from the client's options. When the end of validity is near, the first
 * token request rotates (rotate.ts), once however many requests arrive together; the new
 * credential is saved before the old certificate is revoked, and from then on new token requests
 * use it, while requests already under way keep the token they have. A failed rotation leaves
 * the old certificate in use and is tried again after `retryAfter`.
 */
import { X509Certificate } from 'node:crypto';
import type { ScopeFormat } from '../assertion.ts';
import type { DpopProver } from '../dpop.ts';
import { ConfigurationError, RotationError } from '../errors.ts';
import { type AssertionAlg, loadSigningKey, type SigningKey } from '../keys.ts';
import type { RetryOptions } from '../retry.ts';
import type { FetchLike } from '../token-request.ts';
import { type ApiCall, certificatesUrlFor, list } from './api.ts';
import { type CredentialStore, validUntilOf } from './credential-store.ts';
import { durationMs } from './duration.ts';
import { rotateWith, rotationToken } from './rotate.ts';

export interface AutoRotateOptions {
  /** How long before the end of validity to rotate: `'30d'`, `'12h'`, … or ms. */
  before: string | number;
  /** Keeps the current certificate id and key: `fileCredentialStore(path)` or any `{ load, save }`. */
  store: CredentialStore;
  /** Role and entity of the mapping; default: from the store, else asked of the rotation API. */
  role?: number | string;
  entity?: number | string;
  /** The current certificate (PEM): its end of validity, without asking the server. */
  certificatePem?: string;
  /** Of the new certificates (see rotateCertificate). */
  alg?: AssertionAlg;
  bits?: 3072 | 4096;
  days?: number;
  commonName?: string;
  certificatesUrl?: string;
  /** After a failed rotation, how long the old certificate is used before the next try (default '1h'). */
  retryAfter?: string | number;
  /** After each rotation (the new id and end of validity; never the key). */
  onRotate?: (rotated: { certificateId: string; validUntil: Date }) => void;
  /** A rotation or lookup failed (the current certificate stays in use), or the old one could not be revoked. */
  onError?: (error: unknown) => void;
}

export interface Credential {
  certificateId: string;
  signingKey: SigningKey;
  validUntil?: number | undefined;
  role?: number | string | undefined;
  entity?: number | string | undefined;
}

interface Context {
  tokenUrl: string;
  clientId: string;
  fetch: FetchLike;
  clock: { now(): number };
  retry?: RetryOptions | undefined;
  timeoutMs?: number | undefined;
  scopeFormat: ScopeFormat;
  /** The token client's DPoP prover, when it has one: rotation tokens are bound the same way. */
  dpop?: DpopProver | undefined;
  /** The credential changed: drop the cached token. */
  onSwap: () => void;
}

const pemValidity = (pem: string | undefined): number | undefined => {
  if (pem === undefined) return undefined;
  const ms = Date.parse(new X509Certificate(pem).validTo);
  return Number.isFinite(ms) ? ms : undefined;
};

export class AutoRotation {
  #cred: Credential;
  #loaded: Promise<void> | null = null;
  #isLoaded = false;
  #rotating: Promise<void> | null = null;
  /** No new attempt before this time (ms), after a failure. */
  #pausedUntil = 0;
  readonly #credentials: CredentialStore;
  readonly #before: number;
  readonly #retryAfter: number;

  constructor(
    private readonly o: AutoRotateOptions,
    initial: Credential,
    private readonly ctx: Context,
  ) {
    this.#before = durationMs(o.before, 'autoRotate.before');
    this.#retryAfter = durationMs(o.retryAfter ?? '1h', 'autoRotate.retryAfter');
    // Destructured: the option is named `store` like the server's, which nothing here touches.
    const { store } = o;
    if (typeof store?.load !== 'function' || typeof store.save !== 'function') {
      throw new ConfigurationError(
        "autoRotate's store must have load() and save(), e.g. fileCredentialStore(path)",
      );
    }
    this.#credentials = store;
    this.#cred = {
      ...initial,
      validUntil: pemValidity(o.certificatePem),
      role: o.role,
      entity: o.entity,
    };
  }

  get current(): Credential {
    return this.#cred;
  }

  /** What to wait for before a token request: undefined when nothing (the usual case). */
  ready(): Promise<void> | undefined {
    if (this.#isLoaded && !this.#due()) return undefined;
    return this.#prepare();
  }

  #due(): boolean {
    const now = this.ctx.clock.now();
    if (now < this.#pausedUntil) return false;
    const until = this.#cred.validUntil;
    return until === undefined || now >= until - this.#before;
  }

  async #prepare(): Promise<void> {
    this.#loaded ??= this.#load();
    await this.#loaded;
    if (!this.#due()) return;
    this.#rotating ??= this.#rotate().finally(() => {
      this.#rotating = null;
    });
    await this.#rotating;
  }

  async #load(): Promise<void> {
    try {
      const s = await this.#credentials.load();
      if (s) {
        this.#cred = {
          certificateId: s.certificateId,
          signingKey: loadSigningKey(s.privateKey),
          validUntil: validUntilOf(s) ?? pemValidity(s.certificatePem),
          role: s.role ?? this.o.role,
          entity: s.entity ?? this.o.entity,
        };
      }
    } catch (e) {
      // An unreadable store: keep the configured credential, say so, try rotating later.
      this.#pausedUntil = this.ctx.clock.now() + this.#retryAfter;
      this.o.onError?.(e);
    }
    this.#isLoaded = true;
  }

  /** Role, entity and end of validity of the current certificate, from the rotation API's list. */
  async #lookup(): Promise<void> {
    const c = this.#cred;
    const token = await rotationToken(
      { ...this.ctx, clientId: this.ctx.clientId },
      this.ctx.tokenUrl,
      c.certificateId,
      c.signingKey,
    );
    const api: ApiCall = {
      fetch: this.ctx.fetch,
      timeoutMs: this.ctx.timeoutMs ?? 10_000,
      url: this.o.certificatesUrl ?? certificatesUrlFor(this.ctx.tokenUrl, this.ctx.clientId),
      accessToken: token.accessToken,
      dpop: token.dpop,
    };
    const found = (await list(api)).find((x) => x.certificateId === c.certificateId);
    if (!found) {
      throw new RotationError(
        `certificate ${c.certificateId} is not in the certificate list of client ${this.ctx.clientId}`,
        { step: 'prepare' },
      );
    }
    this.#cred = {
      ...c,
      validUntil: c.validUntil ?? found.validUntil ?? undefined,
      role: c.role ?? found.role ?? undefined,
      entity: c.entity ?? found.entity ?? undefined,
    };
  }

  async #rotate(): Promise<void> {
    try {
      const c0 = this.#cred;
      if (c0.validUntil === undefined || c0.role === undefined || c0.entity === undefined) {
        await this.#lookup();
        if (!this.#due()) return;
      }
      const c = this.#cred;
      const rotated = await rotateWith(
        {
          tokenUrl: this.ctx.tokenUrl,
          clientId: this.ctx.clientId,
          certificateId: c.certificateId,
          privateKey: c.signingKey.key,
          role: c.role as number | string,
          entity: c.entity as number | string,
          fetch: this.ctx.fetch,
          clock: this.ctx.clock,
          scopeFormat: this.ctx.scopeFormat,
          ...(this.ctx.retry === undefined ? {} : { retry: this.ctx.retry }),
          ...(this.ctx.timeoutMs === undefined ? {} : { timeoutMs: this.ctx.timeoutMs }),
          ...(this.o.alg === undefined ? {} : { alg: this.o.alg }),
          ...(this.o.bits === undefined ? {} : { bits: this.o.bits }),
          ...(this.o.days === undefined ? {} : { days: this.o.days }),
          ...(this.o.commonName === undefined ? {} : { commonName: this.o.commonName }),
          ...(this.o.certificatesUrl === undefined
            ? {}
            : { certificatesUrl: this.o.certificatesUrl }),
          // Saved, then used: only then is the old certificate revoked.
          onProven: async (r) => {
            await this.#credentials.save({ ...r, role: c.role, entity: c.entity });
            this.#cred = {
              certificateId: r.certificateId,
              signingKey: loadSigningKey(r.privateKey),
              validUntil: r.validUntil.getTime(),
              role: c.role,
              entity: c.entity,
            };
            this.ctx.onSwap();
          },
        },
        this.ctx.dpop,
      );
      this.o.onRotate?.({ certificateId: rotated.certificateId, validUntil: rotated.validUntil });
    } catch (e) {
      if (e instanceof RotationError && e.step === 'revoke' && e.rotated) {
        // The new certificate is saved and in use; only the old one's revocation failed.
        this.o.onRotate?.({
          certificateId: e.rotated.certificateId,
          validUntil: e.rotated.validUntil,
        });
      } else {
        this.#pausedUntil = this.ctx.clock.now() + this.#retryAfter;
      }
      this.o.onError?.(e);
    }
  }
}
