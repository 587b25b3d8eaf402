/**
 * `certmint cert expiring --within 30d [--account A]`: active certificates that expire within the
 * window, soonest first. Exits 1 when it finds any, so cron and monitoring can alert on it.
 */
import type { Command } from 'commander';
import { parseWindow } from '../../domain/notices.ts';
import { SYSTEM } from '../../service/context.ts';
import { CliError } from '../errors.ts';
import { emit, isoTime, table, withServices } from '../output.ts';

export function addExpiringCommand(cert: Command): void {
  cert
    .command('expiring')
    .description('list active certificates that expire soon; exit 1 when there are any')
    .requiredOption('--within <window>', 'how soon: days (30d) or hours (12h)')
    .option('--account <id>', 'one account (default: every account)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  certmint cert expiring --within 30d',
        '  certmint --json cert expiring --within 14d --account 123456 || page-the-team',
        '',
        'Exit status: 0 none found, 1 some found (or the command failed).',
      ].join('\n'),
    )
    .action(async (o: { within: string; account?: string }, cmd: Command) => {
      const withinMs = parseWindow(o.within, '--within');
      const found = await withServices(cmd, async (svc, g) => {
        const list = await svc.records.listExpiring(SYSTEM, {
          withinMs,
          ...(o.account === undefined ? {} : { accountId: o.account }),
        });
        emit(g, list, () =>
          table(
            ['valid until', 'days', 'account', 'certificate id', 'application', 'entity', 'role'],
            list.map((c) => [
              isoTime(c.validUntil),
              String(c.daysLeft),
              c.accountId,
              c.certificateId,
              c.integrationName ?? String(c.integrationId),
              c.entityName ?? String(c.entityId),
              c.roleName ?? String(c.roleId),
            ]),
          ),
        );
        return list.length;
      });
      if (found > 0) {
        throw new CliError(
          `${found} active certificate(s) expire within ${o.within}: rotate them with "certmint cert rotate" (see --help)`,
        );
      }
    });
}
