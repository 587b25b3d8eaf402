/**
 * Pre-signed token requests: every body carries its own client assertion (fresh jti), so no
 * body is ever sent twice and a correct replay check never trips. Signing happens before each
 * measured run, in worker threads, so its cost is never inside the measured window.
 *
 * Signed with node:crypto directly (ES256: IEEE P1363 r||s, RFC 7518 §3.4; PS256: PSS with a
 * 32-byte salt, RFC 7518 §3.5) — a JOSE library would only add overhead to the preparation.
 */
import { constants, createPrivateKey, randomUUID, sign } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { BenchAlg } from './options.ts';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface AssertionKey {
  /** Header `kid`: the certificate id for certmint, the JWKS kid for the peer. */
  kid: string;
  /** PKCS#8 PEM; stays inside this process and its workers. */
  privateKeyPem: string;
  /** `iss` and `sub`: the client id. */
  clientId: string;
}

export interface PoolSpec {
  alg: BenchAlg;
  /** Requests are spread round-robin over these keys. */
  keys: AssertionKey[];
  /** `aud`: the token endpoint URL. */
  audience: string;
  /** The `scope` form parameter. */
  scope: string;
  /** exp − iat in seconds (≤ 3600: certmint refuses longer assertions). */
  lifetimeS: number;
  count: number;
}

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/** Signs `count` bodies starting at key index `offset` (runs in a worker or in-process). */
export function signBodies(spec: PoolSpec, count: number, offset: number): string[] {
  const keys = spec.keys.map((k) => ({
    ...k,
    key: createPrivateKey(k.privateKeyPem),
    header: b64(JSON.stringify({ alg: spec.alg, typ: 'JWT', kid: k.kid })),
  }));
  const iat = Math.floor(Date.now() / 1000);
  const out: string[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const k = keys[(offset + i) % keys.length];
    if (!k) throw new Error('no signing keys');
    const payload = b64(
      JSON.stringify({
        iss: k.clientId,
        sub: k.clientId,
        aud: spec.audience,
        iat,
        exp: iat + spec.lifetimeS,
        jti: randomUUID(),
      }),
    );
    const input = `${k.header}.${payload}`;
    const sig =
      spec.alg === 'ES256'
        ? sign('sha256', Buffer.from(input), { key: k.key, dsaEncoding: 'ieee-p1363' })
        : sign('sha256', Buffer.from(input), {
            key: k.key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: 32,
          });
    // base64url needs no form escaping; only the scope might.
    out[i] =
      `grant_type=client_credentials&client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}` +
      `&client_assertion=${input}.${sig.toString('base64url')}&scope=${encodeURIComponent(spec.scope)}`;
  }
  return out;
}

const WORKER = new URL('./sign-worker.ts', import.meta.url);
const WORKER_BOOT = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(WORKER.href)}); })`;

/** Signs the pool on every core (nothing is measured meanwhile). */
export async function signPool(spec: PoolSpec): Promise<string[]> {
  const workers = Math.max(1, Math.min(availableParallelism(), 8));
  const per = Math.ceil(spec.count / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const count = Math.max(0, Math.min(per, spec.count - w * per));
      return new Promise<string[]>((resolve, reject) => {
        // Node 20 workers do not get the parent's `--import tsx` loader hooks: the worker starts
        // as a one-line script that registers tsx in its own thread, then loads the module.
        const worker = new Worker(WORKER_BOOT, {
          eval: true,
          workerData: { spec, count, offset: w * per },
        });
        worker.once('message', (bodies: string[]) => resolve(bodies));
        worker.once('error', reject);
        worker.once('exit', (code) => {
          if (code !== 0) reject(new Error(`signing worker exited with ${code}`));
        });
      });
    }),
  );
  return parts.flat();
}

/** A cursor over a pool: each body is handed out once, then dropped so it can be collected. */
export function cursor(bodies: string[]): () => string | undefined {
  let i = 0;
  return () => {
    if (i >= bodies.length) return undefined;
    const body = bodies[i];
    bodies[i++] = '';
    return body;
  };
}
