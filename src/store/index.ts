export type { Dialect } from './context.ts';
export { AUDIT_LIST_MAX } from './kysely/audit.ts';
export { DEFAULT_SQLITE_PATH, isPostgresUrl, type OpenStoreOptions, openStore } from './open.ts';
export type * from './ports.ts';
