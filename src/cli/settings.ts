/**
 * Every setting the CLI reads, resolved one way: the flag, else the environment variable, else
 * the default (docs/cli.md has the table). The store is found the same way by `serve` and by
 * every record command, so they can never silently work on two different databases.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { parseNoticeDays } from '../domain/notices.ts';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from '../http/server-limits.ts';
import type { NoticeSettings } from '../service/notices/settings.ts';
import { DEFAULT_RATE_LIMITS, type RateLimits } from '../service/token/rate-limit.ts';
import { CliError } from './errors.ts';
import { envVar, io, resolvePath } from './io.ts';

export const DEFAULT_DB = './.certmint/certmint.db';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = '127.0.0.1';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const isPostgres = (db: string): boolean => /^postgres(?:ql)?:\/\//i.test(db);

export interface StoreLocation {
  /** For openStore: a postgres:// URL, ':memory:', or an absolute SQLite path. */
  db: string;
  /** Where the value came from (for the "no store" message). */
  from: '--db' | 'CERTMINT_DB' | 'default';
  /** Folder for the files kept beside the store (master key, first administrator password). */
  dir: string;
}

/** `--db` wins, then `$CERTMINT_DB`, then ./.certmint/certmint.db (relative to the cwd). */
export function storeLocation(dbFlag: string | undefined): StoreLocation {
  const env = envVar('CERTMINT_DB');
  const [raw, from] =
    dbFlag !== undefined && dbFlag !== ''
      ? [dbFlag, '--db' as const]
      : env !== undefined
        ? [env, 'CERTMINT_DB' as const]
        : [DEFAULT_DB, 'default' as const];
  if (isPostgres(raw) || raw === ':memory:') {
    return { db: raw, from, dir: resolvePath('.certmint') };
  }
  const db = resolvePath(raw);
  return { db, from, dir: dirname(db) };
}

/** The store for messages: the absolute SQLite path, or the URL without its password. */
export function describeStore(loc: StoreLocation): string {
  if (!isPostgres(loc.db)) return loc.db;
  try {
    const url = new URL(loc.db);
    url.password = '';
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

/** The one line a record command prints when the SQLite store it looked for is not there. */
export function noStoreError(loc: StoreLocation): CliError {
  const how =
    loc.from === 'default'
      ? 'the default; neither --db nor CERTMINT_DB is set'
      : `from ${loc.from}`;
  const init = loc.from === 'default' ? 'certmint init' : `certmint --db ${loc.db} init`;
  return new CliError(
    `no certmint store at ${loc.db} (${how}): point at yours with --db <path> or CERTMINT_DB=<path>, ` +
      `or create this one with "${init}"`,
  );
}

function portOf(value: string, from: string): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535) {
    throw new CliError(`${from} must be 0-65535 (got "${value.slice(0, 20)}")`);
  }
  return Number(value);
}

/** The URL clients use when none is configured: a wildcard host is reached on 127.0.0.1. */
export function localUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

export interface ServeFlags {
  port?: string;
  host?: string;
  publicUrl?: string;
  explainErrors?: boolean;
  logLevel?: string;
  secretFile?: string;
}

export interface ServeSettings {
  port: number;
  host: string;
  publicUrl: string;
  explainErrors: boolean;
  logLevel: LogLevel;
}

export function serveSettings(o: ServeFlags): ServeSettings {
  const portText = o.port ?? envVar('PORT');
  const port =
    portText === undefined
      ? DEFAULT_PORT
      : portOf(portText, o.port !== undefined ? '--port' : 'PORT');
  const host = o.host ?? envVar('HOST') ?? DEFAULT_HOST;
  const publicUrl = (o.publicUrl ?? envVar('CERTMINT_PUBLIC_URL') ?? localUrl(host, port)).replace(
    /\/+$/,
    '',
  );
  const level = o.logLevel ?? envVar('CERTMINT_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    const from = o.logLevel !== undefined ? '--log-level' : 'CERTMINT_LOG_LEVEL';
    throw new CliError(`${from} must be one of ${LOG_LEVELS.join(', ')} (got "${level}")`, 2);
  }
  const explainErrors = o.explainErrors === true || envVar('CERTMINT_EXPLAIN_ERRORS') === '1';
  return { port, host, publicUrl, explainErrors, logLevel: level as LogLevel };
}

/** The flags of the server's limits (`serve`), as commander gives them. */
export interface LimitFlags {
  headersTimeout?: string;
  requestTimeout?: string;
  keepAliveTimeout?: string;
  idleTimeout?: string;
  maxConnections?: string;
  rateLimitClient?: string;
  rateLimitAddress?: string;
}

