/**
 * The first administrator of a new store (`certmint init`, or the first `certmint serve`):
 * account TSTDRV0000001 and an administrator with a generated password. The password is never
 * printed (terminal scrollback and service logs keep what they are given): it is written once
 * to a mode-0600 file in the store's folder, and the file's path is printed instead.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Services } from '../service/services.ts';
import { CliError } from './errors.ts';
import type { StoreLocation } from './settings.ts';

export const PASSWORD_FILE = 'admin-password';

export interface FirstLogin {
  accountId: string;
  email: string;
  /** Absolute path of the file that holds the password. */
  passwordFile: string;
}

/** Sets up an empty store; null when it already has an account (then nothing changes). */
export async function firstLogin(
  services: Services,
  location: StoreLocation,
): Promise<FirstLogin | null> {
  const first = await services.bootstrap();
  if (first === null) return null;
  const passwordFile = join(location.dir, PASSWORD_FILE);
  try {
    // (A PostgreSQL store has no folder of its own yet: ./.certmint is made here.)
    await mkdir(location.dir, { recursive: true, mode: 0o700 });
    // A file left from an earlier store goes first, so the new one is created with mode 0600.
    await rm(passwordFile, { force: true });
    await writeFile(passwordFile, `${first.password}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'failed';
    throw new CliError(
      `created the administrator ${first.email} but could not write its password to ${passwordFile} (${code}): ` +
        `set one with: printf %s "$NEW_PASSWORD" | certmint entity update --account ${first.accountId} <id> --password-stdin`,
    );
  }
  return { accountId: first.accountId, email: first.email, passwordFile };
}

/** What to tell the user, with the console address when a server is about to run. */
export function firstLoginText(first: FirstLogin, consoleUrl?: string): string {
  return [
    '',
    `New store: created account ${first.accountId} and its administrator.`,
    ...(consoleUrl === undefined ? [] : [`  Console:  ${consoleUrl}`]),
    `  Email:    ${first.email}`,
    `  Password: in ${first.passwordFile} (mode 0600)`,
    'Sign in, enrol two-factor authentication, then delete that file.',
    '',
  ].join('\n');
}
