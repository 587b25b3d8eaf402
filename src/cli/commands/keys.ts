/** `certmint keys rotate`: a new token-signing key for an account. */
import { Command } from 'commander';
import { SYSTEM } from '../../service/context.ts';
import { emit, withServices } from '../output.ts';

export function keysCommand(): Command {
  const keys = new Command('keys').description("manage an account's token-signing keys");
  keys
    .command('rotate')
    .description(
      'create a new signing key; the old one stays in the JWKS until its last token expires',
    )
    .requiredOption('--account <id>', 'account id')
    .option(
      '--secret-file <file>',
      'file holding the secret that encrypts signing keys (default: $CERTMINT_SECRET)',
    )
    .addHelpText('after', '\nExample:\n  certmint keys rotate --account TSTDRV0000001')
    .action(async (o: { account: string; secretFile?: string }, cmd: Command) => {
      await withServices(cmd, async (svc, g) => {
        const { accountId, kid } = await svc.signingKeys.rotate(SYSTEM, o.account);
        emit(
          g,
          { account: accountId, kid },
          () =>
            `new signing key ${kid} for ${accountId}; running servers pick it up within a minute`,
        );
      });
    });
  return keys;
}
