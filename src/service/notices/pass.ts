/**
 * One pass: "which notices are due now", with the injected clock. First the deliveries whose
 * retry is due (or whose holder died), then every active mapping inside the longest threshold.
 * Every delivery is claimed in the database before anything is sent (store/ports.ts
 * NoticeStore), so a notice goes out once however many nodes run passes at the same moment, and
 * a restarted node finds its claims where it left them.
 */
import { auditEvent } from '../../domain/audit.ts';
import type { Entity } from '../../domain/entity.ts';
import type { Integration } from '../../domain/integration.ts';
import { isMappingActive, type Mapping } from '../../domain/mapping.ts';
import {
  DAY_MS,
  daysLeft,
  dueNoticeDays,
  NOTICE_LEASE_MS,
  NOTICE_MAX_ATTEMPTS,
  type NoticeChannel,
  noticeRetryDelay,
} from '../../domain/notices.ts';
import type { Role } from '../../domain/permissions.ts';
import type { NoticeKey, NoticeOutcome } from '../../store/ports.ts';
import type { ServiceDeps } from '../context.ts';
import { type EmailSender, PermanentNoticeError } from './email.ts';
import { emailMessage, type NoticeFacts, tokenUrlOf, webhookPayload } from './message.ts';
import { recipientsOf } from './recipients.ts';
import type { NoticeConfig } from './settings.ts';
import type { WebhookSender } from './webhook.ts';

export interface NoticeDeps extends ServiceDeps {
  config: NoticeConfig;
  publicUrl: string;
  /** This node (services instance), recorded on each delivery it attempts. */
  nodeId: string;
  email: EmailSender | null;
  webhook: WebhookSender | null;
}

/** What became of one delivery attempt made by this pass. */
export interface NoticeAttempt extends NoticeKey {
  accountId: string;
  attempt: number;
  /** `lost`: another node took the delivery over before this attempt could record its outcome. */
  status: NoticeOutcome['status'] | 'lost';
  error: string | null;
}

export interface NoticePassResult {
  /** The pass's time (ms). */
  at: number;
  attempts: NoticeAttempt[];
}

/** Deliveries retried per pass at most: a long outage drains over a few passes. */
const RETRIES_PER_PASS = 100;

interface AccountRecords {
  integrations: Map<number, Integration>;
  entities: Entity[];
  roles: Map<number, Role>;
}

export async function runNoticePass(d: NoticeDeps): Promise<NoticePassResult> {
  const now = d.clock.now();
  const attempts: NoticeAttempt[] = [];
  const { channels, days } = d.config;
  if (channels.length === 0) return { at: now, attempts };
  const records = recordsOnce(d);
  const lease = now + NOTICE_LEASE_MS;

  for (const due of await d.store.notices.due(now, RETRIES_PER_PASS)) {
    // A channel this node does not have stays for a node that has it.
    if (!channels.includes(due.channel)) continue;
    if (!(await d.store.notices.retake(due, due.attempts, now, lease, d.nodeId))) continue;
    attempts.push(await deliver(d, records, due, due.accountId, due.attempts + 1));
  }

  const horizon = now + Math.max(...days) * DAY_MS;
  for (const m of await d.store.notices.expiring(now, horizon)) {
    const thresholdDays = dueNoticeDays(m, now, days);
    if (thresholdDays === null) continue;
    for (const channel of channels) {
      const key = { certificateId: m.certificateId, thresholdDays, channel };
      if (!(await d.store.notices.claim(key, m.accountId, now, lease, d.nodeId))) continue;
      attempts.push(await deliver(d, records, key, m.accountId, 1));
    }
  }
  return { at: now, attempts };
}

