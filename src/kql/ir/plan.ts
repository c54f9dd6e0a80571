// The IR: a plain, JSON-serializable relational plan. Produced from the typed AST by lower.ts and
// rendered to SQL by a dialect (src/kql/sql/). Every plan node carries its output columns, which are
// the binder's result columns (names and Kusto types).
import type { Column, KType } from '../frontend/ast.js';
export type { Column, KType };

export type IRExpr =
  | { e: 'col'; name: string; t: KType }
  | { e: 'lit'; t: KType; v: unknown } // datetime: µs since epoch; timespan: ticks; dynamic: JSON value
  | { e: 'fn'; f: string; args: IRExpr[]; t: KType } // a scalar function or operator of the catalog
  | { e: 'agg'; f: string; args: IRExpr[]; t: KType } // an aggregate of the catalog
  | { e: 'path'; base: IRExpr; path: (string | number)[]; t: KType } // dynamic member/element access
  | { e: 'scalar'; plan: Plan; t: KType } // toscalar(): first column of the first row
  | { e: 'inset'; left: IRExpr; plan: Plan; not: boolean; ci: boolean; t: KType; has?: boolean } // x in (tabular); has: has_any (tabular)
  // needs the serialized order; `by`: run over the partitions of the rows it numbers (restarts)
  | { e: 'win'; f: 'row_number' | 'prev' | 'next' | 'row_cumsum' | 'restart_group' | 'running_max'; args: IRExpr[]; by?: IRExpr; t: KType };

/** One `top-nested [count] of key [with others = others] by agg [asc|desc]` clause. */
export interface TopNestedLevel { key: IRExpr; agg: IRExpr; count: IRExpr | null; desc: boolean; others: IRExpr | null }

export interface SortKey { expr: IRExpr; desc: boolean; nullsFirst: boolean }

export type Plan =
  | { op: 'scan'; table: string; columns: Column[] }
  | { op: 'ref'; name: string; columns: Column[] } // a CTE from `let` / materialize
  | { op: 'values'; rows: IRExpr[][]; columns: Column[] }
  | { op: 'external'; id: number; urls: string[]; format: string; ignoreFirstRecord: boolean; mapping: string | null; columns: Column[] } // externaldata: rows fetched before the SQL runs
  | { op: 'range'; from: IRExpr; to: IRExpr; step: IRExpr; columns: Column[] }
  | { op: 'filter'; input: Plan; cond: IRExpr; columns: Column[] }
  | { op: 'project'; input: Plan; exprs: IRExpr[]; columns: Column[] } // one expr per output column
  | { op: 'aggregate'; input: Plan; keys: IRExpr[]; aggs: IRExpr[]; columns: Column[] } // columns = keys then aggs
  | { op: 'sort'; input: Plan; keys: SortKey[]; columns: Column[] }
  | { op: 'limit'; input: Plan; count: IRExpr; columns: Column[] }
  | { op: 'distinct'; input: Plan; columns: Column[] }
  // range: also left BETWEEN lo AND hi (columns of left and right; ipv4_lookup, ipv6_lookup)
  | { op: 'join'; kind: string; left: Plan; right: Plan; on: { left: IRExpr; right: IRExpr }[]; range?: { left: string; lo: string; hi: string }; columns: Column[] }
  | { op: 'union'; inputs: Plan[]; source: { name: string; labels: string[] } | null; columns: Column[] }
  | { op: 'mvexpand'; input: Plan; expand: { expr: IRExpr; name: string; t: KType }[]; itemIndex: string | null; limit: IRExpr | null; columns: Column[] }
  // mv-apply: `sub` runs once per input row on the subtable `context` (a ref): the row's columns, the expanded items, the item index
  | { op: 'mvapply'; input: Plan; expand: { expr: IRExpr; name: string; t: KType }[]; itemIndex: string | null; limit: IRExpr | null; context: string; contextColumns: Column[]; sub: Plan; columns: Column[] }
  | { op: 'window'; input: Plan; exprs: IRExpr[]; columns: Column[] } // like project, but window functions run over the input order
  | { op: 'topnested'; input: Plan; levels: TopNestedLevel[]; columns: Column[] } // columns: each level's value then its aggregate
  | { op: 'with'; ctes: { name: string; plan: Plan }[]; body: Plan; columns: Column[] };

export interface CompiledPlan { plan: Plan; columns: Column[]; render: { chart: string; params: Record<string, string> } | null }
