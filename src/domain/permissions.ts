/** NetSuite's four OAuth 2.0 related permissions (ids are ours, labels are NetSuite's). */
export const PERMISSIONS = {
  oauth2_authorized_apps_management: 'OAuth 2.0 Authorized Applications Management',
  oauth2_access_token_login: 'Log in using OAuth 2.0 Access Tokens',
  oauth2_manage_own_certificates: 'Manage own OAuth 2.0 Client Credentials Certificates',
  integration_application: 'Integration Application',
} as const;

export type Permission = keyof typeof PERMISSIONS;
export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

export const isPermission = (p: string): p is Permission => Object.hasOwn(PERMISSIONS, p);

/** NetSuite's built-in Administrator role: id 3, holds every permission. */
export const ADMINISTRATOR_ROLE_ID = 3;
export const ADMINISTRATOR_ROLE_NAME = 'Administrator';
/** Custom roles are numbered from here, as in NetSuite. */
export const FIRST_CUSTOM_ROLE_ID = 1000;

export interface Role {
  accountId: string;
  id: number;
  name: string;
  active: boolean;
  permissions: Permission[];
}

export const roleHas = (role: Pick<Role, 'id' | 'permissions'>, p: Permission): boolean =>
  role.id === ADMINISTRATOR_ROLE_ID || role.permissions.includes(p);
