/** The console's POST routes as the running app has them, for tests that must cover them all. */
import type { FastifyInstance } from 'fastify';

/**
 * Every POST route under /console (from Fastify's route tree), parameters left as `:name`; a
 * new route is covered without editing the tests that use this.
 */
export function consolePostRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false, method: 'POST' }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(POST\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    stack.length = depth;
    const path = `${stack[depth - 1] ?? ''}${m[2]}`;
    stack.push(path);
    if (line.endsWith('(POST)') && path.startsWith('/console/')) out.push(path);
  }
  return out;
}
