/**
 * The service layer: use cases called by http, cli and console (never the store from those).
 * Interfaces get a `Services` from `createServices` / `openServices` (the composition root).
 */

export { type Bootstrapped, FIRST_ACCOUNT_ID, FIRST_ADMIN_EMAIL } from './bootstrap.ts';
export {
  type MappableEntity,
  type MappableRole,
  type MappingChoices,
  mappingChoices,
} from './certificates/choices.ts';
export {
  type ExpiringCertificate,
  type ExpiringQuery,
  listExpiring,
} from './certificates/expiring.ts';
export {
  type CertificateCapability,
  capabilityOf,
  listIntegrationCertificates,
  revokeIntegrationCertificate,
  type UploadInput,
  uploadCertificate,
} from './certificates/rotation.ts';
export {
  EXPIRES_SOON_MS,
  EXPIRING_WITHIN_MS,
  listMappings,
  type MappingStatus,
  type MappingView,
  mappingStatus,
  mappingViews,
} from './certificates/views.ts';
export type { ClusterCheck, PublicUrlCheck } from './cluster.ts';
export {
  type Actor,
  actorEntityId,
  requirePermission,
  type ServiceDeps,
  SYSTEM,
} from './context.ts';
export {
  type NoticeAttempt,
  type NoticePassResult,
  type NoticeSettings,
  type Notices,
  signWebhook,
} from './notices/index.ts';
export { requireAdministrator, requireAnyPermission } from './records/access.ts';
export {
  type AccountFamily,
  accountFamily,
  type CreateAccountInput,
  createAccount,
  getAccount,
  listAccounts,
  refreshSandbox,
} from './records/accounts.ts';
export {
  type AuditQuery,
  DEFAULT_AUDIT_LIMIT,
  listAudit,
  MAX_AUDIT_LIMIT,
} from './records/audit.ts';
export { auditActorNames } from './records/audit-actors.ts';
export {
  assignRole,
  type CreateEntityInput,
  createEntity,
  getEntity,
  listEntities,
  setPassword,
  type UpdateEntityInput,
  unassignRole,
  updateEntity,
} from './records/entities.ts';
export {
  type CreatedIntegration,
  type CreateIntegrationInput,
  createIntegration,
  getIntegration,
  hashClientSecret,
  listIntegrations,
  type UpdateIntegrationInput,
  updateIntegration,
  verifyClientSecret,
} from './records/integrations.ts';
export {
  type CreatedMapping,
  type CreateMappingInput,
  createMapping,
  revokeMapping,
} from './records/mappings.ts';
export {
  checkPasswordPolicy,
  hashPassword,
  MIN_PASSWORD_LENGTH,
  verifyPassword,
} from './records/passwords.ts';
export {
  type CreateRoleInput,
  createRole,
  getRole,
  listRoles,
  type UpdateRoleInput,
  updateRole,
} from './records/roles.ts';
export { AUDIT_RETENTION_DAYS } from './retention.ts';
export { type OpenServicesOptions, openServices } from './runtime.ts';
export {
  createServices,
  type JobLog,
  PURGE_INTERVAL_MS,
  type Services,
  type ServicesOptions,
} from './services.ts';
export { DEFAULT_RATE_LIMITS, type RateLimits } from './token/rate-limit.ts';
export type { ActiveToken, IntrospectionResponse, TokenResponse } from './token/token-service.ts';
