/**
 * Latency of DPoP-bound token requests, one at a time, against running `certmint serve`
 * targets, the requests alternating between them so the machine's moods hit each alike (not a
 * test; driven by `DPOP=N bench/ab-simultaneous.sh`). Each request has a fresh assertion (the
 * bench's signer, bench/assertions.ts) and a fresh proof (the client SDK's prover,
 * src/client/dpop.ts), both made before the clock starts; the time is the HTTP round trip only.
 *
 *   node --import tsx bench/dpop-latency.ts N NAME=URL,CLIENT_ID,KID,KEY_FILE …
 *
 * Prints per target the median, p90 and p99 in ms over N requests (after 50 unmeasured ones).
 */
import { readFileSync } from 'node:fs';
import { DpopProver } from '../src/client/dpop.ts';
import { type PoolSpec, signBodies } from './assertions.ts';

interface Target {
  name: string;
  url: string;
  /** One body at a time from the bench's own signer (bench/assertions.ts). */
  pool: PoolSpec;
  prover: DpopProver;
  ms: number[];
}

const n = Number(process.argv[2] ?? 500);
const targets: Target[] = [];
for (const spec of process.argv.slice(3)) {
  const [name, rest] = spec.split('=');
  const [url, clientId, kid, keyFile] = (rest ?? '').split(',');
  if (!name || !url || !clientId || !kid || !keyFile) throw new Error(`bad target: ${spec}`);
  const privateKeyPem = readFileSync(keyFile, 'utf8');
  targets.push({
    name,
    url,
    pool: {
      alg: 'ES256',
      keys: [{ kid, privateKeyPem, clientId }],
      audience: url,
      scope: 'restlets rest_webservices',
      lifetimeS: 300,
      count: 1,
    },
    prover: new DpopProver(true, { now: () => Date.now() }),
    ms: [],
  });
}
if (targets.length === 0) throw new Error('usage: dpop-latency.ts N NAME=URL,CLIENT_ID,KID,KEY …');

async function once(t: Target): Promise<number> {
  const [body] = signBodies(t.pool, 1, 0);
  const proof = await t.prover.proof('POST', t.url);
  const started = performance.now();
  const res = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', dpop: proof },
    body,
  });
  const answer = (await res.json()) as { token_type?: string };
  const ms = performance.now() - started;
  if (res.status !== 200 || answer.token_type !== 'DPoP') {
    throw new Error(`${t.name}: ${res.status} ${JSON.stringify(answer)}`);
  }
  return ms;
}

for (let i = 0; i < 50; i++) for (const t of targets) await once(t);
for (let i = 0; i < n; i++) for (const t of targets) t.ms.push(await once(t));

const at = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
for (const t of targets) {
  const s = [...t.ms].sort((a, b) => a - b);
  console.log(
    `${t.name}: ${n} DPoP token requests, median ${at(s, 0.5).toFixed(2)} ms, p90 ${at(s, 0.9).toFixed(2)} ms, p99 ${at(s, 0.99).toFixed(2)} ms`,
  );
}
