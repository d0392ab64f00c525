/**
 * Statement analyses by text, for the region and the client alike. Only short texts are
 * kept: those are the ones applications repeat with parameters, while a long multi-row
 * insert is sent once and its analysis holds every value.
 */
import { analyzeStatement, type AnalyzedStatement } from './sql-analysis.js';
import { LruCache } from './lru-cache.js';
import { statementShape } from './statement-shape.js';
import type { SqlParam } from './sql-values.js';

/** A statement as it runs: its shape and the shape's parameters, or the text itself. */
export interface ShapedStatement {
  sql: string;
  params: readonly SqlParam[];
  analysis: AnalyzedStatement;
}

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

  /**
   * The statement's shape (literals lifted into parameters, statement-shape.ts) with its
   * analysis, so every text of one shape is analysed once; the text itself when it has no
   * shape, or when the shape does not analyse (the text's own analysis then reports the
   * error, at positions in the text the user sent). Throws a MiniSqlError.
   */
  shaped(sql: string, params: readonly SqlParam[]): ShapedStatement {
    const shape = statementShape(sql, params);
    if (shape !== null) {
      try {
        return { sql: shape.sql, params: shape.params, analysis: this.analyze(shape.sql) };
      } catch {
        // fall through to the text's own analysis and its error
      }
    }
    return { sql, params, analysis: this.analyze(sql) };
  }
}
