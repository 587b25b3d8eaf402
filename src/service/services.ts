/**
 * The composition root: every use case bound to one store and clock, the token service with its
 * caches and signing keys, and the background jobs (purges). `serve`, the CLI, the console, the
 * admin API and tests all go through one `Services`; none of them sees the store.
 */
import type { MasterKey } from '../crypto/master-key.ts';
import { auditEvent } from '../domain/audit.ts';
import { type Clock, systemClock } from '../domain/clock.ts';
import type { Store } from '../store/ports.ts';
import { AuditWriter } from './audit-writer.ts';
import { type BoundAll, bindAll } from './bind.ts';
import { type Bootstrapped, bootstrapEmptyStore } from './bootstrap.ts';
import { mappingChoices } from './certificates/choices.ts';
import { listExpiring } from './certificates/expiring.ts';
import {
  listIntegrationCertificates,
  revokeIntegrationCertificate,
  uploadCertificate,
} from './certificates/rotation.ts';
import { listMappings } from './certificates/views.ts';
import { type ClusterCheck, checkCluster, type PublicUrlCheck } from './cluster.ts';
import { type ConsoleAuth, createConsoleAuth } from './console-auth/index.ts';
import { type Actor, actorEntityId, type ServiceDeps } from './context.ts';
import { ServiceMetrics } from './metrics.ts';
import { createNotices, type NoticeSettings, type Notices } from './notices/index.ts';
import { requireAdministrator } from './records/access.ts';
import {
  accountFamily,
  createAccount,
  getAccount,
  listAccounts,
  refreshSandbox,
} from './records/accounts.ts';
import {
  auditRefusals,
  inputSpec,
  positionalSpec,
  type RefusalSpec,
} from './records/admin-audit.ts';
import { listAudit } from './records/audit.ts';
import { auditActorNames } from './records/audit-actors.ts';
import {
  assignRole,
  createEntity,
  getEntity,
  listEntities,
  setPassword,
  unassignRole,
  updateEntity,
} from './records/entities.ts';
import {
  createIntegration,
  getIntegration,
  listIntegrations,
  updateIntegration,
} from './records/integrations.ts';
import { createMapping, revokeMapping } from './records/mappings.ts';
import { createRole, getRole, listRoles, updateRole } from './records/roles.ts';
import { AUDIT_RETENTION_DAYS, purgeAudit } from './retention.ts';
import { DpopNonces } from './token/dpop-nonce.ts';
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from './token/rate-limit.ts';
import { RecordCache } from './token/record-cache.ts';
import { SigningKeys } from './token/signing-keys.ts';
import { TokenService } from './token/token-service.ts';

const RECORDS = {
  createAccount,
  getAccount,
  listAccounts,
  accountFamily,
  refreshSandbox,
  createEntity,
  getEntity,
  listEntities,
  updateEntity,
  assignRole,
  unassignRole,
  setPassword,
  createRole,
  getRole,
  listRoles,
  updateRole,
  createIntegration,
  getIntegration,
  listIntegrations,
  updateIntegration,
  createMapping,
  revokeMapping,
  listMappings,
  listExpiring,
  mappingChoices,
  listAudit,
  auditActorNames,
};

const CERTIFICATES = {
  list: listIntegrationCertificates,
  upload: uploadCertificate,
  revoke: revokeIntegrationCertificate,
};

/** Every administrative use case: how its refusals are audited (records/admin-audit.ts). */
const RECORD_REFUSALS = {
  createAccount: inputSpec('account.create', 'id'),
  refreshSandbox: positionalSpec('sandbox.refresh'),
  createEntity: inputSpec('entity.create'),
  updateEntity: positionalSpec('entity.update', 'entityId'),
  assignRole: inputSpec('entity.role_assign'),
  unassignRole: inputSpec('entity.role_unassign'),
  setPassword: inputSpec('password.reset'),
  createRole: inputSpec('role.create'),
  updateRole: positionalSpec('role.update', 'roleId'),
  createIntegration: inputSpec('integration.create'),
  updateIntegration: positionalSpec('integration.update', 'clientId'),
  createMapping: inputSpec('mapping.create'),
  revokeMapping: positionalSpec('mapping.revoke', 'certificateId'),
} satisfies Partial<Record<keyof typeof RECORDS, RefusalSpec>>;
const CERTIFICATE_REFUSALS = {
  upload: inputSpec('mapping.create'),
  revoke: positionalSpec('mapping.revoke', 'clientId', 'certificateId'),
} satisfies Partial<Record<keyof typeof CERTIFICATES, RefusalSpec>>;
const CONSOLE_AUTH_REFUSALS = {
  setPassword: inputSpec('password.reset'),
  resetTwoFactor: positionalSpec('two_factor.reset', 'entityId'),
} satisfies Partial<Record<keyof ConsoleAuth, RefusalSpec>>;

