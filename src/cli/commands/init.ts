/**
 * `certmint init`: creates the store named by --db / CERTMINT_DB / the default, with account
 * TSTDRV0000001 and an administrator (as the first `certmint serve` does). On a store that
 * already exists it changes nothing and says so.
 */
import { Command } from 'commander';
import { systemClock } from '../../domain/clock.ts';
import { firstLogin, firstLoginText } from '../first-login.ts';
import { emit, globalOptions } from '../output.ts';
import { describeStore } from '../settings.ts';

export function initCommand(): Command {
  return new Command('init')
    .description('create the store, a first account and its administrator')
    .addHelpText(
      'after',
      '\nExamples:\n  certmint init\n  certmint --db /var/lib/certmint/certmint.db init\n\n' +
        'The administrator password is written to a mode-0600 file beside the store (never printed).',
    )
    .action(async (_o: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const { openServices } = await import('../../service/runtime.ts');
      const services = await openServices({
        db: g.db,
        filesDir: g.location.dir,
        clock: systemClock,
      });
      try {
        const first = await firstLogin(services, g.location);
        const where = describeStore(g.location);
        emit(g, { store: where, created: first !== null, ...(first ?? {}) }, () =>
          first === null
            ? `store ${where} already has accounts: nothing changed`
            : `store: ${where}${firstLoginText(first)}`,
        );
      } finally {
        await services.close();
      }
    });
}
