/**
 * The parent side of the benchmark's process protocol (servers/ipc.ts is the child side). Every
 * server runs in its own Node process — one event loop, one core — started with tsx, exactly
 * like `npm start`, so the load generator in the parent never shares its event loop.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:net';
import type { FromChild } from './servers/ipc.ts';

export interface Child {
  name: string;
  port: number;
  pid: number;
  /** Resident set size of the child, in bytes (asked over IPC, answered between requests). */
  rss(): Promise<number>;
  /** CPU time the child has used so far (user + system, all its threads), in µs. */
  cpu(): Promise<number>;
  /** Graceful stop (the child closes its server and store, then exits). */
  stop(): Promise<void>;
}

export interface ChildOptions {
  env?: Record<string, string>;
  /** When set, the child runs with `--cpu-prof` and writes its profile here on exit. */
  cpuProfDir?: string;
}

/** A port that was free a moment ago (the child binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const STARTUP_TIMEOUT_MS = 60_000;

export async function startChild(name: string, file: URL, opts: ChildOptions = {}): Promise<Child> {
  const port = await freePort();
  const execArgv = ['--import', 'tsx'];
  if (opts.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`);
  const child: ChildProcess = fork(file, [], {
    execArgv,
    env: { ...process.env, NODE_ENV: 'production', BENCH_PORT: String(port), ...opts.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiters = { rss: [] as Array<(v: number) => void>, cpu: [] as Array<(v: number) => void> };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within 60 s`)),
      STARTUP_TIMEOUT_MS,
    );
    child.on('message', (m: FromChild) => {
      if (m.type === 'ready') {
        clearTimeout(timer);
        resolve();
      }
      if (m.type === 'rss') waiters.rss.shift()?.(m.rss);
      if (m.type === 'cpu') waiters.cpu.shift()?.(m.us);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    port,
    pid: child.pid ?? 0,
    rss: () =>
      new Promise<number>((resolve) => {
        waiters.rss.push(resolve);
        child.send({ type: 'rss' });
      }),
    cpu: () =>
      new Promise<number>((resolve) => {
        waiters.cpu.push(resolve);
        child.send({ type: 'cpu' });
      }),
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000));
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
