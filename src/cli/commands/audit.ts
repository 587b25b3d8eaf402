/** `certmint audit list`: the audit trail (NetSuite's Login Audit Trail) of an account. */
import { Command, Option } from 'commander';
import { describeAuditEvent } from '../../domain/audit-explanations.ts';
import { SYSTEM } from '../../service/context.ts';
import type { AuditQuery } from '../../service/index.ts';
import { emit, isoTime, table, withServices } from '../output.ts';

export function auditCommand(): Command {
  const audit = new Command('audit').description(
    'audit trail: every token request with its precise failure reason, and administrative events (refused ones too, with their reason and actor)',
  );

  audit
    .command('list')
    .description('list audit events, newest first')
    .requiredOption('--account <id>', 'account id')
    .option('--limit <n>', 'at most this many events (1-1000)', '100')
    .addOption(
      new Option('--result <result>', 'only successes or failures').choices(['success', 'failure']),
    )
    .option('--detail <code>', 'only this detail code, e.g. SignatureValidation')
    .option('--client-id <id>', 'only this integration client id')
    .option('--type <type>', 'only this event type, e.g. token, mapping.create')
    .option('--from <time>', 'from this time (ISO 8601 or ms), inclusive')
    .option('--to <time>', 'until this time (ISO 8601 or ms), exclusive')
    .option('--before <eventId>', 'only events older than this event id (paging)')
    .option('--explain', 'add a column saying what each event means and what to do')
    .addHelpText(
      'after',
      '\nExamples:\n  certmint audit list --account 123456 --result failure --limit 20\n' +
        '  certmint audit list --account 123456 --result failure --explain',
    )
    .action(
      async (
        opts: {
          account: string;
          limit: string;
          result?: string;
          detail?: string;
          clientId?: string;
          type?: string;
          from?: string;
          to?: string;
          before?: string;
          explain?: boolean;
        },
        cmd: Command,
      ) => {
        const query: AuditQuery = {
          accountId: opts.account,
          limit: opts.limit,
          result: opts.result,
          detail: opts.detail,
          clientId: opts.clientId,
          type: opts.type,
          from: opts.from,
          to: opts.to,
          before: opts.before,
        };
        await withServices(cmd, async (svc, g) => {
          const events = await svc.records.listAudit(SYSTEM, query);
          // JSON always carries the explanation; the table only with --explain (it is long).
          const described = events.map((e) => ({ ...e, description: describeAuditEvent(e) }));
          emit(g, described, () =>
            table(
              [
                'ID',
                'TIME',
                'TYPE',
                'RESULT',
                'DETAIL',
                'CLIENT ID',
                'CERTIFICATE ID',
                'ENTITY',
                'ROLE',
                'ACTOR',
                ...(opts.explain ? ['EXPLANATION'] : []),
              ],
              described.map((e) => [
                String(e.id ?? '-'),
                isoTime(e.at),
                e.type,
                e.result,
                // A folded row: `count` identical failures since firstAt.
                `${e.detail ?? '-'}${e.count ? ` ×${e.count}` : ''}`,
                e.clientId ? `${e.clientId.slice(0, 12)}…` : '-',
                e.certificateId ?? '-',
                e.entityId === null ? '-' : String(e.entityId),
                e.roleId === null ? '-' : String(e.roleId),
                e.actor === null ? '-' : String(e.actor),
                ...(opts.explain ? [e.description] : []),
              ]),
            ),
          );
        });
      },
    );

  return audit;
}
