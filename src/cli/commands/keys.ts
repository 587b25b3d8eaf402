/** `certmint keys rotate`: a new token-signing key for an account. */
import { Command } from 'commander';
import { keyFileFor, loadMasterKey } from '../../crypto/master-key.ts';
import { getAccount, SYSTEM } from '../../service/index.ts';
import { SigningKeys } from '../../service/token/signing-keys.ts';
import { emit, globalOptions, withStore } from '../output.ts';
import { masterSecret } from '../settings.ts';

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
      const g = globalOptions(cmd);
      const secret = masterSecret(o.secretFile);
      await withStore(cmd, async (deps) => {
        // Only once the store is known to exist: a missing key file is created here.
        const master = loadMasterKey({ secret, keyFile: keyFileFor(g.db) });
        const account = await getAccount(deps, SYSTEM, o.account);
        const signing = new SigningKeys(deps.store, deps.clock, master);
        try {
          const kid = await signing.rotate(account.id);
          await deps.store.audit.append([
            {
              at: deps.clock.now(),
              accountId: account.id,
              type: 'keys.rotate',
              result: 'success',
              detail: null,
              clientId: null,
              certificateId: null,
              entityId: null,
              roleId: null,
              remoteAddress: null,
              actor: null,
            },
          ]);
          emit(
            g,
            { account: account.id, kid },
            () =>
              `new signing key ${kid} for ${account.id}; running servers pick it up within a minute`,
          );
        } finally {
          signing.close();
        }
      });
    });
  return keys;
}
