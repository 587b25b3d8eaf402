/**
 * A realistic account for the console's layout checks and the screenshots in docs/console/:
 * long names and unbroken ids, several integrations (one blocked, one without the M2M grant),
 * and mappings in every state — active, expiring in 3 and 25 days, expiring in 45 days,
 * expired, revoked, mapped to a role that cannot log in — plus token failures of several kinds,
 * administrative events by a person and by the command line, and sandboxes.
 *
 * Everything is made through the service use cases. Mappings "of the past" are made with a
 * clock set back (the certificate was valid when it was mapped), so the list shows expired and
 * revoked rows as a real account accumulates them.
 */

import type { AssertionAlg } from '../../src/crypto/algorithms.ts';
import { generateCertificate } from '../../src/crypto/generate.ts';
import type { AuditEvent, DetailCode } from '../../src/domain/audit.ts';
import type { Actor, ServiceDeps } from '../../src/service/context.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  refreshSandbox,
  revokeMapping,
  SYSTEM,
  updateIntegration,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { makeCert } from '../support/openssl.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export const LONG_SUBJECT =
  'CN=order-fulfilment-sync.eu-west-1.prod.northwind-traders.example.com, OU=Integration Platform, O=Northwind Traders Ltd, C=GB';

export interface Realistic {
  accountId: string;
  /** The unbroken long-named service entity (holds both integration roles). */
  serviceEntityId: number;
  /** A certificate manager who is not Administrator (console password MANAGER_PASSWORD). */
  managerEmail: string;
  loginRoleId: number;
  integrationId: number;
  /** An active mapping (its revoke page). */
  activeCertificateId: string;
  sandboxId: string;
}

export const MANAGER_PASSWORD = 'grace password 2468';

const at = (store: Store, ms: number): ServiceDeps => ({ store, clock: { now: () => ms } });

async function cert(alg: AssertionAlg, start: number, days: number, subject?: string) {
  const c = await generateCertificate({ alg, now: start, days, ...(subject && { subject }) });
  return c.certificatePem;
}

/** When the realistic account's records were set up: before its oldest mapping. */
export const SET_UP_DAYS_AGO = 401;

