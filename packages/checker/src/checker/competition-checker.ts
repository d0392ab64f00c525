/**
 * Knossos's "competition": linear and WGL race on the same history and the first answer
 * wins. Each is better on some histories (WGL when a linearization is easy to find; linear
 * when crashed ops multiply the orders WGL must try), and neither is better on all.
 *
 * The two run interleaved in one thread, in equal slices of work, rather than in worker
 * threads: a worker costs tens of milliseconds to start and the history must be copied
 * into it, which is more than most per-key checks take; the model memo is shared, so work
 * one search does computing steps the other reuses; the loser is stopped by no longer
 * calling it, at once and deterministically; and on the shared two-core machine a second
 * thread would mostly compete with the test itself. The price is that a race costs up to
 * twice the winner's time, never more.
 */
import type { LinearizationSearch, SearchOutcome } from './linearization-search.js';

export class CompetitionSearch implements LinearizationSearch {
  readonly algorithm = 'competition' as const;
  /** Searches still running; one that gave up (memory) leaves the race. */
  private readonly running: LinearizationSearch[];
  private readonly givenUp: string[] = [];
  private outcome: SearchOutcome | undefined;

  constructor(searches: readonly LinearizationSearch[]) {
    this.running = [...searches];
  }

  get configCount(): number {
    return this.running.reduce((sum, search) => sum + search.configCount, 0);
  }

  advance(workMax: number): SearchOutcome | undefined {
    if (this.outcome) return this.outcome;
    const slice = Math.max(1, Math.floor(workMax / Math.max(1, this.running.length)));
    for (let i = 0; i < this.running.length; i++) {
      const search = this.running[i] as LinearizationSearch;
      const outcome = search.advance(slice);
      if (outcome === undefined) continue;
      if (outcome.kind !== 'unknown') {
        this.outcome = outcome;
        return outcome;
      }
      this.givenUp.push(`${outcome.analyzer}: ${outcome.reason}`);
      this.running.splice(i, 1);
      i--;
    }
    if (this.running.length === 0) {
      this.outcome = { kind: 'unknown', analyzer: 'competition', reason: this.givenUp.join('; ') };
    }
    return this.outcome;
  }
}
