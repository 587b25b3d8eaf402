/**
 * Certificate expiry notices as a service: one pass ("what is due now") run by the background
 * jobs of a long-running server on an interval, or by `certmint notices run` from cron. Several
 * nodes may run passes at once: the database decides who sends what (pass.ts).
 */
import { randomUUID } from 'node:crypto';
import { forbidden } from '../../domain/errors.ts';
import type { NoticeChannel } from '../../domain/notices.ts';
import type { NoticeDelivery } from '../../store/ports.ts';
import type { Actor, ServiceDeps } from '../context.ts';
import { permittedAccount } from '../records/access.ts';
import { MANAGE_ALL } from '../records/mappings.ts';
import { emailSender } from './email.ts';
import { type NoticePassResult, runNoticePass } from './pass.ts';
import { type NoticeSettings, noticeConfig } from './settings.ts';
import { webhookSender } from './webhook.ts';

export type { NoticeAttempt, NoticePassResult } from './pass.ts';
export type { NoticeSettings } from './settings.ts';
export { signWebhook } from './webhook.ts';

export const MAX_NOTICE_LIST = 500;

export interface Notices {
  /** The thresholds in days, earliest first (60, 30, 14). */
  readonly days: readonly number[];
  /** The channels this node sends through; none: passes do nothing. */
  readonly channels: readonly NoticeChannel[];
  /** One pass now (the background job or the CLI: `system` only). */
  run(actor: Actor): Promise<NoticePassResult>;
  /** Deliveries, newest first: every account for `system`, else the actor's account. */
  list(actor: Actor, filter?: { accountId?: string; limit?: number }): Promise<NoticeDelivery[]>;
}

export interface NoticeService extends Notices {
  /** Runs a pass now and then every interval, if a channel is configured (idempotent). */
  start(log: (err: unknown, job: string) => void): void;
  /** Stops the timer and waits for a pass in progress. */
  close(): Promise<void>;
}

export function createNotices(
  deps: ServiceDeps,
  o: { settings?: NoticeSettings | undefined; publicUrl: string },
): NoticeService {
  const config = noticeConfig(o.settings);
  const email = config.email ? emailSender(config.email) : null;
  const d = {
    ...deps,
    config,
    publicUrl: o.publicUrl,
    nodeId: randomUUID(),
    email,
    webhook: config.webhook ? webhookSender(config.webhook) : null,
  };
  let running: Promise<NoticePassResult> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let first: NodeJS.Timeout | null = null;
  let closed = false;

  // One pass at a time in a process: a slow pass is joined, not doubled.
  const pass = (): Promise<NoticePassResult> => {
    running ??= runNoticePass(d).finally(() => {
      running = null;
    });
    return running;
  };

  return {
    days: config.days,
    channels: config.channels,
    run(actor) {
      if (actor.kind !== 'system') {
        throw forbidden(
          'permission.system_only',
          'expiry notices are sent by the server itself or by `certmint notices run`',
        );
      }
      return pass();
    },
    async list(actor, filter = {}) {
      const limit = Math.min(Math.max(1, filter.limit ?? 100), MAX_NOTICE_LIST);
      const accountId = filter.accountId ?? (actor.kind === 'entity' ? actor.accountId : undefined);
      if (accountId === undefined) return deps.store.notices.list({ limit });
      const account = await permittedAccount(deps, actor, accountId, MANAGE_ALL);
      return deps.store.notices.list({ accountId: account.id, limit });
    },
    start(log) {
      if (timer !== null || closed || config.channels.length === 0) return;
      const tick = () => {
        pass().catch((err: unknown) => log(err, 'expiry notices'));
      };
      first = setTimeout(tick, 0);
      first.unref();
      timer = setInterval(tick, config.intervalMs);
      timer.unref();
    },
    async close() {
      closed = true;
      if (first !== null) clearTimeout(first);
      if (timer !== null) clearInterval(timer);
      timer = null;
      await running?.catch(() => undefined);
      email?.close();
    },
  };
}
