/**
 * The console's stylesheet, script and icon, read once at start-up and served from
 * /console/assets.
 * No CDN and no inline code: the CSP allows only these same-origin files.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';

const ASSETS: Record<string, { type: string; body: Buffer }> = {
  'console.css': {
    type: 'text/css; charset=utf-8',
    body: readFileSync(join(import.meta.dirname, 'assets', 'console.css')),
  },
  'console.js': {
    type: 'text/javascript; charset=utf-8',
    body: readFileSync(join(import.meta.dirname, 'assets', 'console.js')),
  },
  'favicon.svg': {
    type: 'image/svg+xml',
    body: readFileSync(join(import.meta.dirname, 'assets', 'favicon.svg')),
  },
};

export async function assetRoutes(app: FastifyInstance): Promise<void> {
  app.get('/assets/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return reply.callNotFound();
    return reply.header('cache-control', 'public, max-age=300').type(asset.type).send(asset.body);
  });
}
