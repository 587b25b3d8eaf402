/**
 * Shared set-up for the record service tests: a frozen clock near real time (OpenSSL stamps
 * certificates with the real time), a seeded account, actors, and a snapshot of everything
 * stored so a test can prove that a refused request changed nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { type Clock, FixedClock } from '../../src/domain/clock.ts';
import type { Permission } from '../../src/domain/permissions.ts';
import type { Actor, ServiceDeps } from '../../src/service/context.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createRole,
  createServices,
  type Services,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';

export const DAY = 24 * 60 * 60 * 1000;

/** The composition root over a test store (not owned), as every interface sees it. */
export function servicesOn(store: Store, clock: Clock): Services {
  return createServices({
    store,
    clock,
    master: loadMasterKey({ secret: 'service-test-secret-0123456789', keyFile: '/nonexistent' }),
    publicUrl: 'http://certmint.test',
  });
}

export function depsFor(store: Store): ServiceDeps & { clock: FixedClock } {
  // Whole seconds, like certificate times, so validity comparisons are exact. Five minutes
  // ahead: OpenSSL stamps notBefore with the real time when a test makes its certificate,
  // which is later than this moment; the frozen clock must not see it as not yet valid.
  return { store, clock: new FixedClock(Math.floor(Date.now() / 1000) * 1000 + 5 * 60 * 1000) };
}

export interface Seed {
  accountId: string;
  entityId: number;
  roleId: number;
  clientId: string;
  clientSecret: string;
  integrationId: number;
}

/** An account with an active entity holding an active role, and an enabled M2M integration. */
export async function seed(deps: ServiceDeps, accountId = '123456'): Promise<Seed> {
  if (!(await deps.store.accounts.get(accountId))) {
    await createAccount(deps, SYSTEM, { id: accountId });
  }
  const entity = await createEntity(deps, SYSTEM, {
    accountId,
    name: 'Integration User',
    email: 'ci@example.com',
  });
  const role = await createRole(deps, SYSTEM, {
    accountId,
    name: 'M2M',
    permissions: ['oauth2_access_token_login'],
  });
  await assignRole(deps, SYSTEM, { accountId, entityId: entity.id, roleId: role.id });
  const { integration, clientSecret } = await createIntegration(deps, SYSTEM, {
    accountId,
    name: 'CI',
    m2mGrant: true,
    scopes: ['restlets', 'rest_webservices'],
  });
  return {
    accountId,
    entityId: entity.id,
    roleId: role.id,
    clientId: integration.clientId,
    clientSecret,
    integrationId: integration.id,
  };
}

/** A signed-in entity acting in a role that holds `permissions` (role id 1000: not Administrator). */
export const entityActor = (
  accountId: string,
  permissions: Permission[],
  roleId = 1000,
): Actor => ({
  kind: 'entity',
  accountId,
  entityId: 1,
  roleId,
  permissions,
});

/** Everything stored for these accounts, as plain data: equal snapshots = nothing changed. */
export async function snapshot(store: Store, accountIds: readonly string[]): Promise<unknown> {
  const out: Record<string, unknown> = { accounts: await store.accounts.list() };
  for (const id of accountIds) {
    out[id] = {
      entities: await store.entities.list(id),
      roles: await store.roles.list(id),
      integrations: await store.integrations.list(id),
      mappings: await store.mappings.list(id),
      audit: await store.audit.list({ accountId: id, limit: 1000 }),
    };
  }
  return JSON.parse(JSON.stringify(out));
}

export interface MadeCertificate {
  pem: string;
  der: Buffer;
  keyPem: string;
}

/**
 * A self-signed certificate made by the openssl binary with Oracle's EC command. `keyPem`
 * reuses an existing private key (a new certificate for an already-mapped public key).
 */
export function opensslCertificate(
  opts: { days?: number; curve?: string; keyPem?: string; subject?: string } = {},
): MadeCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'certmint-svc-'));
  try {
    const keyArgs = opts.keyPem
      ? ['-key', join(dir, 'in.pem')]
      : [
          '-newkey',
          'ec',
          '-pkeyopt',
          `ec_paramgen_curve:${opts.curve ?? 'prime256v1'}`,
          '-pkeyopt',
          'ec_param_enc:named_curve',
          '-keyout',
          join(dir, 'private.pem'),
        ];
    if (opts.keyPem) writeFileSync(join(dir, 'in.pem'), opts.keyPem, { mode: 0o600 });
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-x509',
        ...keyArgs,
        '-nodes',
        '-days',
        String(opts.days ?? 365),
        '-subj',
        opts.subject ?? `/CN=certmint test ${Math.random().toString(36).slice(2)}`,
        '-out',
        join(dir, 'public.pem'),
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    const pem = readFileSync(join(dir, 'public.pem'), 'utf8');
    const der = execFileSync('openssl', [
      'x509',
      '-in',
      join(dir, 'public.pem'),
      '-outform',
      'DER',
    ]);
    const keyPem = opts.keyPem ?? readFileSync(join(dir, 'private.pem'), 'utf8');
    return { pem, der, keyPem };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