/** Each limit: its flag, its environment variable, the smallest value allowed. */
const LIMIT_SETTINGS = {
  headersTimeoutMs: ['headersTimeout', '--headers-timeout', 'CERTMINT_HEADERS_TIMEOUT_MS', 1],
  requestTimeoutMs: ['requestTimeout', '--request-timeout', 'CERTMINT_REQUEST_TIMEOUT_MS', 1],
  keepAliveTimeoutMs: [
    'keepAliveTimeout',
    '--keep-alive-timeout',
    'CERTMINT_KEEP_ALIVE_TIMEOUT_MS',
    1,
  ],
  idleTimeoutMs: ['idleTimeout', '--idle-timeout', 'CERTMINT_IDLE_TIMEOUT_MS', 1],
  maxConnections: ['maxConnections', '--max-connections', 'CERTMINT_MAX_CONNECTIONS', 1],
  perClientPerMinute: ['rateLimitClient', '--rate-limit-client', 'CERTMINT_RATE_LIMIT_CLIENT', 0],
  perAddressPerMinute: [
    'rateLimitAddress',
    '--rate-limit-address',
    'CERTMINT_RATE_LIMIT_ADDRESS',
    0,
  ],
} as const satisfies Record<
  keyof ServerLimits | keyof RateLimits,
  readonly [keyof LimitFlags, string, string, number]
>;

export interface LimitSettings {
  server: ServerLimits;
  rate: RateLimits;
}

/** Timeouts, the connection cap and the OAuth rate limits: flag, else variable, else default. */
export function limitSettings(o: LimitFlags): LimitSettings {
  const defaults: ServerLimits & RateLimits = { ...DEFAULT_SERVER_LIMITS, ...DEFAULT_RATE_LIMITS };
  const out = { ...defaults };
  for (const [key, [flag, flagName, env, min]] of Object.entries(LIMIT_SETTINGS)) {
    const raw = o[flag] ?? envVar(env);
    if (raw === undefined) continue;
    const from = o[flag] !== undefined ? flagName : env;
    const n = /^[0-9]{1,9}$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) {
      throw new CliError(
        `${from} must be a whole number, ${min} or more (got "${raw.slice(0, 20)}")`,
        2,
      );
    }
    out[key as keyof typeof out] = n;
  }
  if (out.headersTimeoutMs > out.requestTimeoutMs) {
    throw new CliError(
      `the headers timeout (${out.headersTimeoutMs} ms) must not exceed the request timeout (${out.requestTimeoutMs} ms): set --headers-timeout or --request-timeout`,
      2,
    );
  }
  const { perClientPerMinute, perAddressPerMinute, ...server } = out;
  return { server, rate: { perClientPerMinute, perAddressPerMinute } };
}

/** Where a client finds the server: $CERTMINT_PUBLIC_URL, else the local address serve uses. */
export function defaultServerUrl(): string {
  const configured = envVar('CERTMINT_PUBLIC_URL');
  if (configured !== undefined) return configured;
  const port = envVar('PORT');
  const valid = port !== undefined && /^[0-9]{1,5}$/.test(port) && Number(port) <= 65535;
  return localUrl(envVar('HOST') ?? DEFAULT_HOST, valid ? Number(port) : DEFAULT_PORT);
}

/**
 * The secret that encrypts token-signing keys: the file named by `--secret-file`, else
 * `$CERTMINT_SECRET`, else undefined (a key file beside the store is used). No flag takes the
 * secret itself: a command line is visible to every user of the machine (`ps`).
 */
export function masterSecret(secretFile: string | undefined): string | undefined {
  if (secretFile === undefined) return envVar('CERTMINT_SECRET');
  let secret: string;
  try {
    secret = readFileSync(resolvePath(secretFile), 'utf8').trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read --secret-file ${secretFile}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
    );
  }
  // An empty file must not silently fall back to the key file beside the store.
  if (secret === '') throw new CliError(`--secret-file ${secretFile} is empty`);
  return secret;
}

/** The flags of certificate expiry notices (`serve`, `notices run`). */
export interface NoticeFlags {
  noticeDays?: string;
  smtpUrl?: string;
  smtpFrom?: string;
  noticeWebhookUrl?: string;
  noticeWebhookSecretFile?: string;
}

function secretFromFile(flag: string, file: string): string {
  let secret: string;
  try {
    secret = readFileSync(resolvePath(file), 'utf8').trim();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      `cannot read ${flag} ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? 'unreadable')}`,
    );
  }
  if (secret === '') throw new CliError(`${flag} ${file} is empty`);
  return secret;
}

