/**
 * The console's registered routes, read from Fastify itself (an onRoute hook on an app that
 * mounts the console the way buildApp does), so a test can compare its list of pages and forms
 * with what really exists: a new page or form is never left out of the checks unnoticed.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { consoleRoutes } from '../../src/console/plugin.ts';
import { loadMasterKey } from '../../src/crypto/master-key.ts';
import { createServices } from '../../src/service/services.ts';
import type { Store } from '../../src/store/ports.ts';

export interface ConsoleRoute {
  method: string;
  url: string;
}

/** The routes, from a console mounted over services on `store` (nothing is stored). */
export async function consoleRouteList(store: Store): Promise<ConsoleRoute[]> {
  const services = createServices({
    store,
    master: loadMasterKey({ secret: 'route-list-secret-0123456789', keyFile: '/nonexistent' }),
    publicUrl: 'http://127.0.0.1',
  });
  const app = Fastify();
  const routes: ConsoleRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: r.url });
    }
  });
  // biome-ignore lint/nursery/noMisusedPromises: fastify awaits async plugins
  await app.register(consoleRoutes, { services });
  await app.ready();
  await app.close();
  await services.close();
  // Fastify registers a prefixed '/' twice ('/console' and '/console/'): one page.
  const seen = new Set<string>();
  return routes
    .map((r) => ({ ...r, url: r.url === '/console' ? '/console/' : r.url }))
    .filter((r) => {
      const key = `${r.method} ${r.url}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

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
