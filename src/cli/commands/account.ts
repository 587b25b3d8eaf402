/** `certmint account create|list|refresh`. */
import { Command } from 'commander';
import type { Account } from '../../domain/account.ts';
import { SYSTEM } from '../../service/context.ts';
import { emit, isoTime, table, withServices } from '../output.ts';

const accountRow = (a: Account): string[] => [
  a.id,
  a.kind,
  a.parentId ?? '-',
  isoTime(a.createdAt),
  isoTime(a.refreshedAt),
];

export function accountCommand(): Command {
  const account = new Command('account').description(
    'accounts: production (123456, TSTDRV123), sandbox (<prod>_SB1), release preview (<prod>_RP)',
  );

  account
    .command('create')
    .description('create an account (a sandbox or release preview needs its production account)')
    .argument('<id>', 'account id, e.g. 123456, TSTDRV123, 123456_SB1, 123456_RP')
    .option('--kind <kind>', 'production | sandbox | release-preview (checked against the id)')
    .addHelpText(
      'after',
      '\nExample:\n  certmint account create 123456 && certmint account create 123456_SB1',
    )
    .action(async (id: string, opts: { kind?: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const a = await svc.records.createAccount(SYSTEM, {
          id,
          ...(opts.kind === undefined ? {} : { kind: opts.kind }),
        });
        emit(
          g,
          a,
          () => `created ${a.kind} account ${a.id}${a.parentId ? ` (of ${a.parentId})` : ''}`,
        );
      });
    });

  account
    .command('list')
    .description('list accounts')
    .addHelpText('after', '\nExample:\n  certmint account list --json')
    .action(async (_opts: unknown, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const all = await svc.records.listAccounts(SYSTEM);
        emit(g, all, () =>
          table(['ID', 'KIND', 'PARENT', 'CREATED', 'REFRESHED'], all.map(accountRow)),
        );
      });
    });

  account
    .command('refresh')
    .description(
      "refresh a sandbox from production: copies production's entities, roles and integrations, clears the sandbox's mappings",
    )
    .argument('<sandboxId>', 'sandbox account id, e.g. 123456_SB1')
    .addHelpText('after', '\nExample:\n  certmint account refresh 123456_SB1')
    .action(async (sandboxId: string, _opts: unknown, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const r = await svc.records.refreshSandbox(SYSTEM, sandboxId);
        emit(g, r, () =>
          [
            `refreshed ${r.account.id} from ${r.account.parentId}:`,
            `  copied ${r.entities} entities, ${r.roles} roles, ${r.integrations} integrations`,
            `  cleared ${r.mappingsCleared} certificate mappings (tokens it issued no longer work)`,
          ].join('\n'),
        );
      });
    });

  return account;
}
