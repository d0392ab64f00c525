/**
 * The contract of the search algorithms (linear, wgl) with their driver: a search is a
 * resumable state machine that advances by a bounded amount of work per call. The driver
 * checks the clock between calls, and the competition interleaves two searches in one
 * thread and simply stops calling the loser. No search ever blocks for longer than its
 * slice, so a time limit always turns into `unknown` promptly.
 */

export type SearchAlgorithm = 'linear' | 'wgl';

/** A configuration where a search was when it found it could go no further. */
export interface FrontierConfig {
  /** The model state id (in the search's ModelMemo). */
  readonly state: number;
  /** The ops linearized, as a bitset over op ids (32 per word). */
  readonly linearized: Uint32Array;
}

export type SearchOutcome =
  | { readonly kind: 'valid'; readonly analyzer: SearchAlgorithm }
  | {
      readonly kind: 'invalid';
      readonly analyzer: SearchAlgorithm;
      /** The id of the required op that no configuration could linearize. */
      readonly failingOp: number;
      /** Some configurations that linearized every op completing before it. */
      readonly frontier: readonly FrontierConfig[];
    }
  | { readonly kind: 'unknown'; readonly analyzer: SearchAlgorithm | 'competition'; readonly reason: string };

export interface LinearizationSearch {
  readonly algorithm: SearchAlgorithm | 'competition';
  /** Does at most about `workMax` units of work; the outcome once there is one. */
  advance(workMax: number): SearchOutcome | undefined;
  /** Configurations explored or held so far, for reports. */
  readonly configCount: number;
}

/** Configurations kept for the failure report; more add nothing a reader can use. */
export const FRONTIER_CONFIGS_MAX = 32;

/** Approximate bytes one configuration of `wordCount` words costs in a ConfigTable. */
export function configBytes(wordCount: number): number {
  // Words, state and hash per entry, two slots per entry, and growth slack of one half.
  return Math.ceil((wordCount * 4 + 4 + 4 + 8) * 1.5);
}
