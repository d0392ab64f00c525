/**
 * Random choices for nemeses, all drawn from an injected source so that a seeded test
 * picks the same victims and the same partitions every time it runs.
 */

/** Uniform in [0, 1): the same shape as the generators' `random`, seeded by the runner. */
export type Random = () => number;

/** A uniformly chosen index in [0, count). */
export function randomIndex(count: number, random: Random): number {
  if (!Number.isInteger(count) || count <= 0) throw new RangeError(`randomIndex needs a positive count, not ${count}`);
  const draw = random();
  if (!(draw >= 0 && draw < 1)) throw new RangeError(`random source returned ${draw}, outside [0, 1)`);
  return Math.floor(draw * count);
}

/** A new array with the items in a uniformly random order (Fisher-Yates). */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const result = [...items];
  for (let last = result.length - 1; last > 0; last--) {
    const swap = randomIndex(last + 1, random);
    [result[last], result[swap]] = [result[swap] as T, result[last] as T];
  }
  return result;
}

/** One item chosen uniformly; the list must not be empty. */
export function pickOne<T>(items: readonly T[], random: Random): T {
  return items[randomIndex(items.length, random)] as T;
}

/** A uniformly sized, non-empty random subset, in random order (Jepsen's random-nonempty-subset). */
export function randomNonemptySubset<T>(items: readonly T[], random: Random): T[] {
  if (items.length === 0) return [];
  return shuffled(items, random).slice(0, 1 + randomIndex(items.length, random));
}
