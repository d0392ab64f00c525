/**
 * A seeded source of uniform numbers in [0, 1) (mulberry32): every random choice of a
 * test (values, threads, keys, fault targets, partitions) comes from one, so a run's
 * seed, printed in its log, says what it chose.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