/** How often expired replay and revoked-token records are deleted. */
export const PURGE_INTERVAL_MS = 60_000;

export interface ServicesOptions {
  store: Store;
  /** Encrypts token-signing keys at rest; read only when a key is created or loaded. */
  master: MasterKey;
  /** Base URL clients use, e.g. http://127.0.0.1:8080 — issuers are `${publicUrl}/accounts/<A>`. */
  publicUrl: string;
  clock?: Clock;
  /** Close the store when the services close (true when the services opened it). */
  ownsStore?: boolean;
  /** Certificate expiry notices: thresholds and channels (none: no notices are sent). */
  notices?: NoticeSettings | undefined;
  /** OAuth endpoint rate limits of this node (default: DEFAULT_RATE_LIMITS). */
  rateLimits?: Partial<RateLimits>;
  /** Days the audit trail is kept (background purge); 0 keeps it forever. Default 90. */
  auditRetentionDays?: number;
  /** How often the background jobs run (default PURGE_INTERVAL_MS). */
  purgeIntervalMs?: number;
  /** Demand server nonces in DPoP proofs at the token endpoint (RFC 9449 §8). Default off. */
  dpopNonce?: boolean;
}

/** Where background jobs report failures (a logger's warn). */
export type JobLog = (err: unknown, job: string) => void;

export interface Services {
  readonly clock: Clock;
  readonly publicUrl: string;
  readonly dialect: Store['dialect'];
  /** Accounts, entities, roles, integrations, mappings and the audit trail: `(actor, …)`. */
  readonly records: BoundAll<typeof RECORDS>;
  /** NetSuite's certificate rotation API: the caller's own capability decides what it sees. */
  readonly certificates: BoundAll<typeof CERTIFICATES>;
  /** The OAuth endpoints and bearer-token validation. */
  readonly tokens: TokenService;
  readonly signingKeys: {
    /** Where the key that encrypts them at rest comes from (for the start-up line; no secret). */
    readonly source: string;
    /** The account's JWKS; its first key is created when it has none yet. */
    jwks(accountId: string): Promise<{ keys: Record<string, unknown>[] }>;
    /** A new signing key (Administrator or the CLI); audited. */
    rotate(actor: Actor, accountId: string): Promise<{ accountId: string; kid: string }>;
  };
  /** True when the account exists (cached: read on every OAuth request). */
  accountExists(accountId: string): Promise<boolean>;
  /** True when the store answers a query. */
  ready(): Promise<boolean>;
  /** First start on an empty store: account TSTDRV0000001 and its administrator, else null. */
  bootstrap(): Promise<Bootstrapped | null>;
  /**
   * The start-up check of a node sharing its store (service/cluster.ts): the signing-key secret
   * against the store's key-check value, the public URL against the store's (`check`, the
   * default; `change` makes this one the store's; `skip`). Throws a DomainError saying what to
   * do. `openServices` runs it; call it yourself after `createServices`.
   */
  checkCluster(publicUrl?: PublicUrlCheck): Promise<ClusterCheck>;
  /** Starts the purges (idempotent). Only long-running processes call it. */
  startBackgroundJobs(log: JobLog): void;
  /** Stops the jobs, drains the audit writer, closes the caches (and the store if owned). */
  close(): Promise<void>;
  /** Console sign-in, sessions, two-factor and the administrative resets of both. */
  readonly consoleAuth: ConsoleAuth;
  /** Certificate expiry notices (email, webhook), sent once per threshold across all nodes. */
  readonly notices: Notices;
  /** Prometheus metrics of these services (a registry of their own; docs/metrics.md). */
  readonly metrics: ServiceMetrics;
}