/**
 * Expiry notices: thresholds, SMTP and webhook, each from its flag or environment variable. A
 * channel half configured is an error now, not a silent lack of notices later. The webhook
 * secret, like the master secret, never comes from a flag (`ps` shows command lines).
 */
export function noticeSettings(o: NoticeFlags): NoticeSettings {
  const days = o.noticeDays ?? envVar('CERTMINT_NOTICE_DAYS');
  const smtpUrl = o.smtpUrl ?? envVar('CERTMINT_SMTP_URL');
  const from = o.smtpFrom ?? envVar('CERTMINT_SMTP_FROM');
  const hookUrl = o.noticeWebhookUrl ?? envVar('CERTMINT_NOTICE_WEBHOOK_URL');
  const hookSecret =
    o.noticeWebhookSecretFile !== undefined
      ? secretFromFile('--notice-webhook-secret-file', o.noticeWebhookSecretFile)
      : envVar('CERTMINT_NOTICE_WEBHOOK_SECRET');
  if (smtpUrl !== undefined && from === undefined) {
    throw new CliError(
      'email notices need a sender: set --smtp-from or CERTMINT_SMTP_FROM (e.g. certmint@example.com)',
    );
  }
  if (from !== undefined && smtpUrl === undefined) {
    throw new CliError(
      '--smtp-from / CERTMINT_SMTP_FROM needs an SMTP server: set --smtp-url or CERTMINT_SMTP_URL',
    );
  }
  if (hookUrl !== undefined && hookSecret === undefined) {
    throw new CliError(
      'webhook notices are signed: set --notice-webhook-secret-file or CERTMINT_NOTICE_WEBHOOK_SECRET',
    );
  }
  if (hookSecret !== undefined && hookUrl === undefined) {
    throw new CliError(
      'a webhook secret without a URL: set --notice-webhook-url or CERTMINT_NOTICE_WEBHOOK_URL',
    );
  }
  return {
    ...(days === undefined ? {} : { days: parseNoticeDays(days) }),
    ...(smtpUrl !== undefined && from !== undefined ? { email: { smtpUrl, from } } : {}),
    ...(hookUrl !== undefined && hookSecret !== undefined
      ? { webhook: { url: hookUrl, secret: hookSecret } }
      : {}),
  };
}

/** A URL for messages: without its password. */
export function withoutPassword(raw: string): string {
  try {
    const url = new URL(raw);
    url.password = '';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** `--debug` or CERTMINT_DEBUG=1: unexpected errors print their stack. */
export const debugEnabled = (flag: boolean): boolean => flag || io().env.CERTMINT_DEBUG === '1';

/** Flags of the operational settings of `serve` (audit retention, change-feed bound). */
export interface OperationsFlags {
  auditRetention?: string;
  feedTimeout?: string;
  changePublicUrl?: boolean;
  workers?: string;
}

export interface OperationsSettings {
  /** Days the audit trail is kept; 0 keeps it forever. */
  auditRetentionDays: number;
  /** PostgreSQL: a silent change-feed connection is noticed within this many ms. */
  feedTimeoutMs: number;
  changePublicUrl: boolean;
  /** Processes serving the port (1: a single process, no primary); default one per core. */
  workers: number;
}

/** More would only add memory and store connections: the port is shared round-robin. */
export const MAX_WORKERS = 256;

export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
export const DEFAULT_FEED_TIMEOUT_MS = 3000;

function wholeNumber(
  flag: string | undefined,
  env: string,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const text = flag ?? envVar(env);
  if (text === undefined) return fallback;
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    const from = flag !== undefined ? name : env;
    throw new CliError(
      `${from} must be a whole number from ${min} to ${max} (got "${text.slice(0, 20)}")`,
      2,
    );
  }
  return Number(text);
}

export function operationsSettings(o: OperationsFlags): OperationsSettings {
  return {
    auditRetentionDays: wholeNumber(
      o.auditRetention,
      'CERTMINT_AUDIT_RETENTION_DAYS',
      '--audit-retention',
      DEFAULT_AUDIT_RETENTION_DAYS,
      0,
      36_500,
    ),
    feedTimeoutMs: wholeNumber(
      o.feedTimeout,
      'CERTMINT_FEED_TIMEOUT_MS',
      '--feed-timeout',
      DEFAULT_FEED_TIMEOUT_MS,
      300,
      60_000,
    ),
    changePublicUrl: o.changePublicUrl === true,
    workers: wholeNumber(
      o.workers,
      'CERTMINT_WORKERS',
      '--workers',
      Math.min(availableParallelism(), MAX_WORKERS),
      1,
      MAX_WORKERS,
    ),
  };
}
