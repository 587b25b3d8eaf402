/**
 * First start on an empty store: account TSTDRV0000001 and an administrator who can sign in to
 * the console. The generated password is returned once and never stored in clear.
 */
import { randomBytes } from 'node:crypto';
import { ADMINISTRATOR_ROLE_ID } from '../domain/permissions.ts';
import { type ServiceDeps, SYSTEM } from './context.ts';
import { assignRole, createAccount, createEntity } from './index.ts';

export const FIRST_ACCOUNT_ID = 'TSTDRV0000001';
export const FIRST_ADMIN_EMAIL = 'admin@certmint.local';

export interface Bootstrapped {
  accountId: string;
  email: string;
  password: string;
}

/** Null when the store already has an account (nothing is changed then). */
export async function bootstrapEmptyStore(deps: ServiceDeps): Promise<Bootstrapped | null> {
  if ((await deps.store.accounts.list()).length > 0) return null;
  const password = randomBytes(15).toString('base64url');
  await createAccount(deps, SYSTEM, { id: FIRST_ACCOUNT_ID, kind: 'production' });
  const admin = await createEntity(deps, SYSTEM, {
    accountId: FIRST_ACCOUNT_ID,
    name: 'Administrator',
    email: FIRST_ADMIN_EMAIL,
    type: 'employee',
    password,
  });
  await assignRole(deps, SYSTEM, {
    accountId: FIRST_ACCOUNT_ID,
    entityId: admin.id,
    roleId: ADMINISTRATOR_ROLE_ID,
  });
  return { accountId: FIRST_ACCOUNT_ID, email: FIRST_ADMIN_EMAIL, password };
}
