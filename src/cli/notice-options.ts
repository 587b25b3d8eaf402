/** The expiry-notice options `serve` and `notices run` share (docs/cli.md, "Settings"). */
import type { Command } from 'commander';
import { DEFAULT_NOTICE_DAYS } from '../domain/notices.ts';
import type { NoticeSettings } from '../service/notices/settings.ts';
import { withoutPassword } from './settings.ts';

export function addNoticeOptions(cmd: Command): Command {
  return cmd
    .option(
      '--notice-days <list>',
      `expiry notice thresholds in days (default: $CERTMINT_NOTICE_DAYS, else ${DEFAULT_NOTICE_DAYS.join(',')})`,
    )
    .option(
      '--smtp-url <url>',
      'SMTP server for expiry emails, smtp://[user:pass@]host[:port] or smtps://… (default: $CERTMINT_SMTP_URL)',
    )
    .option('--smtp-from <address>', 'sender of expiry emails (default: $CERTMINT_SMTP_FROM)')
    .option(
      '--notice-webhook-url <url>',
      'URL that receives signed expiry notices (default: $CERTMINT_NOTICE_WEBHOOK_URL)',
    )
    .option(
      '--notice-webhook-secret-file <file>',
      'file holding the webhook signing secret (default: $CERTMINT_NOTICE_WEBHOOK_SECRET)',
    );
}

/** One line saying where notices go, with no secret in it. */
export function describeNotices(s: NoticeSettings): string {
  const where = [
    ...(s.email ? [`email via ${withoutPassword(s.email.smtpUrl)}`] : []),
    ...(s.webhook ? [`webhook ${withoutPassword(s.webhook.url)}`] : []),
  ];
  if (where.length === 0) {
    return 'expiry notices: off (set --smtp-url/--smtp-from or --notice-webhook-url to send them)';
  }
  const days = (s.days ?? DEFAULT_NOTICE_DAYS).join(', ');
  return `expiry notices: ${where.join(' and ')}, ${days} days before a certificate expires`;
}
