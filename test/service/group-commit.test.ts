/**
 * GroupCommit: what is submitted in one turn is written in one call, each caller gets its own
 * result, a failed write rejects exactly its batch, at most `maxInFlight` writes run at once,
 * and drain waits for everything submitted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GroupCommit } from '../../src/service/group-commit.ts';

/** A write whose batches the test settles by hand. */
function manualWrite() {
  const calls: Array<{ items: number[]; settle: (fail?: Error) => void }> = [];
  let started: () => void = () => undefined;
  const write = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      calls.push({
        items,
        settle: (fail) => (fail ? reject(fail) : resolve(items.map((i) => i * 10))),
      });
      started();
    });
  const nextCall = () => new Promise<void>((r) => (started = r));
  return { calls, write, nextCall };
}

describe('GroupCommit', () => {
  it('one write per turn, one result per caller, in order', async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i + 1);
    });
    const first = await Promise.all([g.submit(1), g.submit(2), g.submit(3)]);
    assert.deepEqual(first, [2, 3, 4]);
    assert.deepEqual(await g.submit(7), 8);
    assert.deepEqual(batches, [[1, 2, 3], [7]]);
  });

  it('a failed write rejects its own batch only', async () => {
    let n = 0;
    const g = new GroupCommit<number, number>(async (items) => {
      n += 1;
      if (n === 1) throw new Error('disk full');
      return items;
    });
    const failed = [g.submit(1), g.submit(2)];
    await Promise.all(failed.map((p) => assert.rejects(p, /disk full/)));
    assert.equal(await g.submit(3), 3);
  });

  it('at most maxInFlight writes at once; what waits goes in the next batch', async () => {
    const m = manualWrite();
    const g = new GroupCommit<number, number>(m.write, 500, 2);
    let started = m.nextCall();
    const a = g.submit(1);
    await started;
    started = m.nextCall();
    const b = g.submit(2);
    await started;
    const c = g.submit(3);
    const d = g.submit(4);
    await new Promise((r) => setImmediate(r));
    assert.equal(m.calls.length, 2, 'two writes in flight, the third waits');
    started = m.nextCall();
    m.calls[0]?.settle();
    await started;
    assert.deepEqual(
      m.calls.map((x) => x.items),
      [[1], [2], [3, 4]],
    );
    m.calls[1]?.settle();
    m.calls[2]?.settle();
    assert.deepEqual(await Promise.all([a, b, c, d]), [10, 20, 30, 40]);
  });

  it('while a batch is in flight, another starts only once busyBatch items wait', async () => {
    const m = manualWrite();
    const g = new GroupCommit<number, number>(m.write, 500, 2, 3);
    let started = m.nextCall();
    const a = g.submit(1);
    await started;
    const waiting = [g.submit(2), g.submit(3)];
    await new Promise((r) => setImmediate(r));
    assert.equal(m.calls.length, 1, 'two waiting items do not start a second batch');
    started = m.nextCall();
    waiting.push(g.submit(4));
    await started;
    assert.deepEqual(
      m.calls.map((x) => x.items),
      [[1], [2, 3, 4]],
    );
    started = m.nextCall();
    const e = g.submit(5);
    m.calls[0]?.settle();
    m.calls[1]?.settle();
    await started;
    assert.deepEqual(m.calls[2]?.items, [5], 'nothing in flight: one item is a batch');
    m.calls[2]?.settle();
    assert.deepEqual(await Promise.all([a, ...waiting, e]), [10, 20, 30, 40, 50]);
  });

  it('drain resolves once everything submitted is written', async () => {
    const m = manualWrite();
    const g = new GroupCommit<number, number>(m.write);
    const started = m.nextCall();
    const p = g.submit(5);
    let drained = false;
    const drain = g.drain().then(() => {
      drained = true;
    });
    await started;
    await new Promise((r) => setImmediate(r));
    assert.equal(drained, false);
    m.calls[0]?.settle();
    await drain;
    assert.equal(await p, 50);
    await g.drain();
  });
});
