/** Input checks shared by the record use cases. Each throws a DomainError that says what to do. */
import { type Account, parseAccountId } from '../../domain/account.ts';
import { invalidInput, notFound } from '../../domain/errors.ts';
import type { ServiceDeps } from '../context.ts';

const MAX_NAME_LENGTH = 100;
// Control characters would corrupt one-line CLI output and audit exports.
// biome-ignore lint/suspicious/noControlCharactersInRegex: that is the point of this pattern
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Canonical account id (accepts the host form); throws `account.invalid_id`. */
export const accountIdOf = (input: unknown): string => {
  if (typeof input !== 'string') {
    throw invalidInput('account.invalid_id', 'an account id is required (e.g. 123456)');
  }
  return parseAccountId(input).id;
};

/** `account.not_found`, telling how to create it. */
export const accountNotFound = (id: string) =>
  notFound(
    'account.not_found',
    `account ${id} does not exist: check the account id, or create the account first`,
    { cli: `(certmint account create ${id})` },
  );

/** `entity.not_found`, telling where to see the account's entities. */
export const entityNotFound = (accountId: string, id: number) =>
  notFound(
    'entity.not_found',
    `entity ${id} does not exist in account ${accountId}: check the id against the list of entities`,
    { cli: `(certmint entity list --account ${accountId})` },
  );

/** The stored account, or `account.not_found` telling how to create it. */
export async function existingAccount(deps: ServiceDeps, input: unknown): Promise<Account> {
  const id = accountIdOf(input);
  const account = await deps.store.accounts.get(id);
  if (!account) throw accountNotFound(id);
  return account;
}

/** A positive integer id, from a number or a decimal string (CLI flags arrive as strings). */
export function idOf(input: unknown, what: string, code: string): number {
  const n =
    typeof input === 'number'
      ? input
      : typeof input === 'string' && /^[0-9]{1,15}$/.test(input.trim())
        ? Number(input.trim())
        : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw invalidInput(
      code,
      `${what} must be a positive whole number (got "${String(input).slice(0, 40)}")`,
    );
  }
  return n;
}

/** A trimmed, non-empty, single-line name of at most 100 characters. */
export function nameOf(input: unknown, what: string, code: string): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (name.length === 0) throw invalidInput(code, `${what} is required`);
  if (name.length > MAX_NAME_LENGTH) {
    throw invalidInput(code, `${what} is too long: use at most ${MAX_NAME_LENGTH} characters`);
  }
  if (CONTROL.test(name)) {
    throw invalidInput(code, `${what} must be one line without control characters`);
  }
  return name;
}

const EMAIL = /^[^\s@]+@[^\s@.]+(?:\.[^\s@.]+)+$/;

/** Null for absent/empty; otherwise a plausible address (lower-cased domain part kept as typed). */
export function emailOf(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  const email = typeof input === 'string' ? input.trim() : '';
  if (email.length === 0) return null;
  if (email.length > 254 || !EMAIL.test(email) || CONTROL.test(email)) {
    throw invalidInput(
      'entity.invalid_email',
      `"${email.slice(0, 60)}" is not an email address: use the form name@example.com`,
    );
  }
  return email;
}

export function booleanOf(input: unknown, what: string, code: string): boolean {
  if (typeof input !== 'boolean') throw invalidInput(code, `${what} must be true or false`);
  return input;
}
