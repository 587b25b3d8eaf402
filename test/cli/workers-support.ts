/**
 * Tools of the `certmint serve --workers` process tests: which workers answered (from the
 * server's debug log: every worker's lines carry its id), the audited refusals, and the exact
 * answers every worker must give.
 */
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/ports.ts';
import { ACCOUNT, type Answer, type Server } from '../fault/support.ts';
import { eventually } from '../support/wait.ts';

/** The worker ids of the debug `request` lines for `path` logged after `from` (an output offset). */
function workersAnswering(output: string, from: number, path: string): Set<number> {
  const ids = new Set<number>();
  for (const line of output.slice(from).split('\n')) {
    if (!line.startsWith('{')) continue;
    const l = JSON.parse(line) as { msg?: string; path?: string; worker?: number };
    if (l.msg === 'request' && l.path === path && l.worker !== undefined) ids.add(l.worker);
  }
  return ids;
}

/** Waits until the server has logged `count` requests for `path` since `from`; their workers. */
export async function answeredBy(server: Server, from: number, path: string, count: number) {
  const lines = () =>
    server
      .output()
      .slice(from)
      .split('\n')
      .filter((l) => l.includes('"msg":"request"') && l.includes(`"path":"${path}"`)).length;
  await eventually(`${count} requests for ${path} are logged`, () => lines() >= count);
  return workersAnswering(server.output(), from, path);
}

export const times = <T>(n: number, f: () => Promise<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: n }, f));

/** The token endpoint's refusal of a client (RFC 6749 §5.2): 401 invalid_client, no detail. */
export function assertInvalidClient(a: Answer | null): void {
  assert.equal(a?.status, 401, a?.body);
  assert.equal(a?.body, '{"error":"invalid_client"}');
  assert.equal(a?.headers.get('www-authenticate'), `Basic realm="${ACCOUNT}"`);
  assert.equal(a?.headers.get('cache-control'), 'no-store');
}

/** Token failures with `detail` in the audit trail (identical refusals fold into one row). */
export async function audited(store: Store, detail: string): Promise<number> {
  const events = await store.audit.list({
    accountId: ACCOUNT,
    type: 'token',
    result: 'failure',
    limit: 1000,
  });
  return events.filter((e) => e.detail === detail).reduce((n, e) => n + (e.count ?? 1), 0);
}

export const WORKERS_ARGS = ['--workers', '2', '--log-level', 'debug'];

/** `{"msg":"<msg>"…}` lines of the output, parsed. */
export function logLines(output: string, msg: string): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.msg === msg || (typeof l.msg === 'string' && l.msg.startsWith(msg)));
}

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
