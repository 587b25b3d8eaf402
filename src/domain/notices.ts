/**
 * Certificate expiry notices: when one is due, and how failed deliveries are retried. NetSuite
 * emails administrators 60, 30 and 14 days before a certificate expires, and not about a
 * certificate uploaded with less validity left than a threshold: the uploader knew.
 */
import { invalidInput } from './errors.ts';
import type { Mapping } from './mapping.ts';

export const DAY_MS = 86_400_000;

/** Days before `validUntil` at which a notice goes out (NetSuite's: two months, one, 14 days). */
export const DEFAULT_NOTICE_DAYS: readonly number[] = [60, 30, 14];

/** The longest threshold accepted: a certificate lives at most two years. */
export const MAX_NOTICE_DAYS = 730;

/** How a notice is delivered. */
export const NOTICE_CHANNELS = ['email', 'webhook'] as const;
export type NoticeChannel = (typeof NOTICE_CHANNELS)[number];

/**
 * A claimed delivery's life: `sending` (a node holds it until its lease runs out), `retry`
 * (failed, next attempt due at nextAttemptAt), then `sent`, `failed` (gave up) or `cancelled`
 * (the mapping was revoked or expired before the delivery went out).
 */
export type NoticeStatus = 'sending' | 'retry' | 'sent' | 'failed' | 'cancelled';

/** Attempts per delivery, the first included. */
export const NOTICE_MAX_ATTEMPTS = 6;
/**
 * How long a node may hold a claimed delivery before another node takes it over (the holder is
 * presumed dead). Longer than any send can take: SMTP and webhook calls time out well before.
 */
export const NOTICE_LEASE_MS = 10 * 60_000;

/** Delay before attempt `n + 1` after `n` failed attempts: 5 min, 15, 45, 2 h 15, then 6 h. */
export function noticeRetryDelay(failedAttempts: number): number {
  return Math.min(6 * 3_600_000, 5 * 60_000 * 3 ** Math.max(0, failedAttempts - 1));
}

/** Sorted from the earliest notice to the last (60, 30, 14), duplicates removed. */
export function checkNoticeDays(days: readonly number[]): number[] {
  if (days.length === 0) {
    throw invalidInput('notice.days', 'give at least one notice threshold in days, e.g. 60,30,14');
  }
  for (const d of days) {
    if (!Number.isInteger(d) || d < 1 || d > MAX_NOTICE_DAYS) {
      throw invalidInput(
        'notice.days',
        `notice thresholds are whole days from 1 to ${MAX_NOTICE_DAYS} (got ${String(d).slice(0, 20)})`,
      );
    }
  }
  return [...new Set(days)].sort((a, b) => b - a);
}

/** `60,30,14` → [60, 30, 14]. */
export function parseNoticeDays(text: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^[0-9]{1,4}$/.test(p))) {
    throw invalidInput(
      'notice.days',
      `notice thresholds are comma-separated whole days, e.g. 60,30,14 (got "${text.slice(0, 40)}")`,
    );
  }
  return checkNoticeDays(parts.map(Number));
}

/**
 * The threshold whose notice is due now for an active mapping, or null. That is the most urgent
 * threshold already reached (with 20 days left and 60/30/14, the 30-day one): thresholds passed
 * while no node ran are superseded, never sent late in a burst. A threshold that had already been
 * reached when the certificate was mapped is skipped.
 */
export function dueNoticeDays(
  m: Pick<Mapping, 'validUntil' | 'createdAt' | 'revokedAt'>,
  now: number,
  days: readonly number[],
): number | null {
  if (m.revokedAt !== null || m.validUntil <= now) return null;
  const left = m.validUntil - now;
  let due: number | null = null;
  for (const d of days) if (left <= d * DAY_MS && (due === null || d < due)) due = d;
  if (due === null || m.createdAt > m.validUntil - due * DAY_MS) return null;
  return due;
}

/** Whole days left, rounded up (29.2 days left is "30 days"), at least 0. */
export const daysLeft = (validUntil: number, now: number): number =>
  Math.max(0, Math.ceil((validUntil - now) / DAY_MS));

/** `30d`, `12h` or a bare number of days → milliseconds. */
export function parseWindow(text: string, flag = 'the window'): number {
  const m = /^([0-9]{1,5})([dh]?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : Number.NaN;
  if (!m || n < 1) {
    throw invalidInput(
      'notice.window',
      `${flag} is a whole number of days or hours, e.g. 30d or 12h (got "${text.slice(0, 20)}")`,
    );
  }
  return n * (m[2] === 'h' ? 3_600_000 : DAY_MS);
}
