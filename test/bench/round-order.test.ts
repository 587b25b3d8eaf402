/**
 * The bench's round order (bench/round-order.ts): every round runs every target once, every two
 * rounds run each pair of targets in both orders, and each target starts a round in turn.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { roundOrder } from '../../bench/round-order.ts';

const targets = ['floor', 'oidc-provider', 'certmint', 'certmint-100k'];

it('each round runs every target once; round 1 in the given order', () => {
  assert.deepEqual(roundOrder(targets, 1), targets);
  for (let r = 1; r <= 6; r++)
    assert.deepEqual([...roundOrder(targets, r)].sort(), [...targets].sort());
});

it('over three rounds each pair runs in both orders (certmint-100k before and after certmint)', () => {
  const rounds = [1, 2, 3].map((r) => roundOrder(targets, r));
  for (const a of targets) {
    for (const b of targets) {
      if (a === b) continue;
      assert.ok(
        rounds.some((o) => o.indexOf(a) < o.indexOf(b)),
        `${a} never runs before ${b}`,
      );
    }
  }
  const next = (o: string[], t: string) => o[o.indexOf(t) + 1];
  assert.ok(rounds.some((o) => next(o, 'certmint') === 'certmint-100k'));
  assert.ok(rounds.some((o) => next(o, 'certmint-100k') === 'certmint'));
});

it('each target starts a round in turn', () => {
  const firsts = [1, 2, 3, 4].map((r) => roundOrder(targets, r)[0]);
  assert.deepEqual([...firsts].sort(), [...targets].sort());
});

it('no targets, one target', () => {
  assert.deepEqual(roundOrder([], 2), []);
  assert.deepEqual(roundOrder(['floor'], 3), ['floor']);
});
