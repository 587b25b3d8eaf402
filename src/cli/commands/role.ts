/** `certmint role create|list|update|assign|unassign`. */
import { Command } from 'commander';
import { ALL_PERMISSIONS, type Role } from '../../domain/permissions.ts';
import { SYSTEM } from '../../service/context.ts';
import type { UpdateRoleInput } from '../../service/index.ts';
import { CliError } from '../errors.ts';
import { collect, emit, table, withServices } from '../output.ts';

const roleRow = (r: Role): string[] => [
  String(r.id),
  r.name,
  r.active ? 'yes' : 'no',
  r.id === 3 ? '(all)' : r.permissions.join(',') || '-',
];
const PERMISSION_HELP = `permission id (repeatable or comma separated): ${ALL_PERMISSIONS.join(', ')}`;

export function roleCommand(): Command {
  const role = new Command('role').description(
    'roles and their OAuth 2.0 permissions; the built-in Administrator is role 3',
  );

  role
    .command('create')
    .description('create a custom role (ids start at 1000)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--name <name>', 'role name')
    .option('--permission <id>', PERMISSION_HELP, collect, [])
    .option('--inactive', 'create it inactive')
    .addHelpText(
      'after',
      '\nExample:\n  certmint role create --account 123456 --name "M2M Integration" --permission oauth2_access_token_login',
    )
    .action(
      async (
        opts: { account: string; name: string; permission: string[]; inactive?: boolean },
        cmd: Command,
      ) => {
        await withServices(cmd, async (svc, g) => {
          const r = await svc.records.createRole(SYSTEM, {
            accountId: opts.account,
            name: opts.name,
            permissions: opts.permission,
            active: opts.inactive !== true,
          });
          emit(g, r, () => `created role ${r.id} (${r.name}) in account ${r.accountId}`);
        });
      },
    );

  role
    .command('list')
    .description('list the roles of an account')
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint role list --account 123456')
    .action(async (opts: { account: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const all = await svc.records.listRoles(SYSTEM, opts.account);
        emit(g, all, () => table(['ID', 'NAME', 'ACTIVE', 'PERMISSIONS'], all.map(roleRow)));
      });
    });

  role
    .command('update')
    .description('change a custom role: name, active flag or permissions (replaces the list)')
    .argument('<roleId>', 'role id')
    .requiredOption('--account <id>', 'account id')
    .option('--name <name>', 'new name')
    .option('--permission <id>', `${PERMISSION_HELP}; replaces the current list`, collect)
    .option('--no-permissions', 'remove every permission')
    .option('--active', 'make it active')
    .option('--inactive', 'make it inactive')
    .addHelpText('after', '\nExample:\n  certmint role update 1000 --account 123456 --inactive')
    .action(
      async (
        roleId: string,
        opts: {
          account: string;
          name?: string;
          permission?: string[];
          permissions?: boolean;
          active?: boolean;
          inactive?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.active && opts.inactive)
          throw new CliError('give --active or --inactive, not both', 2);
        const patch: UpdateRoleInput = {};
        if (opts.name !== undefined) patch.name = opts.name;
        if (opts.permission !== undefined) patch.permissions = opts.permission;
        if (opts.permissions === false) {
          if (opts.permission !== undefined) {
            throw new CliError('give --permission or --no-permissions, not both', 2);
          }
          patch.permissions = [];
        }
        if (opts.active || opts.inactive) patch.active = opts.active === true;
        await withServices(cmd, async (svc, g) => {
          const r = await svc.records.updateRole(SYSTEM, opts.account, roleId, patch);
          emit(g, r, () => `updated role ${r.id} (${r.name})`);
        });
      },
    );

  for (const [name, verb] of [
    ['assign', 'give'],
    ['unassign', 'take away'],
  ] as const) {
    role
      .command(name)
      .description(`${verb} an entity a role of the same account`)
      .requiredOption('--account <id>', 'account id')
      .requiredOption('--role <id>', 'role id')
      .requiredOption('--entity <id>', 'entity id')
      .addHelpText(
        'after',
        `\nExample:\n  certmint role ${name} --account 123456 --role 1000 --entity 1`,
      )
      .action(async (opts: { account: string; role: string; entity: string }, cmd: Command) => {
        await withServices(cmd, async (svc, g) => {
          const input = { accountId: opts.account, entityId: opts.entity, roleId: opts.role };
          const e =
            name === 'assign'
              ? await svc.records.assignRole(SYSTEM, input)
              : await svc.records.unassignRole(SYSTEM, input);
          emit(g, e, () =>
            name === 'assign'
              ? `entity ${e.id} now holds role ${opts.role} (roles: ${e.roleIds.join(',')})`
              : `entity ${e.id} no longer holds role ${opts.role} (roles: ${e.roleIds.join(',') || '-'})`,
          );
        });
      });
  }

  return role;
}
