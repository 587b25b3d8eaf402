/** `certmint integration create|update|show|list`. */
import { Command, Option } from 'commander';
import { type Integration, MTLS_BINDING_MODES } from '../../domain/integration.ts';
import { SYSTEM } from '../../service/context.ts';
import type { UpdateIntegrationInput } from '../../service/index.ts';
import { emit, isoTime, table, withServices } from '../output.ts';

const stateOption = () =>
  new Option('--state <state>', 'enabled | blocked').choices(['enabled', 'blocked']);
const SCOPE_HELP = 'scopes, comma separated: restlets, rest_webservices, suite_analytics';
/** RFC 8705 certificate-bound tokens (docs/http.md, "Mutual TLS"). */
const mtlsOption = () =>
  new Option(
    '--mtls-binding <mode>',
    'certificate-bound tokens over mutual TLS: off | allowed | required',
  ).choices(MTLS_BINDING_MODES);
const dpopOption = () =>
  new Option(
    '--dpop <mode>',
    'DPoP (RFC 9449): off (proofs ignored, Bearer tokens), allowed (a proof binds the token), required',
  ).choices(['off', 'allowed', 'required']);

const integrationLines = (i: Integration): string[] => [
  `name:            ${i.name} (id ${i.id}, account ${i.accountId})`,
  `client id:       ${i.clientId}`,
  `application id:  ${i.applicationId}`,
  `state:           ${i.state}`,
  `M2M grant:       ${i.m2mGrant ? 'yes' : 'no'}`,
  `scopes:          ${i.scopes.join(',') || '-'}`,
  `mTLS binding:    ${i.mtlsBinding}`,
  `DPoP:            ${i.dpop}`,
];

export function integrationCommand(): Command {
  const integration = new Command('integration').description(
    'integration records: client id, client secret, M2M grant, scopes, state',
  );

  integration
    .command('create')
    .description('create an integration record (prints its client secret once)')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--name <name>', 'integration name')
    .option('--m2m', 'check "Client Credentials (Machine to Machine) Grant"')
    .option('--scope <list>', SCOPE_HELP)
    .addOption(stateOption().default('enabled'))
    .addOption(mtlsOption())
    .addOption(dpopOption())
    .addHelpText(
      'after',
      '\nExample:\n  certmint integration create --account 123456 --name "CI" --m2m --scope restlets,rest_webservices',
    )
    .action(
      async (
        opts: {
          account: string;
          name: string;
          m2m?: boolean;
          scope?: string;
          state: string;
          mtlsBinding?: string;
          dpop?: string;
        },
        cmd: Command,
      ) => {
        await withServices(cmd, async (svc, g) => {
          const { integration: i, clientSecret } = await svc.records.createIntegration(SYSTEM, {
            accountId: opts.account,
            name: opts.name,
            m2mGrant: opts.m2m === true,
            ...(opts.scope === undefined ? {} : { scopes: opts.scope }),
            state: opts.state,
            ...(opts.mtlsBinding === undefined ? {} : { mtlsBinding: opts.mtlsBinding }),
            ...(opts.dpop === undefined ? {} : { dpop: opts.dpop }),
          });
          emit(g, { ...i, clientSecret }, () =>
            [
              `created integration record`,
              ...integrationLines(i),
              `client secret:   ${clientSecret}`,
              '',
              'Save the client secret now: it is shown only this once and cannot be retrieved later.',
            ].join('\n'),
          );
        });
      },
    );

  integration
    .command('update')
    .description('change an integration record')
    .argument('<clientId>', 'client id (64 hex) or internal id')
    .requiredOption('--account <id>', 'account id')
    .option('--name <name>', 'new name')
    .option('--m2m', 'check "Client Credentials (Machine to Machine) Grant"')
    .option('--no-m2m', 'uncheck it (tokens are refused, mappings stay)')
    .option('--scope <list>', `${SCOPE_HELP}; replaces the list`)
    .addOption(stateOption())
    .addOption(mtlsOption())
    .addOption(dpopOption())
    .addHelpText(
      'after',
      '\nExample:\n  certmint integration update --account 123456 <clientId> --state blocked',
    )
    .action(
      async (
        clientId: string,
        opts: {
          account: string;
          name?: string;
          m2m?: boolean;
          scope?: string;
          state?: string;
          mtlsBinding?: string;
          dpop?: string;
        },
        cmd: Command,
      ) => {
        const patch: UpdateIntegrationInput = {};
        if (opts.name !== undefined) patch.name = opts.name;
        if (opts.m2m !== undefined) patch.m2mGrant = opts.m2m;
        if (opts.scope !== undefined) patch.scopes = opts.scope;
        if (opts.state !== undefined) patch.state = opts.state;
        if (opts.mtlsBinding !== undefined) patch.mtlsBinding = opts.mtlsBinding;
        if (opts.dpop !== undefined) patch.dpop = opts.dpop;
        await withServices(cmd, async (svc, g) => {
          const i = await svc.records.updateIntegration(SYSTEM, opts.account, clientId, patch);
          emit(g, i, () => ['updated integration record', ...integrationLines(i)].join('\n'));
        });
      },
    );

  integration
    .command('show')
    .description('show one integration record')
    .argument('<clientId>', 'client id (64 hex) or internal id')
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint integration show --account 123456 <clientId>')
    .action(async (clientId: string, opts: { account: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const i = await svc.records.getIntegration(SYSTEM, opts.account, clientId);
        emit(g, i, () => integrationLines(i).join('\n'));
      });
    });

  integration
    .command('list')
    .description('list the integration records of an account')
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint integration list --account 123456')
    .action(async (opts: { account: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const all = await svc.records.listIntegrations(SYSTEM, opts.account);
        emit(g, all, () =>
          table(
            ['ID', 'NAME', 'STATE', 'M2M', 'SCOPES', 'DPOP', 'MTLS', 'CLIENT ID', 'CREATED'],
            all.map((i) => [
              String(i.id),
              i.name,
              i.state,
              i.m2mGrant ? 'yes' : 'no',
              i.scopes.join(',') || '-',
              i.dpop,
              i.mtlsBinding,
              i.clientId,
              isoTime(i.createdAt),
            ]),
          ),
        );
      });
    });

  return integration;
}
