/** The service layer: use cases called by http, cli and console (never SQL from those). */
export {
  type Actor,
  actorEntityId,
  requirePermission,
  type ServiceDeps,
  SYSTEM,
} from './context.ts';
export { requireAdministrator, requireAnyPermission } from './records/access.ts';
export {
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
  type CreateMappingInput,
  createMapping,
  EXPIRES_SOON_MS,
  listMappings,
  type MappingStatus,
  type MappingView,
  mappingStatus,
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
