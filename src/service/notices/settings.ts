/**
 * What a node needs to send expiry notices: the thresholds and the channels. Checked once, when
 * the services are created, so a bad setting stops `serve` at start rather than at the first
 * notice weeks later.
 */

import { invalidInput } from '../../domain/errors.ts';
import { checkNoticeDays, DEFAULT_NOTICE_DAYS, type NoticeChannel } from '../../domain/notices.ts';

export interface NoticeSettings {
  /** Days before a certificate's end of validity; default 60, 30, 14. */
  days?: readonly number[];
  /** Email through an SMTP server: `smtp://[user:pass@]host[:port]` or `smtps://…`. */
  email?: { smtpUrl: string; from: string };
  /** A signed JSON POST (see webhook.ts); the secret signs every request. */
  webhook?: { url: string; secret: string };
  /** How often the background job looks for due notices (ms); default 10 minutes. */
  intervalMs?: number;
}

export interface NoticeConfig {
  days: number[];
  email: { smtpUrl: string; from: string } | null;
  webhook: { url: string; secret: string } | null;
  channels: NoticeChannel[];
  intervalMs: number;
}

export const DEFAULT_NOTICE_INTERVAL_MS = 10 * 60_000;
/** Shorter secrets are guessable offline from one signed request. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

const ADDRESS = /^(?:[^<>@\s]+@[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$/;

function urlOf(raw: string, protocols: readonly string[], what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidInput('notice.url', `the ${what} is not a URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw invalidInput(
      'notice.url',
      `the ${what} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
  }
  return url;
}

export function noticeConfig(s: NoticeSettings = {}): NoticeConfig {
  const days = checkNoticeDays(s.days ?? DEFAULT_NOTICE_DAYS);
  let email: NoticeConfig['email'] = null;
  if (s.email) {
    urlOf(s.email.smtpUrl, ['smtp:', 'smtps:'], 'SMTP URL');
    if (!ADDRESS.test(s.email.from.trim())) {
      throw invalidInput(
        'notice.from',
        'the sender of expiry notices must be an email address, e.g. certmint@example.com or "certmint <certmint@example.com>"',
      );
    }
    email = { smtpUrl: s.email.smtpUrl, from: s.email.from.trim() };
  }
  let webhook: NoticeConfig['webhook'] = null;
  if (s.webhook) {
    urlOf(s.webhook.url, ['https:', 'http:'], 'webhook URL');
    if (s.webhook.secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
      throw invalidInput(
        'notice.webhook_secret',
        `the webhook secret must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`,
      );
    }
    webhook = { url: s.webhook.url, secret: s.webhook.secret };
  }
  const intervalMs = s.intervalMs ?? DEFAULT_NOTICE_INTERVAL_MS;
  if (!Number.isInteger(intervalMs) || intervalMs < 1000) {
    throw invalidInput('notice.interval', 'the notice interval must be at least one second');
  }
  const channels: NoticeChannel[] = [];
  if (email) channels.push('email');
  if (webhook) channels.push('webhook');
  return { days, email, webhook, channels, intervalMs };
}
