// The project's own typed AST for KQL: produced once from the bound Kusto syntax tree
// (src/kql/frontend/convert.ts). Node kinds are named as Kusto.Language names them.

/** Kusto scalar type names as the binder reports them. */
export type KType = 'bool' | 'int' | 'long' | 'real' | 'decimal' | 'string' | 'datetime' | 'timespan' | 'dynamic' | 'guid' | 'type' | 'unknown';

export interface Column { name: string; type: KType }

/** A source position (offset and length in the query text) for diagnostics. */
export interface Span { start: number; length: number }

export type Expr =
  | { kind: 'Literal'; type: KType; value: unknown; span: Span } // datetime: µs since epoch; timespan: ticks (100 ns); dynamic: JSON value
  | { kind: 'ColumnRef'; name: string; type: KType; span: Span }
  | { kind: 'VariableRef'; name: string; type: KType; span: Span }
  | { kind: 'Binary'; op: string; left: Expr; right: Expr; type: KType; span: Span } // op = Kusto's syntax kind, e.g. EqualExpression
  | { kind: 'Unary'; op: string; operand: Expr; type: KType; span: Span }
  | { kind: 'In'; op: string; left: Expr; values: Expr[]; table: Query | null; type: KType; span: Span } // op: InExpression, NotInExpression, InCsExpression...
  | { kind: 'Between'; not: boolean; left: Expr; low: Expr; high: Expr; type: KType; span: Span }
  | { kind: 'Call'; name: string; args: Expr[]; aggregate: boolean; user: UserFunction | null; type: KType; span: Span }
  | { kind: 'Star'; type: KType; span: Span }
  | { kind: 'Path'; target: Expr; member: string; type: KType; span: Span }
  | { kind: 'Element'; target: Expr; index: Expr; type: KType; span: Span }
  | { kind: 'ToScalar'; query: Query; type: KType; span: Span }
  | { kind: 'Tabular'; query: Query; type: KType; span: Span } // a table passed as a function argument
  | { kind: 'Named'; names: string[]; expr: Expr; type: KType; span: Span } // name = expr, (a, b) = expr
  | { kind: 'Ordered'; expr: Expr; desc: boolean | null; nullsFirst: boolean | null; type: KType; span: Span };

export interface UserFunction { name: string; params: { name: string; type: KType | 'table'; default: Expr | null }[]; body: Query | Expr; lets: LetBinding[] }

export interface LetBinding { name: string; value: { kind: 'scalar'; expr: Expr } | { kind: 'tabular'; query: Query; materialize: boolean } | { kind: 'function'; fn: UserFunction } }

/** A tabular expression: a source followed by operators. `schema` = the binder's result columns after each step. */
export type Query =
  | { kind: 'TableRef'; name: string; schema: Column[]; span: Span }
  | { kind: 'LetRef'; name: string; schema: Column[]; span: Span }
  | { kind: 'DataTable'; columns: Column[]; values: Expr[]; schema: Column[]; span: Span }
  | { kind: 'Print'; exprs: Expr[]; schema: Column[]; span: Span }
  | { kind: 'ExternalData'; columns: Column[]; urls: string[]; params: Record<string, string>; schema: Column[]; span: Span }
  | { kind: 'Search'; tables: Query[] | null; caseSensitive: boolean; pred: SearchPred | null; schema: Column[]; span: Span } // tables null: every table
  | { kind: 'Range'; name: string; from: Expr; to: Expr; step: Expr; schema: Column[]; span: Span }
  | { kind: 'Union'; sources: Query[]; params: Record<string, string>; schema: Column[]; span: Span }
  | { kind: 'Call'; call: Expr; schema: Column[]; span: Span } // a user function returning a table
  | { kind: 'Context'; schema: Column[]; span: Span } // the implicit input of a subquery (mv-apply's per-row subtable)
  | { kind: 'Pipe'; source: Query; op: Operator; schema: Column[]; span: Span };

