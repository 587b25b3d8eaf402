/**
 * Domain errors carry a stable `code` (switch on codes, never on messages) and a message written
 * for the user: it says what went wrong and what to do instead. HTTP and CLI map `kind` to a
 * status / exit code in exactly one place each.
 */
export type ErrorKind =
  | 'invalid_input' // the request itself is wrong (bad id, bad file, bad flag)
  | 'not_found'
  | 'conflict' // a rule that spans records (duplicate certificate, limit reached)
  | 'forbidden' // missing permission or other account
  | 'policy'; // certificate policy refusal

/**
 * What a command-line user can type to act on the error (e.g. `with "certmint account create
 * 123"`). The message itself is written for everyone (API caller, console user, CLI user); the
 * CLI appends this hint after it, the console and the HTTP API leave it out.
 */
export interface ErrorHints {
  cli?: string;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly hints: ErrorHints;
  constructor(kind: ErrorKind, code: string, message: string, hints: ErrorHints = {}) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.hints = hints;
  }
}

export const invalidInput = (code: string, message: string, hints?: ErrorHints) =>
  new DomainError('invalid_input', code, message, hints);
export const notFound = (code: string, message: string, hints?: ErrorHints) =>
  new DomainError('not_found', code, message, hints);
export const conflict = (code: string, message: string, hints?: ErrorHints) =>
  new DomainError('conflict', code, message, hints);
export const forbidden = (code: string, message: string, hints?: ErrorHints) =>
  new DomainError('forbidden', code, message, hints);
export const policy = (code: string, message: string, hints?: ErrorHints) =>
  new DomainError('policy', code, message, hints);

/** The message as the command line shows it: the message, then the CLI hint if any. */
export const cliMessage = (e: DomainError): string =>
  e.hints.cli ? `${e.message} ${e.hints.cli}` : e.message;

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
