/**
 * Running `certmint` in tests. `cli()` calls runCli in this process with its own stdout, stderr,
 * stdin, environment and working directory (nothing of the real process is touched); `spawnCli()`
 * runs the real `bin/certmint.mjs` (the built CLI in dist/) for what only a process shows: exit
 * codes, the bin itself, stdin pipes, signals.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import { openStore } from '../../src/store/open.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/certmint.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Environment of the run (default: none at all, so no CERTMINT_* of the caller leaks in). */
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Standard input (default: empty, not a terminal). */
  input?: string;
}

/** `certmint …args` in-process; resolves with the exit code and everything printed. */
export async function cli(args: readonly string[], o: CliOptions = {}): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['node', 'certmint', ...args], {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    stdin: Readable.from([Buffer.from(o.input ?? '')]),
    env: o.env ?? {},
    ...(o.cwd === undefined ? {} : { cwd: o.cwd }),
  });
  return { code, stdout, stderr };
}

/** Exit 0 and JSON on stdout. */
export async function cliJson<T>(args: readonly string[], o: CliOptions = {}): Promise<T> {
  const r = await cli(['--json', ...args], o);
  assert.equal(r.code, 0, `certmint ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A user mistake: the exit code and exactly one `certmint: …` line on stderr, no stack. */
export function assertMistake(r: CliResult, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  assert.equal(lines.length, 1, `one stderr line expected, got:\n${r.stderr}`);
  assert.match(lines[0] ?? '', /^certmint: /);
  assert.match(lines[0] ?? '', message);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** The real `certmint` process (bin/certmint.mjs), without the caller's CERTMINT_* settings. */
export function spawnCli(
  args: readonly string[],
  o: { env?: Record<string, string>; cwd?: string; input?: string } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: o.cwd ?? ROOT,
    encoding: 'utf8',
    input: o.input ?? '',
    env: { ...process.env, CERTMINT_DB: '', CERTMINT_DEBUG: '', CERTMINT_SECRET: '', ...o.env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A new temporary directory. */
export const tempDir = (prefix = 'certmint-cli-'): string => mkdtempSync(join(tmpdir(), prefix));

/** An existing, empty, migrated SQLite store at `path` (no account, unlike `certmint init`). */
export async function emptyStore(path: string): Promise<string> {
  const store = await openStore(path);
  await store.close();
  return path;
}