export type Operator =
  | { kind: 'FilterOperator'; condition: Expr }
  | { kind: 'ExtendOperator'; exprs: Expr[] }
  | { kind: 'ProjectOperator'; exprs: Expr[] }
  | { kind: 'ProjectAwayOperator'; patterns: string[] }
  | { kind: 'ProjectKeepOperator'; patterns: string[] }
  | { kind: 'ProjectRenameOperator'; renames: { name: string; from: string }[] }
  | { kind: 'ProjectReorderOperator'; patterns: { pattern: string; desc: boolean | null }[] }
  | { kind: 'SummarizeOperator'; aggregates: Expr[]; by: Expr[] }
  | { kind: 'DistinctOperator'; exprs: Expr[] }
  | { kind: 'SortOperator'; exprs: Expr[] }
  | { kind: 'TopOperator'; count: Expr; by: Expr }
  | { kind: 'TakeOperator'; count: Expr; random?: boolean }
  | { kind: 'CountOperator' }
  | { kind: 'JoinOperator'; joinKind: string; right: Query; on: Expr[] }
  | { kind: 'LookupOperator'; joinKind: string; right: Query; on: Expr[] }
  | { kind: 'UnionOperator'; sources: Query[]; params: Record<string, string> }
  | { kind: 'MvExpandOperator'; exprs: { expr: Expr; name: string | null; toType: KType | null }[]; itemIndex: string | null; limit: Expr | null }
  | { kind: 'SerializeOperator'; exprs: Expr[] }
  | { kind: 'AsOperator'; name: string }
  | { kind: 'RenderOperator'; chart: string; params: Record<string, string> }
  | { kind: 'InvokeOperator'; call: Expr }
  | { kind: 'ParseOperator'; kindName: string; /** kind=regex flags (U, m, s, i) */ flags: string; source: Expr; pattern: ParsePart[]; where: boolean }
  | { kind: 'EvaluateOperator'; plugin: string; args: Expr[]; schema: EvaluateSchema | null; insertAt: number }
  | { kind: 'SearchOperator'; caseSensitive: boolean; pred: SearchPred | null }
  | { kind: 'ParseKvOperator'; source: Expr; keys: Column[]; params: Record<string, string> }
  | { kind: 'MvApplyOperator'; exprs: { expr: Expr; name: string | null; toType: KType | null }[]; itemIndex: string | null; limit: Expr | null; sub: Query }
  | { kind: 'MakeSeriesOperator'; aggregates: { expr: Expr; default: Expr | null }[]; on: Expr; from: Expr | null; to: Expr | null; step: Expr; by: Expr[] }
  | { kind: 'TopNestedOperator'; clauses: { count: Expr | null; of: Expr; withOthers: Expr | null; by: Expr; desc: boolean }[] };

/** A search predicate: terms ("x", "x*", Col:"x") combined with and/or/not, or an ordinary condition. */
export type SearchPred =
  | { kind: 'term'; text: string; column: string | null }
  | { kind: 'and' | 'or'; left: SearchPred; right: SearchPred }
  | { kind: 'not'; operand: SearchPred }
  | { kind: 'expr'; expr: Expr };

/** `evaluate plugin(…) : (*, a:long)`: the output schema written after a plugin call (names as written). */
export interface EvaluateSchema { star: boolean; names: string[] }

export type ParsePart = { kind: 'star' } | { kind: 'text'; text: string } | { kind: 'column'; name: string; type: KType; regex: string | null };

export interface Script { lets: LetBinding[]; query: Query; render: { chart: string; params: Record<string, string> } | null }

export class Unsupported extends Error {
  constructor(readonly feature: string, readonly span: Span) {
    super(`unsupported: ${feature}`);
  }
}

/** A query the binder accepts but Kusto would refuse when it runs (e.g. datetime(garbage)): a diagnostic, not a result. */
export class InvalidQuery extends Error {
  constructor(message: string, readonly span: Span) {
    super(message);
  }
}