function recordsOnce(d: NoticeDeps): (accountId: string) => Promise<AccountRecords> {
  const memo = new Map<string, Promise<AccountRecords>>();
  return (accountId) => {
    let p = memo.get(accountId);
    if (!p) {
      p = (async () => {
        const [integrations, entities, roles] = await Promise.all([
          d.store.integrations.list(accountId),
          d.store.entities.list(accountId),
          d.store.roles.list(accountId),
        ]);
        return {
          integrations: new Map(integrations.map((i) => [i.id, i])),
          entities,
          roles: new Map(roles.map((r) => [r.id, r])),
        };
      })();
      memo.set(accountId, p);
    }
    return p;
  };
}

function factsOf(d: NoticeDeps, r: AccountRecords, m: Mapping, thresholdDays: number, now: number) {
  const integration = r.integrations.get(m.integrationId);
  const facts: NoticeFacts = {
    accountId: m.accountId,
    certificateId: m.certificateId,
    validUntil: m.validUntil,
    thresholdDays,
    daysLeft: daysLeft(m.validUntil, now),
    application: integration
      ? {
          clientId: integration.clientId,
          name: integration.name,
          applicationId: integration.applicationId,
        }
      : null,
    entity: { id: m.entityId, name: r.entities.find((e) => e.id === m.entityId)?.name ?? null },
    role: { id: m.roleId, name: r.roles.get(m.roleId)?.name ?? null },
    tokenUrl: tokenUrlOf(d.publicUrl, m.accountId),
  };
  return { facts, clientId: integration?.clientId ?? null };
}

async function send(
  d: NoticeDeps,
  channel: NoticeChannel,
  r: AccountRecords,
  m: Mapping,
  facts: NoticeFacts,
  at: number,
): Promise<void> {
  if (channel === 'email') {
    if (!d.email) throw new Error('email is not configured on this node');
    await d.email.send(recipientsOf(r.entities, m.entityId), emailMessage(facts));
    return;
  }
  if (!d.webhook) throw new Error('the webhook is not configured on this node');
  const id = `${m.certificateId}.${facts.thresholdDays}d`;
  await d.webhook.send(webhookPayload(facts, id, at), id, at);
}

/** Sends one claimed delivery (this node holds attempt `attempt`) and records its outcome. */
async function deliver(
  d: NoticeDeps,
  records: (accountId: string) => Promise<AccountRecords>,
  key: NoticeKey,
  accountId: string,
  attempt: number,
): Promise<NoticeAttempt> {
  const mapping = await d.store.mappings.get(key.certificateId);
  const at = d.clock.now();
  const done = async (outcome: NoticeOutcome, clientId: string | null): Promise<NoticeAttempt> => {
    const recorded = await d.store.notices.finish(key, attempt, outcome);
    const result: NoticeAttempt = {
      ...key,
      accountId,
      attempt,
      status: recorded ? outcome.status : 'lost',
      error: outcome.error,
    };
    if (recorded && mapping && (outcome.status === 'sent' || outcome.status === 'failed')) {
      await d.store.audit.append([
        auditEvent('mapping.expiry_notice', accountId, outcome.at, {
          result: outcome.status === 'sent' ? 'success' : 'failure',
          clientId,
          certificateId: mapping.certificateId,
          entityId: mapping.entityId,
          roleId: mapping.roleId,
        }),
      ]);
    }
    return result;
  };
  // Revoked (rotated, most likely) or expired since the claim: nothing left to warn about.
  if (!mapping || !isMappingActive(mapping, at)) {
    return done({ status: 'cancelled', at, error: null }, null);
  }
  const r = await records(accountId);
  const { facts, clientId } = factsOf(d, r, mapping, key.thresholdDays, at);
  try {
    await send(d, key.channel, r, mapping, facts, at);
    return done({ status: 'sent', at: d.clock.now(), error: null }, clientId);
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    const end = d.clock.now();
    if (e instanceof PermanentNoticeError || attempt >= NOTICE_MAX_ATTEMPTS) {
      return done({ status: 'failed', at: end, error }, clientId);
    }
    const nextAttemptAt = end + noticeRetryDelay(attempt);
    return done({ status: 'retry', at: end, nextAttemptAt, error }, clientId);
  }
}
