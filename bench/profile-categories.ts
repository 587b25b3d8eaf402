/**
 * Where the CPU time of a token request goes, by kind of work: a V8 `.cpuprofile` (certmint's
 * or the floor's, under `node --cpu-prof` and wrk) cut to the measured window (from the first
 * assertion verification on), self time summed per category and scaled to a per-request CPU
 * cost measured WITHOUT the profiler (its overhead and the scheduler's noise would inflate it).
 *   node --import tsx bench/profile-categories.ts FILE.cpuprofile MICROSECONDS_PER_REQUEST
 * MICROSECONDS_PER_REQUEST = 1e6 / (req per CPU-second of the same code, from the yardstick).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

type Rule = [string, (fn: string, url: string) => boolean];

const NET_FRAMES = new Set([
  'writev',
  'writeUtf8String',
  'writeBuffer',
  'writeLatin1String',
  'onStreamRead',
  'execute',
  'parserOnHeadersComplete',
]);
const BUILTIN_FRAMES = new Set(['parse', 'stringify', 'decode', 'toString', 'slice', 'from']);

/** First match wins. */
export const CATEGORIES: Rule[] = [
  ['crypto: verify the assertion (ES256)', (f) => f === 'verifyOneShot'],
  ['crypto: sign the access token (ES256)', (f) => f === 'signOneShot'],
  ['SQLite (better-sqlite3, driver, commit)', (_f, u) => /better-sqlite3|store\/sqlite/.test(u)],
  ['Kysely, store adapters, ledger', (_f, u) => /vendor\/kysely|store\/kysely|\/kysely\//.test(u)],
  ['pg client', (_f, u) => /node_modules\/(pg|pg-protocol|pg-pool|pg-types)\//.test(u)],
  [
    'Fastify (router, hooks, serializers)',
    (_f, u) =>
      /fastify|find-my-way|avvio|fast-json|ajv|content-type|secure-json|toad-cache/.test(u),
  ],
  [
    'certmint code (token service, domain, routes)',
    (_f, u) => /\/(src|dist)\/(service|domain|crypto|http|store)\//.test(u),
  ],
  [
    'node:http parser, sockets',
    (f, u) => /_http|node:net|stream|node:events|internal\/timers/.test(u) || NET_FRAMES.has(f),
  ],
  [
    'URL/form/JSON/base64 built-ins',
    (f, u) => /node:internal\/url|node:buffer|querystring/.test(u) || BUILTIN_FRAMES.has(f),
  ],
  ['garbage collector', (f) => f === '(garbage collector)'],
  [
    'promises, microtasks, async hooks',
    (f, u) =>
      /task_queues|async_hooks|promise/.test(u) || f === 'runMicrotasks' || f === '(program)',
  ],
];

export function categorize(p: Profile): Map<string, number> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const firstVerify = new Set(
    p.nodes.filter((n) => n.callFrame.functionName === 'verifyOneShot').map((n) => n.id),
  );
  const start = Math.max(
    0,
    p.samples.findIndex((id) => firstVerify.has(id)),
  );
  const out = new Map<string, number>([...CATEGORIES.map(([n]) => [n, 0] as const), ['other', 0]]);
  for (let i = start; i < p.samples.length; i++) {
    const node = byId.get(p.samples[i] ?? -1);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const { functionName: f, url: u } = node.callFrame;
    const name = CATEGORIES.find(([, match]) => match(f, u))?.[0] ?? 'other';
    out.set(name, (out.get(name) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, perRequest] = process.argv.slice(2);
  if (!file || !perRequest) {
    console.error('usage: profile-categories.ts FILE.cpuprofile MICROSECONDS_PER_REQUEST');
    process.exit(2);
  }
  const totals = categorize(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = [...totals.values()].reduce((a, b) => a + b, 0);
  for (const [name, t] of totals) {
    const us = (t / busy) * Number(perRequest);
    console.log(
      `${us.toFixed(1).padStart(6)} µs ${((100 * t) / busy).toFixed(1).padStart(5)} %  ${name}`,
    );
  }
}
