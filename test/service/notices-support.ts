/**
 * A world for the expiry-notice tests: an account with two Administrators (one without an email),
 * an inactive Administrator, an integration user with an email, certificates mapped at T0 for 90
 * days, and node(s) — services with notices on — over a frozen clock, an in-process SMTP server
 * and a webhook receiver.
 */
import { generateCertificate } from '../../src/crypto/generate.ts';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { FixedClock } from '../../src/domain/clock.ts';
import type { Mapping } from '../../src/domain/mapping.ts';
import {
  assignRole,
  createAccount,
  createEntity,
  createIntegration,
  createMapping,
  createRole,
  createServices,
  type NoticeSettings,
  type Services,
  SYSTEM,
} from '../../src/service/index.ts';
import type { Store } from '../../src/store/ports.ts';
import { SmtpSink } from '../support/smtp-sink.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

export const DAY = 86_400_000;
/** Whole seconds (certificate times are), and near real time (the certificates are made now). */
export const T0 = Math.floor(Date.now() / 1000) * 1000;
export const ACCOUNT = 'TSTDRV4400001';
export const PUBLIC_URL = 'http://certmint.test';
export const WEBHOOK_SECRET = 'whsec-0123456789abcdef0123456789';

export interface World {
  clock: FixedClock;
  smtp: SmtpSink;
  hooks: WebhookReceiver;
  settings: NoticeSettings;
  clientId: string;
  entityId: number;
  roleId: number;
  /** Mapped at T0, valid 90 days. */
  mappings: Mapping[];
  node(store: Store, extra?: Partial<NoticeSettings>): Services;
  close(): Promise<void>;
}

/** Sets up the records on `store` (shared by every node) and starts the receivers. */
export async function noticeWorld(store: Store, certificates = 1): Promise<World> {
  const clock = new FixedClock(T0);
  const deps = { store, clock };
  await createAccount(deps, SYSTEM, { id: ACCOUNT });
  const admin = async (name: string, email?: string, active = true) => {
    const e = await createEntity(deps, SYSTEM, {
      accountId: ACCOUNT,
      name,
      active,
      ...(email === undefined ? {} : { email }),
    });
    await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: e.id, roleId: 3 });
  };
  await admin('Ada Admin', 'Ada@Example.com');
  await admin('No Mail Admin');
  await admin('Former Admin', 'former@example.com', false);
  const role = await createRole(deps, SYSTEM, {
    accountId: ACCOUNT,
    name: 'M2M',
    permissions: ['oauth2_access_token_login'],
  });
  const svc = await createEntity(deps, SYSTEM, {
    accountId: ACCOUNT,
    name: 'Billing Sync',
    email: 'billing@example.com',
  });
  await assignRole(deps, SYSTEM, { accountId: ACCOUNT, entityId: svc.id, roleId: role.id });
  const { integration } = await createIntegration(deps, SYSTEM, {
    accountId: ACCOUNT,
    name: 'Billing',
    m2mGrant: true,
    scopes: ['restlets', 'rest_webservices'],
  });
  const mappings: Mapping[] = [];
  for (let i = 0; i < certificates; i++) {
    const g = await generateCertificate({ alg: 'ES256', now: T0, days: 90 });
    mappings.push(
      await createMapping(deps, SYSTEM, {
        accountId: ACCOUNT,
        clientId: integration.clientId,
        entityId: svc.id,
        roleId: role.id,
        certificate: g.certificatePem,
      }),
    );
  }
  const smtp = await SmtpSink.start();
  const hooks = await WebhookReceiver.start(WEBHOOK_SECRET, () => clock.now());
  const settings: NoticeSettings = {
    email: { smtpUrl: smtp.url, from: 'certmint <certmint@example.com>' },
    webhook: { url: hooks.url, secret: WEBHOOK_SECRET },
  };
  const nodes: Services[] = [];
  return {
    clock,
    smtp,
    hooks,
    settings,
    clientId: integration.clientId,
    entityId: svc.id,
    roleId: role.id,
    mappings,
    node(s, extra = {}) {
      const services = createServices({
        store: s,
        master: loadMasterKey({ secret: 'notice-test-secret-0123456789', keyFile: '/nonexistent' }),
        publicUrl: PUBLIC_URL,
        clock,
        notices: { ...settings, ...extra },
      });
      nodes.push(services);
      return services;
    },
    async close() {
      await Promise.all(nodes.map((n) => n.close()));
      await smtp.close();
      await hooks.close();
    },
  };
}

/** The notices a node sent in one pass, as `threshold/channel` labels, sorted. */
export const labels = (r: {
  attempts: { thresholdDays: number; channel: string; status: string }[];
}) => r.attempts.map((a) => `${a.thresholdDays}/${a.channel}/${a.status}`).sort();
