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

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  constructor(kind: ErrorKind, code: string, message: string) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
  }
}

export const invalidInput = (code: string, message: string) =>
  new DomainError('invalid_input', code, message);
export const notFound = (code: string, message: string) =>
  new DomainError('not_found', code, message);
export const conflict = (code: string, message: string) =>
  new DomainError('conflict', code, message);
export const forbidden = (code: string, message: string) =>
  new DomainError('forbidden', code, message);
export const policy = (code: string, message: string) => new DomainError('policy', code, message);

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;
