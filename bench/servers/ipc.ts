/**
 * The child side of the benchmark's process protocol (children.ts is the parent side): tell the
 * parent the server listens, answer RSS samples, stop cleanly on request — a clean exit is what
 * makes `node --cpu-prof` write its profile.
 */
export type ToChild = { type: 'rss' } | { type: 'cpu' } | { type: 'stop' };
export type FromChild =
  | { type: 'ready'; port: number }
  | { type: 'rss'; rss: number }
  /** CPU time used so far by the whole process (user + system, every thread), µs. */
  | { type: 'cpu'; us: number };

function send(message: FromChild): void {
  process.send?.(message);
}

export function serveChild(port: number, stop: () => Promise<void>): void {
  process.on('message', (m: ToChild) => {
    if (m.type === 'rss') send({ type: 'rss', rss: process.memoryUsage.rss() });
    if (m.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', us: user + system });
    }
    if (m.type === 'stop') {
      stop().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error('stop failed:', err);
          process.exit(1);
        },
      );
    }
  });
  // The parent going away (Ctrl-C, crash) must not leave a server behind.
  process.on('disconnect', () => process.exit(0));
  send({ type: 'ready', port });
}

/** A required environment variable (the parent always sets them). */
export function env(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`${name} is not set (run via npm run bench)`);
  return v;
}
