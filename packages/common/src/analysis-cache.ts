/**
 * Statement analyses by text, for the region and the client alike. Only short texts are
 * kept: those are the ones applications repeat with parameters, while a long multi-row
 * insert is sent once and its analysis holds every value.
 */
import { analyzeStatement, type AnalyzedStatement } from './sql-analysis.js';
import { LruCache } from './lru-cache.js';
import { matchTemplate, shapeTemplate, templateKey, type ShapeTemplate } from './shape-templates.js';
import { statementShape, type StatementShape } from './statement-shape.js';
import type { SqlParam } from './sql-values.js';

/** A statement as it runs: its shape and the shape's parameters, or the text itself. */
export interface ShapedStatement {
  sql: string;
  params: readonly SqlParam[];
  analysis: AnalyzedStatement;
}

/** Longest statement text whose analysis is kept, in characters. */
export const ANALYSIS_CACHE_TEXT_MAX = 2_048;

/** Templates kept under one key (texts alike up to their first literal, templateKey), newest first. */
const TEMPLATES_PER_KEY_MAX = 8;

interface AnalysedTemplate extends ShapeTemplate {
  analysis: AnalyzedStatement;
}

export class AnalysisCache {
  private readonly analyses: LruCache<string, AnalyzedStatement>;
  private readonly templates: LruCache<string, AnalysedTemplate[]>;
  /**
   * Templates kept in all keys, at most `templatesMax` (the analyses' capacity): each
   * holds an analysis, and the analyses' own bound must not be outgrown through them.
   */
  private templatesKept = 0;
  private readonly templatesMax: number;
  /** Texts shaped by a template rather than by the full shaping (the tests read it). */
  templateHits = 0;
  /**
   * The template the last literal text matched, tried first: a client repeating one
   * statement with other values matches it without its key being cut and looked up
   * (any template that matches gives the text's shape, whatever its key).
   */
  private lastMatched: AnalysedTemplate | undefined;

  constructor(capacity: number) {
    this.analyses = new LruCache(capacity);
    this.templates = new LruCache(capacity);
    this.templatesMax = capacity;
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
    // Literal texts come with no parameters of their own: first try the templates of
    // texts alike up to their first literal (shape-templates.ts).
    const last = this.lastMatched;
    if (last !== undefined && params.length === 0) {
      const lifted = matchTemplate(last, sql);
      if (lifted !== null) return this.fromTemplate(last, lifted);
    }
    const key = params.length === 0 ? templateKey(sql) : sql;
    const candidates = key.length < sql.length ? this.templates.get(key) : undefined;
    if (candidates !== undefined) {
      for (const template of candidates) {
        const lifted = matchTemplate(template, sql);
        if (lifted !== null) {
          this.lastMatched = template;
          return this.fromTemplate(template, lifted);
        }
      }
    }
    const shape = statementShape(sql, params);
    if (shape !== null) {
      let analysis: AnalyzedStatement | undefined;
      try {
        analysis = this.analyze(shape.sql);
      } catch {
        // the text's own analysis below reports the error, at positions in the text sent
      }
      if (analysis !== undefined) {
        if (key.length < sql.length) this.keepTemplate(sql, shape, analysis, candidates);
        return { sql: shape.sql, params: shape.params, analysis };
      }
    }
    return { sql, params, analysis: this.analyze(sql) };
  }

  private fromTemplate(template: AnalysedTemplate, params: SqlParam[]): ShapedStatement {
    this.templateHits += 1;
    return { sql: template.sql, params, analysis: template.analysis };
  }

  /** Templates kept now, in all keys. */
  get templateCount(): number {
    let count = 0;
    for (const list of this.templates.values()) count += list.length;
    return count;
  }

  private keepTemplate(sql: string, shape: StatementShape, analysis: AnalyzedStatement, kept: AnalysedTemplate[] | undefined): void {
    const template = shapeTemplate(sql, shape);
    if (template === null) return;
    const list = [{ ...template, analysis }, ...(kept ?? [])].slice(0, TEMPLATES_PER_KEY_MAX);
    const evicted = this.templates.set(template.key, list);
    this.templatesKept += list.length - (kept?.length ?? 0) - (evicted?.length ?? 0);
    while (this.templatesKept > this.templatesMax) this.templatesKept -= this.templates.removeOldest()?.length ?? this.templatesKept;
  }
}
