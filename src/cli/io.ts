/**
 * Where a CLI run reads and writes: stdout, stderr, stdin, environment and working directory.
 * `runCli(argv, io)` runs the whole command inside `withIo`, and every helper reads the current
 * one through `io()`, so tests capture output or point the CLI at another directory without
 * touching the real process (and without threading an extra argument through every command).
 * Outside a run (or when a part is not given) it is the real process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { isAbsolute, resolve } from 'node:path';

export interface CliIo {
  /** Text for standard output (written as given: callers add the newline). */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean | undefined };
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths on the command line are relative to this directory. */
  cwd: string;
}

function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

const current = new AsyncLocalStorage<CliIo>();

/** The io of the run in progress, or the real process outside one. */
export function io(): CliIo {
  return current.getStore() ?? processIo();
}

/**
 * Runs `fn` with `overrides` (the rest from the real process) as the current io. Without
 * overrides (the real `certmint` process) no store is entered: `io()` is the process anyway,
 * and an entered AsyncLocalStorage turns on Node 20's promise hooks for the whole process —
 * `serve` would pay them on every promise of every request (measured: docs/performance.md).
 */
export function withIo<T>(overrides: Partial<CliIo>, fn: () => Promise<T>): Promise<T> {
  if (Object.keys(overrides).length === 0) return fn();
  return current.run({ ...processIo(), ...overrides }, fn);
}

/** A path from the command line, made absolute against the run's working directory. */
export const resolvePath = (path: string): string =>
  isAbsolute(path) ? path : resolve(io().cwd, path);

/** A non-empty environment variable of the current run, else undefined. */
export function envVar(name: string): string | undefined {
  const value = io().env[name];
  return value === undefined || value === '' ? undefined : value;
}
