/** When an expiry notice is due, the threshold and window syntax, and the notice settings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAY_MS,
  daysLeft,
  dueNoticeDays,
  noticeRetryDelay,
  parseNoticeDays,
  parseWindow,
} from '../../src/domain/notices.ts';
import { noticeConfig } from '../../src/service/notices/settings.ts';
import { signWebhook } from '../../src/service/notices/webhook.ts';
import { refused } from '../support/refused.ts';

const T = Date.UTC(2027, 0, 1);
const m = (validUntil: number, createdAt = T - 365 * DAY_MS, revokedAt: number | null = null) => ({
  validUntil,
  createdAt,
  revokedAt,
});
const DAYS = [60, 30, 14];

describe('expiry notices: rules', () => {
  it('the most urgent threshold reached is due; none before the first', () => {
    assert.equal(dueNoticeDays(m(T + 61 * DAY_MS), T, DAYS), null);
    assert.equal(dueNoticeDays(m(T + 60 * DAY_MS), T, DAYS), 60);
    assert.equal(dueNoticeDays(m(T + 31 * DAY_MS), T, DAYS), 60);
    assert.equal(dueNoticeDays(m(T + 20 * DAY_MS), T, DAYS), 30);
    assert.equal(dueNoticeDays(m(T + 14 * DAY_MS), T, DAYS), 14);
    assert.equal(dueNoticeDays(m(T + 1), T, DAYS), 14);
  });

  it('nothing for a revoked or expired mapping, or for a threshold reached before it was mapped', () => {
    assert.equal(dueNoticeDays(m(T + DAY_MS, T - DAY_MS, T), T, DAYS), null);
    assert.equal(dueNoticeDays(m(T), T, DAYS), null);
    // Mapped with 50 days left: no 60-day notice, the 30-day one later.
    const late = m(T + 50 * DAY_MS, T);
    assert.equal(dueNoticeDays(late, T + DAY_MS, DAYS), null);
    assert.equal(dueNoticeDays(late, T + 20 * DAY_MS, DAYS), 30);
  });

  it('days left round up; retries back off up to six hours', () => {
    assert.equal(daysLeft(T + 29.2 * DAY_MS, T), 30);
    assert.equal(daysLeft(T - 1, T), 0);
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((n) => noticeRetryDelay(n) / 60_000),
      [5, 15, 45, 135, 360, 360],
    );
  });

  it('thresholds: comma-separated whole days, sorted, refused otherwise', () => {
    assert.deepEqual(parseNoticeDays('14, 60,30,30'), [60, 30, 14]);
    for (const bad of ['', '60,', 'sixty', '0', '731', '1.5', '-3']) {
      assert.throws(() => parseNoticeDays(bad), refused('notice.days'), bad);
    }
  });

  it('windows: days or hours', () => {
    assert.equal(parseWindow('30d'), 30 * DAY_MS);
    assert.equal(parseWindow('30'), 30 * DAY_MS);
    assert.equal(parseWindow('12h'), 12 * 3_600_000);
    for (const bad of ['0d', '30m', 'd', '', '-1d', '1e3']) {
      assert.throws(() => parseWindow(bad, '--within'), refused('notice.window', /--within/), bad);
    }
  });
});

describe('expiry notices: settings', () => {
  const secret = 'a'.repeat(16);
  it('channels follow what is configured', () => {
    assert.deepEqual(noticeConfig().channels, []);
    assert.deepEqual(noticeConfig().days, [60, 30, 14]);
    const c = noticeConfig({
      email: { smtpUrl: 'smtps://u:p@mail.example.com', from: 'certmint <c@example.com>' },
      webhook: { url: 'https://hooks.example.com/x', secret },
    });
    assert.deepEqual(c.channels, ['email', 'webhook']);
  });

  it('refuses what cannot work, saying what to give', () => {
    const from = 'c@example.com';
    assert.throws(
      () => noticeConfig({ email: { smtpUrl: 'http://mail.example.com', from } }),
      refused('notice.url', /SMTP URL must start with smtp:\/\/ or smtps:\/\//),
    );
    assert.throws(
      () => noticeConfig({ email: { smtpUrl: 'not a url', from } }),
      refused('notice.url', /SMTP URL is not a URL/),
    );
    assert.throws(
      () => noticeConfig({ email: { smtpUrl: 'smtp://localhost', from: 'nobody' } }),
      refused('notice.from', /email address/),
    );
    assert.throws(
      () => noticeConfig({ webhook: { url: 'ftp://x', secret } }),
      refused('notice.url', /webhook URL must start with https:\/\/ or http:\/\//),
    );
    assert.throws(
      () => noticeConfig({ webhook: { url: 'https://x', secret: 'short' } }),
      refused('notice.webhook_secret', /at least 16 characters/),
    );
    assert.throws(() => noticeConfig({ days: [] }), refused('notice.days'));
    assert.throws(() => noticeConfig({ intervalMs: 10 }), refused('notice.interval'));
  });

  it('the webhook signature is HMAC-SHA256 of "<timestamp>.<body>", hex, versioned', () => {
    // The value OpenSSL gives: printf %s '1.{}' | openssl dgst -sha256 -hmac Jefe
    assert.equal(
      signWebhook('Jefe', 1, '{}'),
      'v1=dc7943cccf20f64327d263db5e2aca27c2b8175e8e6e7ea04f482091bf456b0f',
    );
  });
});
