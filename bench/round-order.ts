/**
 * The order of the targets in each round of `npm run bench`: odd rounds run the list forwards,
 * even rounds backwards, and each pair of rounds starts one target later. So every two rounds
 * run each pair of targets in both orders, and no target always follows the same neighbour: a
 * run's after-work (a GC, a checkpoint, expiring cache entries) would otherwise land on the same
 * next target every round, and a pair measured back to back (certmint, then certmint-100k) would
 * always share the machine's swings in the same order.
 */
export function roundOrder<T>(targets: readonly T[], round: number): T[] {
  const list = round % 2 === 0 ? [...targets].reverse() : [...targets];
  const shift = Math.floor((round - 1) / 2) % Math.max(1, list.length);
  return [...list.slice(shift), ...list.slice(0, shift)];
}
