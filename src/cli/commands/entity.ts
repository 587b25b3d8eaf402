/** `certmint entity create|list|update`. */
import { Command, Option } from 'commander';
import { ENTITY_TYPES, type Entity } from '../../domain/entity.ts';
import { SYSTEM } from '../../service/context.ts';
import { checkPasswordPolicy, type UpdateEntityInput } from '../../service/index.ts';
import { CliError } from '../errors.ts';
import { emit, readStdin, table, withServices } from '../output.ts';

const entityRow = (e: Entity): string[] => [
  String(e.id),
  e.name,
  e.email ?? '-',
  e.type,
  e.active ? 'yes' : 'no',
  e.roleIds.join(',') || '-',
  e.hasPassword ? 'yes' : 'no',
];
const HEADERS = ['ID', 'NAME', 'EMAIL', 'TYPE', 'ACTIVE', 'ROLES', 'PASSWORD'];

const typeOption = () =>
  new Option('--type <type>', 'entity type').choices(ENTITY_TYPES as unknown as string[]);

export function entityCommand(): Command {
  const entity = new Command('entity').description(
    'entities (employees, customers, partners, vendors, contacts) that mappings act as',
  );

  entity
    .command('create')
    .description('create an entity')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--name <name>', 'display name')
    .option('--email <email>', 'email address (needed to sign in to the console)')
    .addOption(typeOption().default('employee'))
    .option('--inactive', 'create it inactive')
    .option('--password-stdin', 'read a console password from standard input')
    .addHelpText(
      'after',
      '\nExample:\n  certmint entity create --account 123456 --name "Integration User" --email ci@example.com',
    )
    .action(
      async (
        opts: {
          account: string;
          name: string;
          email?: string;
          type: string;
          inactive?: boolean;
          passwordStdin?: boolean;
        },
        cmd: Command,
      ) => {
        const password = opts.passwordStdin ? await readStdin() : undefined;
        await withServices(cmd, async (svc, g) => {
          const e = await svc.records.createEntity(SYSTEM, {
            accountId: opts.account,
            name: opts.name,
            email: opts.email ?? null,
            type: opts.type,
            active: opts.inactive !== true,
            ...(password === undefined ? {} : { password }),
          });
          emit(g, e, () => `created entity ${e.id} (${e.name}) in account ${e.accountId}`);
        });
      },
    );

  entity
    .command('list')
    .description('list the entities of an account')
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint entity list --account 123456')
    .action(async (opts: { account: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const all = await svc.records.listEntities(SYSTEM, opts.account);
        emit(g, all, () => table(HEADERS, all.map(entityRow)));
      });
    });

  entity
    .command('update')
    .description('change an entity: name, email, type, active flag or console password')
    .argument('<entityId>', 'entity id')
    .requiredOption('--account <id>', 'account id')
    .option('--name <name>', 'new name')
    .option('--email <email>', 'new email address ("" clears it)')
    .addOption(typeOption())
    .option('--active', 'make it active')
    .option('--inactive', 'make it inactive (its mappings stop getting tokens)')
    .option('--password-stdin', 'read a new console password from standard input')
    .option('--clear-password', 'remove the console password')
    .option(
      '--reset-two-factor',
      'forget its two-factor device and recovery codes (lost device): it enrols again at its next sign-in',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  certmint entity update 1 --account 123456 --inactive\n' +
        '  printf %s "$NEW_PASSWORD" | certmint entity update 1 --account 123456 --password-stdin --reset-two-factor\n\n' +
        "A new password or a two-factor reset ends the entity's console sessions; both are audited.",
    )
    .action(
      async (
        entityId: string,
        opts: {
          account: string;
          name?: string;
          email?: string;
          type?: string;
          active?: boolean;
          inactive?: boolean;
          passwordStdin?: boolean;
          clearPassword?: boolean;
          resetTwoFactor?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.active && opts.inactive)
          throw new CliError('give --active or --inactive, not both', 2);
        if (opts.passwordStdin && opts.clearPassword) {
          throw new CliError('give --password-stdin or --clear-password, not both', 2);
        }
        const patch: UpdateEntityInput = {};
        if (opts.name !== undefined) patch.name = opts.name;
        if (opts.email !== undefined) patch.email = opts.email;
        if (opts.type !== undefined) patch.type = opts.type;
        if (opts.active || opts.inactive) patch.active = opts.active === true;
        const password = opts.passwordStdin
          ? await readStdin()
          : opts.clearPassword
            ? null
            : undefined;
        const resetTwoFactor = opts.resetTwoFactor === true;
        if (Object.keys(patch).length === 0 && password === undefined && !resetTwoFactor) {
          throw new CliError(
            'nothing to update: give --name, --email, --type, --active/--inactive, --password-stdin, --clear-password or --reset-two-factor',
            2,
          );
        }
        // Check the password first so a refused one leaves the other fields unchanged too.
        if (typeof password === 'string') checkPasswordPolicy(password);
        await withServices(cmd, async (svc, g) => {
          let e =
            Object.keys(patch).length > 0
              ? await svc.records.updateEntity(SYSTEM, opts.account, entityId, patch)
              : await svc.records.getEntity(SYSTEM, opts.account, entityId);
          if (password !== undefined) {
            await svc.records.setPassword(SYSTEM, { accountId: opts.account, entityId, password });
            e = { ...e, hasPassword: password !== null };
          }
          if (resetTwoFactor) {
            await svc.consoleAuth.resetTwoFactor(SYSTEM, opts.account, entityId);
          }
          emit(g, resetTwoFactor ? { ...e, twoFactorReset: true } : e, () =>
            resetTwoFactor
              ? `updated entity ${e.id} (${e.name}): two-factor reset, it enrols again at its next console sign-in`
              : `updated entity ${e.id} (${e.name})`,
          );
        });
      },
    );

  return entity;
}
