/**
 * Which driver errors mean "the database is unavailable" (StoreUnavailableError) rather than a
 * bug or a refused statement. Deliberately narrow: a constraint violation, a syntax error or a
 * closed store stays what it is.
 */
import { StoreUnavailableError } from '../domain/store-unavailable.ts';

/** Socket-level failures: the server is down, unreachable, or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * PostgreSQL SQLSTATEs: class 08 (connection exception), class 53 (insufficient resources:
 * disk full, out of memory, too many connections), 57P01–57P03 (administrator or crash
 * shutdown, cannot connect now), 58030 (I/O error).
 */
const pgStateUnavailable = (code: string): boolean =>
  code.startsWith('08') || code.startsWith('53') || /^57P0[123]$/.test(code) || code === '58030';

/** node-postgres reports a lost or timed-out connection by message only. */
const PG_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /^Client has encountered a connection error/,
  /^Query read timeout/,
];

const codeOf = (e: unknown): string | undefined => {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

const messageOf = (e: unknown): string =>
  e instanceof AggregateError && e.errors.length > 0
    ? e.errors.map(messageOf).join('; ')
    : e instanceof Error
      ? e.message
      : String(e);

function pgUnavailable(e: unknown): boolean {
  if (e instanceof AggregateError) return e.errors.length > 0 && e.errors.every(pgUnavailable);
  const code = codeOf(e);
  if (code !== undefined && (NETWORK_CODES.has(code) || pgStateUnavailable(code))) return true;
  return e instanceof Error && PG_MESSAGES.some((re) => re.test(e.message));
}

/**
 * SQLite: locked beyond the wait budget (the driver's retry gives up with the busy error as its
 * cause), the disk full, an I/O error, the file gone.
 */
function sqliteUnavailable(e: unknown): boolean {
  const code = codeOf(e);
  if (code !== undefined) {
    return (
      code.startsWith('SQLITE_BUSY') ||
      code.startsWith('SQLITE_LOCKED') ||
      code.startsWith('SQLITE_IOERR') ||
      code === 'SQLITE_FULL' ||
      code === 'SQLITE_CANTOPEN'
    );
  }
  const cause = (e as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== e && sqliteUnavailable(cause);
}

export type Classify = (e: unknown) => unknown;

/** The error as the store's callers should see it: StoreUnavailableError or unchanged. */
export const classifyPg: Classify = (e) =>
  !(e instanceof StoreUnavailableError) && pgUnavailable(e)
    ? new StoreUnavailableError(messageOf(e) || codeOf(e) || 'connection failed', { cause: e })
    : e;

export const classifySqlite: Classify = (e) =>
  !(e instanceof StoreUnavailableError) && sqliteUnavailable(e)
    ? new StoreUnavailableError(messageOf(e), { cause: e })
    : e;
