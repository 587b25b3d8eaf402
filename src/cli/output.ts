/**
 * Shared helpers for record commands: global options (`--db`, `--json`), opening the store only
 * for the commands that need it (and always closing it, so the process exits promptly), and
 * printing either JSON or short human tables.
 */
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import { systemClock } from '../domain/clock.ts';
import { isDomainError } from '../domain/errors.ts';
import type { OpenServicesOptions } from '../service/runtime.ts';
import type { Services } from '../service/services.ts';
import { CliError } from './errors.ts';
import { io, resolvePath } from './io.ts';
import { masterSecret, noStoreError, type StoreLocation, storeLocation } from './settings.ts';

export { DEFAULT_DB } from './settings.ts';

export interface GlobalOptions {
  /** The store to open: a postgres:// URL, ':memory:' or an absolute SQLite path. */
  db: string;
  json: boolean;
  location: StoreLocation;
}

/** `--db` wins, then `$CERTMINT_DB`, then ./.certmint/certmint.db (see ./settings.ts). */
export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ db?: string; json?: boolean }>();
  const store = storeLocation(o.db);
  return { db: store.db, json: o.json === true, location: store };
}

/**
 * Opens the services on the store named by `--db`, runs `fn`, and closes them whatever happens
 * (an open PostgreSQL pool would keep the process alive). The service layer (database drivers)
 * is imported on first use, so commands without a store do not pay for it. A missing SQLite
 * file is an error, never a new empty store (only `serve` and `init` create one).
 */
export async function withServices<T>(
  cmd: Command,
  fn: (services: Services, g: GlobalOptions) => Promise<T>,
  extra: Pick<OpenServicesOptions, 'notices' | 'publicUrl'> = {},
): Promise<T> {
  const g = globalOptions(cmd);
  const { openServices } = await import('../service/runtime.ts');
  const services = await openServices({
    ...extra,
    db: g.db,
    // `keys rotate` takes --secret-file; every other command reads CERTMINT_SECRET.
    secret: masterSecret(cmd.optsWithGlobals<{ secretFile?: string }>().secretFile),
    filesDir: g.location.dir,
    mustExist: true,
    clock: systemClock,
  }).catch((e: unknown) => {
    throw isDomainError(e) && e.code === 'store.not_found' ? noStoreError(g.location) : e;
  });
  try {
    return await fn(services, g);
  } finally {
    await services.close();
  }
}

export const write = (text: string): void => {
  io().stdout(text.endsWith('\n') ? text : `${text}\n`);
};

/** Prints `value` as JSON with `--json`, else the human text. */
export function emit(g: GlobalOptions, value: unknown, human: () => string): void {
  write(g.json ? JSON.stringify(value, null, 2) : human());
}

/** A plain left-aligned table; an empty list prints a "(none)" line instead. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  if (rows.length === 0) return '(none)';
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** ISO 8601 to the second (UTC): short enough for tables. */
export const isoTime = (ms: number | null): string =>
  ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Reads at most `max + 1` bytes, so an oversized file is refused without loading it whole. */
export async function readFileCapped(path: string, max: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(resolvePath(path), 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code;
    throw new CliError(`cannot read ${path}: ${why ?? 'unreadable'}`);
  }
  try {
    const buffer = Buffer.alloc(max + 1);
    let total = 0;
    while (total < buffer.length) {
      const { bytesRead } = await handle.read(buffer, total, buffer.length - total, null);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    return buffer.subarray(0, total);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${path}: ${code === 'EISDIR' ? 'it is a directory' : (code ?? 'unreadable')}`,
    );
  } finally {
    await handle.close();
  }
}

/** Everything on standard input, without the final newline (for `--password-stdin`). */
export async function readStdin(): Promise<string> {
  const { stdin } = io();
  if (stdin.isTTY) {
    throw new CliError(
      '--password-stdin reads the password from a pipe, e.g. printf %s "$PW" | certmint …',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Commander collector for repeatable, comma-separable options (`--permission a --permission b,c`). */
export const collect = (value: string, previous: string[] = []): string[] => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0),
];
