/**
 * Statement analyses by text, for the region and the client alike. Only short texts are
 * kept: those are the ones applications repeat with parameters, while a long multi-row
 * insert is sent once and its analysis holds every value.
 */
import { analyzeStatement, type AnalyzedStatement } from './sql-analysis.js';
import { LruCache } from './lru-cache.js';

/** Longest statement text whose analysis is kept, in characters. */
export const ANALYSIS_CACHE_TEXT_MAX = 2_048;

export class AnalysisCache {
  private readonly analyses: LruCache<string, AnalyzedStatement>;

  constructor(capacity: number) {
    this.analyses = new LruCache(capacity);
  }

  /** The analysis of `sql`, from the cache when it is there. Throws a MiniSqlError. */
  analyze(sql: string): AnalyzedStatement {
    let analysis = this.analyses.get(sql);
    if (analysis === undefined) {
      analysis = analyzeStatement(sql);
      if (sql.length <= ANALYSIS_CACHE_TEXT_MAX) this.analyses.set(sql, analysis);
    }
    return analysis;
  }
}
