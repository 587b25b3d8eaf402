/** `certmint keys rotate`: a new token-signing key for an account. */
import { Command } from 'commander';
import { keyFileFor, loadMasterKey } from '../../crypto/master-key.ts';
import { auditEvent } from '../../domain/audit.ts';
import { getAccount, SYSTEM } from '../../service/index.ts';
import { SigningKeys } from '../../service/token/signing-keys.ts';
import { emit, globalOptions, withStore } from '../output.ts';

export function keysCommand(): Command {
  const keys = new Command('keys').description("manage an account's token-signing keys");
  keys
    .command('rotate')
    .description(
      'create a new signing key; the old one stays in the JWKS until its last token expires',
    )
    .requiredOption('--account <id>', 'account id')
    .addHelpText('after', '\nExample:\n  certmint keys rotate --account TSTDRV0000001')
    .action(async (o: { account: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const master = loadMasterKey({
        secret: process.env.CERTMINT_SECRET,
        keyFile: keyFileFor(g.db),
      });
      await withStore(cmd, async (deps) => {
        const account = await getAccount(deps, SYSTEM, o.account);
        const signing = new SigningKeys(deps.store, deps.clock, master);
        try {
          const kid = await signing.rotate(account.id);
          await deps.store.audit.append([auditEvent('keys.rotate', account.id, deps.clock.now())]);
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
