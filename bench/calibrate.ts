/**
 * Is the load generator fast enough? Both candidate generators fire token-sized bodies at a
 * trivial server (its own process) with the same connection count: the rate reached there is the
 * generator's ceiling, and it must sit well above the floor's throughput or the comparison would
 * measure the generator.
 */
import autocannon from 'autocannon';
import { startChild } from './children.ts';
import { runLoad } from './load-client.ts';

export interface Calibration {
  customRps: number;
  autocannonRps: number;
}

const TRIVIAL = new URL('./servers/trivial.ts', import.meta.url);

/** Distinct bodies of a typical token request's size (~700 bytes). */
function bodies(n: number): string[] {
  const pad = 'x'.repeat(640);
  return Array.from(
    { length: n },
    (_, i) => `grant_type=client_credentials&client_assertion=${pad}${i}`,
  );
}

export async function calibrate(connections: number, seconds: number): Promise<Calibration> {
  const server = await startChild('trivial', TRIVIAL);
  try {
    const pool = bodies(200_000);
    let i = 0;
    const next = () => pool[i++ % pool.length];
    // Warm the trivial server first, so neither generator meets it cold (JIT, socket buffers).
    await runLoad({ port: server.port, path: '/token' }, { connections, durationMs: 1000, next });
    const custom = await runLoad(
      { port: server.port, path: '/token' },
      { connections, durationMs: seconds * 1000, next },
    );
    let j = 0;
    const ac = await autocannon({
      url: `http://127.0.0.1:${server.port}/token`,
      connections,
      duration: seconds,
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      requests: [
        {
          // A fresh body per request, as the real runs need (never-reused assertions).
          setupRequest: (req) => ({ ...req, body: pool[j++ % pool.length] }),
        },
      ],
    });
    return { customRps: custom.rps, autocannonRps: ac.requests.average };
  } finally {
    await server.stop();
  }
}
