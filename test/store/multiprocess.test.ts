import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.ts';
import { setup } from './fixtures.ts';

const WORKER = fileURLToPath(new URL('./child/worker.ts', import.meta.url));

/** A worker process and the lines it prints, one at a time. */
class Worker {
  readonly #p: ChildProcessWithoutNullStreams;
  readonly #lines: AsyncIterator<string>;
  constructor(file: string) {
    this.#p = spawn(process.execPath, ['--import', 'tsx', WORKER, file]);
    this.#p.stderr.pipe(process.stderr);
    this.#lines = createInterface({ input: this.#p.stdout })[Symbol.asyncIterator]();
  }
  async line(): Promise<string> {
    const r = await this.#lines.next();
    if (r.done) throw new Error('worker exited early');
    return r.value;
  }
  send(command: object): void {
    this.#p.stdin.write(`${JSON.stringify(command)}\n`);
  }
  async end(): Promise<void> {
    const exited = new Promise((resolve) => this.#p.on('close', resolve));
    this.#p.stdin.end();
    await exited;
  }
}

/** Sends one command to every worker at once; all their results, flattened. */
async function everyone(workers: Worker[], command: object): Promise<unknown[]> {
  for (const w of workers) w.send(command);
  const outs = await Promise.all(workers.map((w) => w.line()));
  return outs.flatMap((o) => JSON.parse(o) as unknown[]);
}

describe('store: SQLite shared by several processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certmint-mp-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('processes that open one new file at once migrate it safely; replay and the certificate limit hold across them', async () => {
    const file = join(dir, 'shared.db');
    const workers = [new Worker(file), new Worker(file)];
    try {
      // Both processes created and migrated the same new database concurrently.
      assert.deepEqual(await Promise.all(workers.map((w) => w.line())), ['ready', 'ready']);

      const claims = await everyone(workers, { op: 'claim', key: 'k', count: 25 });
      assert.equal(claims.length, 50);
      assert.equal(claims.filter((c) => c === true).length, 1);

      const store = await openStore(file);
      const s = await setup(store, '1');
      await store.close();
      const results = await everyone(workers, {
        op: 'mappings',
        accountId: '1',
        integrationId: s.integrationIds[0],
        entityId: s.entityId,
        roleId: 3,
        count: 10,
      });
      assert.equal(results.filter((r) => r === 'created').length, 5);
      assert.equal(results.filter((r) => r === 'limit_reached').length, 15);
      const check = await openStore(file);
      assert.equal((await check.mappings.list('1')).length, 5);
      await check.close();
    } finally {
      await Promise.all(workers.map((w) => w.end()));
    }
  });
});
