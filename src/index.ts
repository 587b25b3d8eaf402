/**
 * `certmint`: the server as a library, for running certmint inside your own Fastify application
 * or process (docs/architecture.md, "Embedding certmint"): the services (`openServices`, or
 * `createServices` over a store and master key of your own), the HTTP application
 * (`buildApp`), the use cases, and the records and errors they return and throw. Only
 * re-exports: the names here are the supported surface. The client SDK is a separate entry
 * point, `certmint/client`, that loads none of this.
 */

export type { Account, AccountKind } from './domain/account.ts';
export type { AuditEvent, AuditEventType, AuditResult, DetailCode } from './domain/audit.ts';
export { type Clock, FixedClock, systemClock } from './domain/clock.ts';
export type { Entity, EntityType } from './domain/entity.ts';
export { DomainError, type ErrorKind, isDomainError } from './domain/errors.ts';
export type { Integration, IntegrationState } from './domain/integration.ts';
export type { CertificateFacts, Mapping } from './domain/mapping.ts';
export type { Permission, Role } from './domain/permissions.ts';
export type { Scope } from './domain/scope.ts';
export { isStoreUnavailable, StoreUnavailableError } from './domain/store-unavailable.ts';
export { type AppDeps, BODY_LIMIT, buildApp } from './http/app.ts';
export { buildMetricsApp, type MetricsOptions } from './http/metrics.ts';
export { DEFAULT_SERVER_LIMITS, type ServerLimits } from './http/server-limits.ts';
export * from './service/index.ts';
export {
  DEFAULT_SQLITE_PATH,
  isPostgresUrl,
  keyFileFor,
  loadMasterKey,
  type MasterKey,
  type OpenStoreOptions,
  openStore,
  type Store,
} from './service/runtime.ts';
