/**
 * `certmint notices run|list`: certificate expiry notices from cron (one pass, the same the
 * server's background job makes every ten minutes), and what was sent.
 */
import { Command } from 'commander';
import { SYSTEM } from '../../service/context.ts';
import { CliError } from '../errors.ts';
import { addNoticeOptions } from '../notice-options.ts';
import { emit, isoTime, table, withServices } from '../output.ts';
import { defaultServerUrl, type NoticeFlags, noticeSettings } from '../settings.ts';

export function noticesCommand(): Command {
  const notices = new Command('notices').description(
    'certificate expiry notices (email to administrators, signed webhook)',
  );

  addNoticeOptions(
    notices
      .command('run')
      .description('send the expiry notices due now (once each, across every node); for cron')
      .option(
        '--public-url <url>',
        "the server's base URL, for the commands in the notices (default: $CERTMINT_PUBLIC_URL, else http://$HOST:$PORT)",
      ),
  )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  CERTMINT_SMTP_URL=smtp://mail.example.com:587 CERTMINT_SMTP_FROM=certmint@example.com certmint notices run',
        '  certmint notices run --notice-webhook-url https://hooks.example.com/certmint --notice-webhook-secret-file hook.secret --json',
        '',
        'Exit status 1 when a delivery of this pass did not go out (it is retried later).',
      ].join('\n'),
    )
    .action(async (o: NoticeFlags & { publicUrl?: string }, cmd: Command) => {
      const settings = noticeSettings(o);
      const publicUrl = (o.publicUrl ?? defaultServerUrl()).replace(/\/+$/, '');
      if (!settings.email && !settings.webhook) {
        throw new CliError(
          'no channel for notices: set --smtp-url and --smtp-from (or CERTMINT_SMTP_URL, CERTMINT_SMTP_FROM), or --notice-webhook-url',
        );
      }
      const result = await withServices(
        cmd,
        async (svc, g) => {
          const r = await svc.notices.run(SYSTEM);
          emit(g, r, () =>
            r.attempts.length === 0
              ? `no notice due at ${isoTime(r.at)}`
              : table(
                  ['certificate id', 'account', 'days', 'channel', 'attempt', 'status', 'error'],
                  r.attempts.map((a) => [
                    a.certificateId,
                    a.accountId,
                    String(a.thresholdDays),
                    a.channel,
                    String(a.attempt),
                    a.status,
                    a.error ?? '',
                  ]),
                ),
          );
          return r;
        },
        { notices: settings, publicUrl },
      );
      const missed = result.attempts.filter((a) => a.status === 'retry' || a.status === 'failed');
      if (missed.length > 0) {
        throw new CliError(
          `${missed.length} notice delivery(ies) did not go out: ${missed[0]?.error ?? 'failed'}`,
        );
      }
    });

  notices
    .command('list')
    .description('expiry notice deliveries, newest first')
    .option('--account <id>', 'one account (default: every account)')
    .option('--limit <n>', 'at most this many, 1-500 (default 100)', (v: string) => {
      if (!/^[0-9]{1,3}$/.test(v) || Number(v) < 1 || Number(v) > 500) {
        throw new CliError(`--limit takes a whole number from 1 to 500, not "${v.slice(0, 20)}"`);
      }
      return Number(v);
    })
    .action(async (o: { account?: string; limit?: number }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const list = await svc.notices.list(SYSTEM, {
          ...(o.account === undefined ? {} : { accountId: o.account }),
          ...(o.limit === undefined ? {} : { limit: o.limit }),
        });
        emit(g, list, () =>
          table(
            [
              'claimed',
              'certificate id',
              'account',
              'days',
              'channel',
              'status',
              'attempts',
              'error',
            ],
            list.map((d) => [
              isoTime(d.claimedAt),
              d.certificateId,
              d.accountId,
              String(d.thresholdDays),
              d.channel,
              d.status,
              String(d.attempts),
              d.lastError ?? '',
            ]),
          ),
        );
      });
    });

  return notices;
}
