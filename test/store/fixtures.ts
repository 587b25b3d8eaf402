/** Synthetic records for the store suite (real certificates are tested with the crypto code). */
import { randomBytes } from 'node:crypto';
import type { Account } from '../../src/domain/account.ts';
import type { Mapping } from '../../src/domain/mapping.ts';
import type { Store } from '../../src/store/ports.ts';

export const T0 = 1_700_000_000_000;
export const DAY = 86_400_000;

export const randomId = (): string => randomBytes(32).toString('base64url');
export const randomClientId = (): string => randomBytes(32).toString('hex');

export function production(id: string): Account {
  return { id, kind: 'production', parentId: null, createdAt: T0, refreshedAt: null };
}

export function sandbox(prod: string, n: number): Account {
  return {
    id: `${prod}_SB${n}`,
    kind: 'sandbox',
    parentId: prod,
    createdAt: T0,
    refreshedAt: null,
  };
}

export interface Setup {
  accountId: string;
  entityId: number;
  roleId: number;
  integrationIds: number[];
}

/** An account with one entity holding the Administrator role and `integrations` integrations. */
export async function setup(store: Store, accountId: string, integrations = 1): Promise<Setup> {
  await store.accounts.create(production(accountId));
  const entity = await store.entities.create({
    accountId,
    name: 'Ada',
    email: 'ada@example.com',
    type: 'employee',
    active: true,
  });
  await store.entities.assignRole(accountId, entity.id, 3);
  const integrationIds: number[] = [];
  for (let i = 0; i < integrations; i++) {
    const integ = await store.integrations.create({
      accountId,
      name: `App ${i}`,
      state: 'enabled',
      clientId: randomClientId(),
      clientSecretHash: `hash-${i}`,
      applicationId: '7C5E1B1A-0000-4000-8000-000000000000',
      m2mGrant: true,
      scopes: ['restlets'],
      createdAt: T0,
    });
    integrationIds.push(integ.id);
  }
  return { accountId, entityId: entity.id, roleId: 3, integrationIds };
}

/** A mapping with random certificate and key ids, valid from T0 for a year. */
export function mapping(s: Setup, integrationId: number, over: Partial<Mapping> = {}): Mapping {
  return {
    certificateId: randomId(),
    publicKeyId: randomId(),
    pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    subject: 'CN=test',
    issuer: 'CN=test',
    serialNumber: '01',
    algorithm: 'EC',
    keyType: 'ec',
    keySize: 256,
    curve: 'P-256',
    validFrom: T0,
    validUntil: T0 + 365 * DAY,
    shortened: false,
    accountId: s.accountId,
    integrationId,
    entityId: s.entityId,
    roleId: s.roleId,
    createdAt: T0,
    createdBy: null,
    revokedAt: null,
    revokedBy: null,
    ...over,
  };
}
