/** `certmint mapping create|list|revoke`: NetSuite's OAuth 2.0 Client Credentials (M2M) Setup. */
import { basename } from 'node:path';
import { Command } from 'commander';
import type { Mapping } from '../../domain/mapping.ts';
import { SYSTEM } from '../../service/context.ts';
import { CliError } from '../errors.ts';
import { io } from '../io.ts';
import { emit, isoTime, readFileCapped, table, withServices } from '../output.ts';

/** base64url(SHA-256): 43 characters. */
const CERTIFICATE_ID = /^[A-Za-z0-9_-]{43}$/;

/** The server refuses larger uploads; reading one byte more is enough to say so. */
const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** The PEM is public but long: JSON output names the certificate by its id instead. */
const withoutPem = <T extends Mapping>({ pem: _pem, ...rest }: T): Omit<T, 'pem'> => rest;

const keyLabel = (m: Mapping): string =>
  m.algorithm === 'EC'
    ? `EC ${m.curve ?? m.keySize}`
    : `${m.keyType === 'rsa-pss' ? 'RSA-PSS' : 'RSA'} ${m.keySize}`;

export function mappingCommand(): Command {
  const mapping = new Command('mapping').description(
    'certificate mappings: one certificate ↔ one (integration, entity, role), forever',
  );

  mapping
    .command('create')
    .description('upload a certificate and map it to an integration, entity and role')
    .requiredOption('--account <id>', 'account id')
    .requiredOption('--integration <clientId>', 'integration client id (64 hex)')
    .requiredOption('--entity <id>', 'entity id (must be active and hold the role)')
    .requiredOption('--role <id>', 'role id')
    .requiredOption('--certificate <file>', 'X.509 certificate, PEM or DER (.pem, .crt, .cer)')
    .addHelpText(
      'after',
      '\nExample:\n  certmint mapping create --account 123456 --integration <clientId> --entity 1 --role 1000 --certificate public.pem',
    )
    .action(
      async (
        opts: {
          account: string;
          integration: string;
          entity: string;
          role: string;
          certificate: string;
        },
        cmd: Command,
      ) => {
        const bytes = await readFileCapped(opts.certificate, MAX_CERTIFICATE_BYTES);
        await withServices(cmd, async (svc, g) => {
          const m = await svc.records.createMapping(SYSTEM, {
            accountId: opts.account,
            clientId: opts.integration,
            entityId: opts.entity,
            roleId: opts.role,
            certificate: bytes,
            fileName: basename(opts.certificate),
          });
          // Accepted, but the administrator should know (also in the JSON, as `warnings`).
          for (const w of m.warnings) io().stderr(`certmint: warning: ${w.message}\n`);
          emit(g, withoutPem(m), () =>
            [
              `mapped certificate ${m.certificateId}`,
              `  ${keyLabel(m)}, valid ${isoTime(m.validFrom)} to ${isoTime(m.validUntil)}` +
                (m.shortened ? ' (shortened to the 2-year maximum)' : ''),
              `  use it as the JWT header "kid": ${m.certificateId}`,
            ].join('\n'),
          );
        });
      },
    );

  mapping
    .command('list')
    .description('list the certificate mappings of an account')
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint mapping list --account 123456 --json')
    .action(async (opts: { account: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const all = await svc.records.listMappings(SYSTEM, opts.account);
        emit(g, all.map(withoutPem), () =>
          table(
            ['CERTIFICATE ID', 'STATUS', 'INTEGRATION', 'ENTITY', 'ROLE', 'KEY', 'VALID UNTIL'],
            all.map((m) => [
              m.certificateId,
              m.status + (m.expiresSoon ? ' (expires soon)' : ''),
              m.integrationName ?? String(m.integrationId),
              String(m.entityId),
              String(m.roleId),
              keyLabel(m),
              isoTime(m.validUntil),
            ]),
          ),
        );
      });
    });

  mapping
    .command('revoke')
    .description('revoke a certificate mapping for good (it can never be mapped again)')
    .argument('[certId]', 'certificate id (one that begins with "-" is fine)')
    .requiredOption('--account <id>', 'account id')
    // A certificate id is base64url and may begin with "-" (NetSuite's own CLI trips on this:
    // suitecloud-sdk #881). main moves such ids out of commander's way (../dash-ids.ts); any
    // other word beginning with "-" reaches the check below and is refused by name.
    .allowUnknownOption()
    .option('--certificate-id <id>', 'certificate id, as an option')
    .addHelpText(
      'after',
      '\nExamples:\n  certmint mapping revoke --account 123456 I_k32OzlZNGsHtCScnCwQCVLqsQsV2BOIQzlTaSmRQI\n' +
        '  certmint mapping revoke --account 123456 -- -k32OzlZNGsHtCScnCwQCVLqsQsV2BOIQzlTaSmRQI\n' +
        '  certmint mapping revoke --account 123456 --certificate-id=-k32OzlZNGsHtCScnCwQCVLqsQsV2BOIQzlTaSmRQI',
    )
    .action(
      async (
        certId: string | undefined,
        opts: { account: string; certificateId?: string },
        cmd: Command,
      ) => {
        if (
          certId !== undefined &&
          opts.certificateId !== undefined &&
          certId !== opts.certificateId
        ) {
          throw new CliError(
            'give the certificate id once: as an argument or with --certificate-id',
            2,
          );
        }
        if (certId?.startsWith('-') && !CERTIFICATE_ID.test(certId)) {
          throw new CliError(
            `'${certId.slice(0, 60)}' is neither an option of "mapping revoke" nor a certificate id ` +
              '(43 characters; see certmint mapping list)',
            2,
          );
        }
        const id = certId ?? opts.certificateId;
        if (id === undefined) {
          throw new CliError('which certificate? give its id (see certmint mapping list)', 2);
        }
        await withServices(cmd, async (svc, g) => {
          const m = await svc.records.revokeMapping(SYSTEM, opts.account, id);
          emit(
            g,
            withoutPem(m),
            () => `revoked certificate ${m.certificateId} at ${isoTime(m.revokedAt)}`,
          );
        });
      },
    );

  return mapping;
}
