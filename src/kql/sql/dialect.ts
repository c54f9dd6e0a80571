// A SQL dialect: capability flags plus per-function render templates kept as data, so another engine
// is a new folder next to duckdb/, not a rewrite of the renderer.
import type { KType } from '../ir/plan.js';

/**
 * A template: a string with {0}, {1}, … for the rendered arguments ({*} = all, comma-separated), or a
 * function of the rendered arguments for the few that need to look at them (e.g. literal patterns).
 * `args` gives the Kusto type each argument is converted to before it is substituted (dynamic values
 * are converted by the other operand's type, as Kusto does); absent = taken as is.
 */
export interface FnTemplate {
  sql: string | ((args: string[], raw: RenderedArg[]) => string);
  args?: (KType | null)[];
  /** The type every further argument is converted to (variadic functions). */
  rest?: KType | null;
  /** Why arguments a text template has no place for are not read (without it, such a call is refused). */
  ignores?: string;
}

export interface RenderedArg { sql: string; t: KType; literal: unknown; isLiteral: boolean }

export interface Dialect {
  name: string;
  caps: {
    /** SELECT … QUALIFY for window filters (innerunique joins, arg_max). */
    qualify: boolean;
    /** SEMI / ANTI JOIN keywords. */
    semiAntiJoin: boolean;
    /** unnest() in the select list for mv-expand. */
    selectUnnest: boolean;
  };
  quoteIdent(name: string): string;
  /** SQL for a literal of a Kusto type (datetime: µs since epoch; timespan: ticks; dynamic: JSON value). */
  literal(t: KType, v: unknown): string;
  /** The SQL type a Kusto type is stored as. */
  sqlType(t: KType): string;
  /** Converts SQL of type `from` into Kusto type `to` (tostring(), tolong(), dynamic → string, …). */
  convert(sql: string, from: KType, to: KType): string;
  /** Dynamic access: `base` holds JSON (or JSON text), `path` a list of members/indices. Returns JSON or a typed scalar. */
  /** `text`: the base is JSON text from a string column, which may not parse (Kusto: null, not an error). */
  /** `extracted`: SQL holding the path's string already extracted from the text (a column the store keeps), for scalar results. */
  dynPath(base: string, path: (string | number)[], as: KType | 'json', text?: boolean, extracted?: string): string;
  functions: Record<string, FnTemplate>;
  aggregates: Record<string, FnTemplate>;
}

/** For a text template: whether it has no place for some of `n` arguments (they would be dropped unread). */
export function dropsArguments(t: FnTemplate, n: number): boolean {
  if (typeof t.sql !== 'string' || t.sql.includes('{*}') || t.ignores) return false;
  let max = -1;
  for (const m of t.sql.matchAll(/\{(\d+)\}/g)) max = Math.max(max, Number(m[1]));
  return n > max + 1;
}

/** Substitutes rendered arguments into a template. */
export function applyTemplate(t: FnTemplate, args: RenderedArg[]): string {
  const sqls = args.map((a) => a.sql);
  if (typeof t.sql === 'function') return t.sql(sqls, args);
  return t.sql.replace(/\{(\d+|\*)\}/g, (_, i: string) => (i === '*' ? sqls.join(', ') : (sqls[Number(i)] ?? 'NULL')));
}