export async function seedRealistic(store: Store, accountId: string): Promise<Realistic> {
  const now = Date.now();
  // Records are made in the order a real account would have made them (the audit trail lists
  // them by when they were written).
  const deps = at(store, now - SET_UP_DAYS_AGO * DAY);
  const A = accountId;
  const login = await createRole(deps, SYSTEM, {
    accountId: A,
    name: 'Order Fulfilment Integration (EU-West)',
    permissions: ['oauth2_access_token_login'],
  });
  const reporting = await createRole(deps, SYSTEM, {
    accountId: A,
    name: 'Reporting — read-only dashboards',
    permissions: ['integration_application'],
  });
  const managers = await createRole(deps, SYSTEM, {
    accountId: A,
    name: 'Certificate Managers',
    permissions: ['oauth2_authorized_apps_management', 'integration_application'],
  });
  const service = await createEntity(deps, SYSTEM, {
    accountId: A,
    name: 'svc-northwind-order-fulfilment-and-invoicing-eu-west-1',
    email: 'order-fulfilment.integration@operations.northwind-traders.example.com',
  });
  const robots = await createEntity(deps, SYSTEM, {
    accountId: A,
    name: 'Warehouse Robotics Telemetry Collector',
    type: 'partner',
  });
  const managerEmail = 'grace.hopper-montgomery@finance.northwind-traders.example.com';
  const grace = await createEntity(deps, SYSTEM, {
    accountId: A,
    name: 'Grace Hopper-Montgomery',
    email: managerEmail,
    password: MANAGER_PASSWORD,
  });
  for (const [entityId, roleId] of [
    [service.id, login.id],
    [service.id, reporting.id],
    [robots.id, login.id],
    [grace.id, managers.id],
  ] as const) {
    await assignRole(deps, SYSTEM, { accountId: A, entityId, roleId });
  }

  const integration = async (name: string, m2mGrant: boolean) =>
    (
      await createIntegration(deps, SYSTEM, {
        accountId: A,
        name,
        m2mGrant,
        scopes: ['restlets', 'rest_webservices'],
      })
    ).integration;
  const orders = await integration(
    'Northwind Traders — Order Fulfilment & Invoicing Sync (Production EU-West)',
    true,
  );
  const telemetry = await integration('Warehouse Robotics Telemetry', true);
  const payroll = await integration('Legacy Payroll Bridge (blocked until the migration)', true);
  await integration('Customer Portal (authorization code flow, no M2M)', false);

  const graceActor: Actor = {
    kind: 'entity',
    accountId: A,
    entityId: grace.id,
    roleId: managers.id,
    permissions: ['oauth2_authorized_apps_management', 'integration_application'],
  };
  // Mapped `daysAgo` (the certificate starting then), oldest first; by Grace unless the CLI.
  const specs: Array<{
    daysAgo: number;
    clientId: string;
    entityId: number;
    roleId: number;
    pem: () => Promise<string>;
    by: Actor;
    label?: 'active' | 'revoked';
  }> = [
    // Expired 20 days ago.
    {
      daysAgo: 399,
      clientId: telemetry.clientId,
      entityId: robots.id,
      roleId: login.id,
      pem: () => cert('ES256', now - 400 * DAY, 380),
      by: SYSTEM,
    },
    // Expiring in 3 and in 25 days; expires in 45 days (within NetSuite's 60-day notice).
    {
      daysAgo: 362,
      clientId: telemetry.clientId,
      entityId: robots.id,
      roleId: login.id,
      pem: () => cert('ES512', now - 362 * DAY, 365),
      by: SYSTEM,
    },
    {
      daysAgo: 340,
      clientId: orders.clientId,
      entityId: service.id,
      roleId: login.id,
      pem: () => cert('ES384', now - 340 * DAY, 365),
      by: graceActor,
    },
    {
      daysAgo: 320,
      clientId: payroll.clientId,
      entityId: robots.id,
      roleId: login.id,
      pem: () => cert('ES256', now - 320 * DAY, 365),
      by: SYSTEM,
    },
    // Revoked a month ago by the certificate manager.
    {
      daysAgo: 200,
      clientId: orders.clientId,
      entityId: service.id,
      roleId: login.id,
      pem: () => cert('ES256', now - 200 * DAY, 365),
      by: graceActor,
      label: 'revoked',
    },
    // Active, 245 days left, with a long subject.
    {
      daysAgo: 120,
      clientId: orders.clientId,
      entityId: service.id,
      roleId: login.id,
      pem: () => cert('ES256', now - 120 * DAY, 365, LONG_SUBJECT),
      by: graceActor,
      label: 'active',
    },
    // To a role without "Log in using OAuth 2.0 Access Tokens": the row carries a warning.
    {
      daysAgo: 10,
      clientId: orders.clientId,
      entityId: service.id,
      roleId: reporting.id,
      pem: () => cert('ES256', now - 10 * DAY, 700),
      by: graceActor,
    },
    // RSA (OpenSSL, an RSASSA-PSS key), mapped today.
    {
      daysAgo: 0,
      clientId: telemetry.clientId,
      entityId: robots.id,
      roleId: login.id,
      pem: async () => (await makeCert('rsa-pss-3072')).certPem,
      by: SYSTEM,
    },
  ];
  const made: Partial<Record<'active' | 'revoked', string>> = {};
  const timeline: Array<{ daysAgo: number; run: () => Promise<unknown> }> = [
    ...specs.map((m) => ({
      daysAgo: m.daysAgo,
      run: async () => {
        const mapped = await createMapping(at(store, now - m.daysAgo * DAY), m.by, {
          accountId: A,
          clientId: m.clientId,
          entityId: m.entityId,
          roleId: m.roleId,
          certificate: await m.pem(),
        });
        if (m.label) made[m.label] = mapped.certificateId;
      },
    })),
    {
      daysAgo: 30,
      run: () => revokeMapping(at(store, now - 30 * DAY), graceActor, A, made.revoked ?? ''),
    },
    {
      daysAgo: 5,
      run: () =>
        updateIntegration(at(store, now - 5 * DAY), SYSTEM, A, payroll.id, { state: 'blocked' }),
    },
    ...([`${A}_SB1`, `${A}_SB2`, `${A}_RP`] as const).map((id) => ({
      daysAgo: 4,
      run: () => createAccount(at(store, now - 4 * DAY), SYSTEM, { id }),
    })),
    { daysAgo: 2, run: () => refreshSandbox(at(store, now - 2 * DAY), SYSTEM, `${A}_SB1`) },
  ];
  // Oldest first; a stable sort keeps the listed order within a day.
  for (const event of timeline.sort((a, b) => b.daysAgo - a.daysAgo)) await event.run();
  const active = made.active ?? '';
  await store.audit.append(tokenEvents(A, now, orders.clientId, active, service.id, login.id));

  return {
    accountId: A,
    serviceEntityId: service.id,
    managerEmail,
    loginRoleId: login.id,
    integrationId: orders.id,
    activeCertificateId: active,
    sandboxId: `${A}_SB1`,
  };
}

/** A day of token requests: mostly successes, failures of several kinds, from a few addresses. */
function tokenEvents(
  accountId: string,
  now: number,
  clientId: string,
  certificateId: string,
  entityId: number,
  roleId: number,
): AuditEvent[] {
  const failures: Array<[DetailCode, number]> = [
    ['MissingPermission', 6],
    ['CertificateExpired', 4],
    ['SignatureValidation', 3],
    ['CertificateRevoked', 2],
    ['TokenExpired', 2],
    ['InvalidAudience', 1],
  ];
  const addresses = ['203.0.113.45', '2001:db8:85a3:0:0:8a2e:370:7334', '198.51.100.7'];
  const out: AuditEvent[] = [];
  let i = 0;
  const event = (detail: DetailCode | null): AuditEvent => {
    i++;
    return {
      at: now - ((i * 37) % 23) * HOUR - i * 61_000,
      accountId,
      type: 'token',
      result: detail === null ? 'success' : 'failure',
      detail,
      clientId,
      certificateId,
      entityId,
      roleId,
      remoteAddress: addresses[i % addresses.length] ?? null,
      actor: null,
    };
  };
  for (const [detail, n] of failures) for (let k = 0; k < n; k++) out.push(event(detail));
  for (let k = 0; k < 12; k++) out.push(event(null));
  // Written in the order they happened, as the server writes them.
  return out.sort((x, y) => x.at - y.at);
}