export function createServices(opts: ServicesOptions): Services {
  const { store } = opts;
  const clock = opts.clock ?? systemClock;
  const publicUrl = opts.publicUrl.replace(/\/+$/, '');
  const deps: ServiceDeps = { store, clock };
  const cache = new RecordCache(store, clock);
  const keys = new SigningKeys(store, clock, opts.master);
  const limiter = new RateLimiter(clock, { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits });
  const metrics = new ServiceMetrics({ store, clock, cache, limiter });
  // PostgreSQL: up to 4 batches in flight, each on its own pooled connection; another starts
  // while one is in flight once 16 items wait (group-commit.ts).
  const pg = store.dialect === 'postgres';
  const audit = new AuditWriter(store.ledger, pg ? 4 : 1, pg ? 16 : 1, metrics);
  const dpopNonces = opts.dpopNonce ? new DpopNonces(opts.master, clock) : null;
  const tokens = new TokenService({
    store,
    clock,
    cache,
    keys,
    audit,
    limiter,
    publicUrl,
    dpopNonces,
  });
  const consoleAuth = auditRefusals(
    deps,
    createConsoleAuth({ store, clock, master: opts.master, records: cache }),
    CONSOLE_AUTH_REFUSALS,
  );
  const rotateKey = auditRefusals(
    deps,
    {
      async rotate(actor: Actor, accountId: string) {
        const account = await getAccount(deps, actor, accountId);
        requireAdministrator(actor, account.id);
        const kid = await keys.rotate(account.id);
        await store.audit.append([
          auditEvent('keys.rotate', account.id, clock.now(), { actor: actorEntityId(actor) }),
        ]);
        return { accountId: account.id, kid };
      },
    },
    { rotate: positionalSpec('keys.rotate') },
  );
  const notices = createNotices(deps, { settings: opts.notices, publicUrl });
  const retentionDays = opts.auditRetentionDays ?? AUDIT_RETENTION_DAYS;
  let purge: NodeJS.Timeout | null = null;
  let auditPurge: Promise<void> | null = null;
  let closed: Promise<void> | null = null;

  return {
    clock,
    publicUrl,
    dialect: store.dialect,
    records: auditRefusals(deps, bindAll(deps, RECORDS), RECORD_REFUSALS),
    certificates: auditRefusals(deps, bindAll(deps, CERTIFICATES), CERTIFICATE_REFUSALS),
    tokens,
    signingKeys: {
      get source() {
        return opts.master.source;
      },
      async jwks(accountId) {
        // Make sure a key exists so verifiers can fetch it before the first token is issued.
        await keys.signer(accountId);
        return keys.jwks(accountId);
      },
      rotate: rotateKey.rotate,
    },
    accountExists: async (accountId) => (await cache.account(accountId)) !== null,
    async ready() {
      try {
        await store.accounts.get('0');
        return true;
      } catch {
        return false;
      }
    },
    bootstrap: () => bootstrapEmptyStore(deps),
    checkCluster: (how) => checkCluster({ store, master: opts.master, clock, publicUrl }, how),
    consoleAuth,
    notices,
    metrics,
    startBackgroundJobs(log) {
      if (purge !== null || closed !== null) return;
      purge = setInterval(() => {
        const now = clock.now();
        store.replay.purgeExpired(now).catch((err: unknown) => log(err, 'replay purge'));
        store.revokedTokens
          .purgeExpired(now)
          .catch((err: unknown) => log(err, 'revoked-token purge'));
        consoleAuth
          .purgeExpired(now)
          .catch((err: unknown) => log(err, 'console session and lockout purge'));
        // A backlog may take longer than one interval: never two audit purges at once.
        auditPurge ??= purgeAudit(store.audit, now, retentionDays, { stopped: () => !purge })
          .then(
            () => undefined,
            (err: unknown) => log(err, 'audit retention purge'),
          )
          .then(() => {
            auditPurge = null;
          });
      }, opts.purgeIntervalMs ?? PURGE_INTERVAL_MS);
      purge.unref();
      notices.start(log);
    },
    close() {
      closed ??= (async () => {
        if (purge !== null) clearInterval(purge);
        purge = null;
        await notices.close();
        await auditPurge;
        await audit.drain();
        cache.close();
        keys.close();
        if (opts.ownsStore) await store.close();
      })();
      return closed;
    },
  };
}
