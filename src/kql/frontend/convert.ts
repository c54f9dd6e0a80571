// Converts the bound Kusto syntax tree into the project's typed AST, once. Every construct we do not
// support yet throws Unsupported naming it (the caller turns it into a diagnostic).
import { kusto, type Bridged } from './kusto.js';
import { Unsupported, InvalidQuery, type Column, type Expr, type KType, type LetBinding, type Operator, type ParsePart, type Query, type Script, type SearchPred, type Span, type UserFunction } from './ast.js';

let SK: Bridged = null;
let SystemNs: Bridged = null;
// Bridge.NET's Enum.toString scans the enum's members on every call: names are cached by value
const kindNames = new Map<number, string>();
function kindName(n: Bridged): string {
  const k = n.Kind as number;
  const hit = kindNames.get(k);
  if (hit !== undefined) return hit;
  if (!SK) { const b = kusto(); SK = b.Kusto.Language.Syntax.SyntaxKind; SystemNs = b.System; }
  const name = String(SystemNs.Enum.toString(SK, k));
  kindNames.set(k, name);
  return name;
}
function span(n: Bridged): Span {
  return { start: n.TextStart ?? 0, length: n.Width ?? 0 };
}

export function ktype(t: Bridged): KType {
  if (!t) return 'unknown';
  const name = String(t.Name ?? '');
  switch (name) {
    case 'bool': case 'boolean': return 'bool';
    case 'int': return 'int';
    case 'long': return 'long';
    case 'real': case 'double': return 'real';
    case 'decimal': return 'decimal';
    case 'string': return 'string';
    case 'datetime': case 'date': return 'datetime';
    case 'timespan': case 'time': return 'timespan';
    case 'guid': case 'uniqueid': return 'guid';
    case 'type': return 'type';
  }
  if (name.startsWith('dynamic')) return 'dynamic';
  return 'unknown';
}

export function schemaOf(t: Bridged): Column[] {
  const out: Column[] = [];
  if (!t || !t.Columns) return out;
  const cols = t.Columns;
  for (let i = 0; i < cols.Count; i++) {
    const c = cols.getItem(i);
    out.push({ name: c.Name, type: ktype(c.Type) });
  }
  return out;
}

/** Items of a SyntaxList (unwrapping SeparatedElement). */
function items(list: Bridged): Bridged[] {
  const out: Bridged[] = [];
  if (!list) return out;
  for (let i = 0; i < list.ChildCount; i++) {
    const c = list.GetChild(i);
    if (!c) continue;
    out.push(c.Element !== undefined ? c.Element : c);
  }
  return out;
}

function nameOf(n: Bridged): string {
  if (!n) return '';
  if (n.SimpleName !== undefined && n.SimpleName !== null) return String(n.SimpleName);
  if (n.Name && n.Name.SimpleName !== undefined) return String(n.Name.SimpleName);
  return String(n.ToString ? n.ToString() : '');
}

function namedParams(list: Bridged): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of items(list)) {
    const k = nameOf(p.Name).toLowerCase();
    const v = p.Expression;
    let text = '';
    if (v) text = v.IsLiteral && typeof v.LiteralValue === 'string' ? v.LiteralValue : String(v.ToString()).trim();
    out[k] = text;
  }
  return out;
}

const EPOCH_TICKS = 621355968000000000n;

const UNIT_TICKS: Record<string, number> = { d: 864e9, day: 864e9, days: 864e9, h: 36e9, hr: 36e9, hrs: 36e9, hour: 36e9, hours: 36e9, m: 6e8, min: 6e8, minute: 6e8, minutes: 6e8, s: 1e7, sec: 1e7, second: 1e7, seconds: 1e7, ms: 1e4, milli: 1e4, millis: 1e4, millisecond: 1e4, milliseconds: 1e4, microsecond: 10, microseconds: 10, tick: 1, ticks: 1 };
/** Ticks of a time(…)/timespan(…) literal, read from its text (the binder's LiteralValue carries 0 for the d.hh:mm:ss form). */
function timespanText(text: string): number | null {
  const inner = /^\s*(?:time|timespan)\(\s*(.*?)\s*\)\s*$/i.exec(text)?.[1];
  if (inner === undefined) return null;
  let m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(inner);
  if (m) {
    const t = (+(m[2] ?? 0) * 86400 + +m[3]! * 3600 + +m[4]! * 60 + +(m[5] ?? 0)) * 1e7 + (m[6] ? Number(m[6].padEnd(7, '0')) : 0);
    return m[1] ? -t : t;
  }
  m = /^(-)?(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(inner);
  const u = m ? UNIT_TICKS[m[3]!.toLowerCase()] : undefined;
  if (m && u) return Math.round(Number(m[2]) * u) * (m[1] ? -1 : 1);
  return null;
}

function literal(n: Bridged, k: string): Expr {
  const t = ktype(n.ResultType);
  const v = n.LiteralValue;
  const s = span(n);
  if (v === null || v === undefined || k === 'NullLiteralExpression') return { kind: 'Literal', type: t, value: null, span: s };
  switch (t) {
    case 'string': return { kind: 'Literal', type: t, value: String(v), span: s };
    case 'bool': return { kind: 'Literal', type: t, value: String(v).toLowerCase() === 'true', span: s };
    case 'int': case 'long': {
      // hex literals (0xCAFE): the binder's LiteralValue does not carry their value
      const text = String(n.ToString()).trim();
      const hex = /^(-)?\s*0x([0-9a-f]+)$/i.exec(text.replace(/^(long|int)\((.*)\)$/i, '$2').trim());
      const digits = String(v).trim();
      const num = hex ? (hex[1] ? -1 : 1) * Number.parseInt(hex[2]!, 16) : Number(digits);
      // past 2^53 a JavaScript number is not the literal: its digits are kept as text
      return { kind: 'Literal', type: t, value: !hex && /^-?\d+$/.test(digits) && !Number.isSafeInteger(num) ? digits : num, span: s };
    }
    case 'real': case 'decimal': {
      const text = String(n.ToString()).trim().toLowerCase();
      let num: number;
      if (/nan/.test(text)) num = NaN;
      else if (/-\s*inf/.test(text)) num = -Infinity;
      else if (/inf/.test(text)) num = Infinity;
      else num = Number(String(v));
      return { kind: 'Literal', type: t, value: num, span: s };
    }
    case 'datetime': {
      const { System } = kusto();
      const raw = v && v.$boxed ? v.v : v;
      const ticks = BigInt(String(System.DateTime.getTicks(raw)));
      // the binder reads text that is not a date as DateTime.MinValue (datetime(garbage)); Kusto refuses it when
      // the query runs. Dates it does not read but JavaScript does (spaces around the dashes) keep their value.
      if (ticks === 0n) {
        const inner = /^\s*datetime\s*\(([^'"]*)\)\s*$/i.exec(String(n.ToString()))?.[1]?.replace(/\s+/g, '');
        if (inner !== undefined && !/^0*1-0?1-0?1(?:[T ]0?0:00(?::00(?:\.0*)?)?Z?)?$|^min$/i.test(inner)) {
          const ms = /^\d{4}-\d{1,2}-\d{1,2}(?:T\d|$)/.test(inner) ? Date.parse(inner.length <= 10 ? `${inner}T00:00:00Z` : inner) : NaN;
          if (Number.isNaN(ms)) throw new InvalidQuery(`${String(n.ToString()).trim()} is not a date and time Kusto can read`, s);
          return { kind: 'Literal', type: t, value: ms * 1000, span: s };
        }
      }
      let micros = Number((ticks - EPOCH_TICKS) / 10n);
      // Bridge keeps milliseconds; recover the sub-millisecond digits from the text
      const m = /\d:\d\d(?::\d\d)?\.(\d{4,7})/.exec(String(n.ToString()));
      if (m) micros = Math.floor(micros / 1000) * 1000 + (Math.floor(Number(m[1]!.padEnd(7, '0')) / 10) % 1000);
      return { kind: 'Literal', type: t, value: micros, span: s };
    }
    case 'timespan': return { kind: 'Literal', type: t, value: timespanText(String(n.ToString())) ?? Number(String(v.ticks)), span: s };
    case 'guid': return { kind: 'Literal', type: t, value: String(v), span: s };
  }
  throw new Unsupported(`literal ${k}`, s);
}

function jsonValue(n: Bridged): unknown {
  const k = kindName(n);
  switch (k) {
    case 'JsonObjectExpression': {
      const o: Record<string, unknown> = {};
      for (const p of items(n.Pairs)) {
        let k = String(p.Name.ValueText ?? p.Name.Text ?? p.Name.LiteralValue ?? p.Name.ToString()).trim();
        if (/^(['"]).*\1$/s.test(k)) k = k.slice(1, -1);
        o[k] = jsonValue(p.Value);
      }
      return o;
    }
    case 'JsonArrayExpression': return items(n.Values).map(jsonValue);
    case 'PrefixUnaryExpression': case 'UnaryMinusExpression': { const v = jsonValue(n.Expression); return typeof v === 'number' ? -v : v; }
    case 'UnaryPlusExpression': return jsonValue(n.Expression);
  }
  if (n.IsLiteral || /Literal/.test(k)) {
    const l = literal(n, k) as { value: unknown; type: KType };
    if (l.type === 'datetime' && typeof l.value === 'number') return new Date(l.value / 1000).toISOString();
    return l.value;
  }
  return String(n.ToString()).trim();
}

const AGG_NAMES = new Set(['count', 'countif', 'dcount', 'dcountif', 'sum', 'sumif', 'avg', 'avgif', 'min', 'max', 'minif', 'maxif', 'make_set', 'make_set_if', 'make_list', 'make_list_if', 'makeset', 'makelist', 'arg_max', 'arg_min', 'any', 'take_any', 'anyif', 'take_anyif', 'stdev', 'variance', 'percentile', 'percentiles', 'make_bag', 'make_bag_if', 'count_distinct', 'count_distinctif', 'hll', 'hll_merge', 'tdigest', 'make_list_with_nulls', 'stdevif', 'varianceif', 'binary_all_or', 'binary_all_and', 'binary_all_xor', 'buildschema', 'percentilew', 'percentilesw', 'stdevp', 'variancep', 'variancepif', 'covariance', 'covariancep', 'covarianceif']);

export class Converter {
  private fns = new Map<string, UserFunction>();
  /** Depth of subqueries whose first operator has an implicit input (mv-apply … on (…)). */
  private subqueries = 0;
  constructor(readonly text: string) {}

  /** One item of mv-expand / mv-apply: `[name =] expr [to typeof(t)]`. */
  private expandItem(e: Bridged): { expr: Expr; name: string | null; toType: KType | null } {
    const inner = e.Expression;
    const named = kindName(inner) === 'SimpleNamedExpression';
    const expr = this.expr(named ? inner.Expression : inner);
    const toType = e.ToTypeOf ? ktypeFromText(String(e.ToTypeOf.TypeOf.ToString()).replace(/typeof\s*\(|\)/g, '').trim()) : null;
    return { expr, name: named ? nameOf(inner.Name) : null, toType };
  }

  private mvApply(n: Bridged): Operator {
    const params = namedParams(n.Parameters);
    const exprs = items(n.Expressions).map((e: Bridged) => this.expandItem(e));
    if (n.ContextIdClause) throw new Unsupported('mv-apply id=', span(n.ContextIdClause));
    this.subqueries++;
    try {
      const sub = this.query(n.Subquery.Expression);
      return { kind: 'MvApplyOperator', exprs, itemIndex: params['with_itemindex'] ?? null, limit: n.RowLimitClause ? this.expr(n.RowLimitClause.RowLimit) : null, sub };
    } finally {
      this.subqueries--;
    }
  }

  private makeSeries(n: Bridged): Operator {
    const aggregates = items(n.Aggregates).map((a: Bridged) => ({ expr: this.expr(a.Expression), default: a.DefaultExpression ? this.expr(a.DefaultExpression.Expression) : null }));
    const r = n.RangeClause;
    let from: Expr | null = null, to: Expr | null = null, step: Expr;
    if (kindName(r) === 'MakeSeriesInRangeClause') {
      const [a, b, c] = this.exprs(r.Arguments.Expressions);
      from = a!; to = b!; step = c!;
    } else {
      if (r.MakeSeriesFromClause) from = this.expr(r.MakeSeriesFromClause.Expression);
      if (r.MakeSeriesToClause) to = this.expr(r.MakeSeriesToClause.Expression);
      step = this.expr(r.MakeSeriesStepClause.Expression);
    }
    return { kind: 'MakeSeriesOperator', aggregates, on: this.expr(n.OnClause.Expression), from, to, step, by: n.ByClause ? this.exprs(n.ByClause.Expressions) : [] };
  }

  script(root: Bridged): Script {
    const lets: LetBinding[] = [];
    let query: Query | null = null;
    let render: Script['render'] = null;
    for (const st of items(root.Statements)) {
      const k = kindName(st);
      if (k === 'LetStatement') lets.push(this.let(st));
      else if (k === 'ExpressionStatement') {
        const q = this.query(st.Expression);
        query = q;
      } else if (k === 'SetOptionStatement' || k === 'QueryParametersStatement' || k === 'DeclareQueryParametersStatement') {
        continue;
      } else throw new Unsupported(k, span(st));
    }
    if (!query) throw new Unsupported('a script without a tabular statement', span(root));
    // render at the end is metadata
    if (query.kind === 'Pipe' && query.op.kind === 'RenderOperator') {
      render = { chart: query.op.chart, params: query.op.params };
      query = query.source;
    }
    return { lets, query, render };
  }

  let(st: Bridged): LetBinding {
    const name = nameOf(st.Name);
    const e = st.Expression;
    const k = kindName(e);
    if (k === 'FunctionDeclaration') {
      const fn = this.functionDecl(name, e);
      this.fns.set(name, fn);
      return { name, value: { kind: 'function', fn } };
    }
    if (k === 'MaterializeExpression') return { name, value: { kind: 'tabular', query: this.query(e.Expression), materialize: true } };
    const rt = e.ResultType;
    if (rt && rt.Columns) return { name, value: { kind: 'tabular', query: this.query(e), materialize: false } };
    return { name, value: { kind: 'scalar', expr: this.expr(e) } };
  }

  functionDecl(name: string, d: Bridged): UserFunction {
    const params: UserFunction['params'] = [];
    for (const p of items(d.Parameters.Parameters)) {
      const nt = p.NameAndType;
      const tk = nt.Type ? String(nt.Type.ToString()).trim() : '';
      const isTable = tk.startsWith('(');
      params.push({ name: nameOf(nt.Name), type: isTable ? 'table' : (ktypeFromText(tk)), default: p.DefaultValue ? this.expr(p.DefaultValue.Value) : null });
    }
    const lets: LetBinding[] = [];
    let body: Query | Expr | null = null;
    const stmts = items(d.Body.Statements);
    for (const st of stmts) {
      const k = kindName(st);
      if (k === 'LetStatement') lets.push(this.let(st));
      else if (k === 'ExpressionStatement') {
        const e = st.Expression;
        body = e.ResultType && e.ResultType.Columns ? this.query(e) : this.expr(e);
      }
    }
    if (d.Body.Expression) {
      const e = d.Body.Expression;
      body = e.ResultType && e.ResultType.Columns ? this.query(e) : this.expr(e);
    }
    if (!body) throw new Unsupported('a function without a body expression', span(d));
    return { name, params, body, lets };
  }

  query(n: Bridged): Query {
    const k = kindName(n);
    const s = span(n);
    const schema = schemaOf(n.ResultType);
    switch (k) {
      case 'ParenthesizedExpression': return this.query(n.Expression);
      case 'MaterializeExpression': return this.query(n.Expression);
      case 'NameReference': {
        const sym = n.ReferencedSymbol;
        const sk = sym ? String(sym.constructor.$$name) : '';
        if (sk.endsWith('TableSymbol')) return { kind: 'TableRef', name: sym.Name, schema, span: s };
        return { kind: 'LetRef', name: nameOf(n), schema, span: s };
      }
      case 'PipeExpression': {
        const source = this.query(n.Expression);
        const op = this.operator(n.Operator);
        return { kind: 'Pipe', source, op, schema, span: s };
      }
      case 'DataTableExpression': {
        const columns: Column[] = items(n.Schema.Columns).map((c: Bridged) => ({ name: nameOf(c.Name), type: ktypeFromText(String(c.Type.ToString()).trim()) }));
        const values = items(n.Values).map((v: Bridged) => this.expr(v));
        return { kind: 'DataTable', columns, values, schema, span: s };
      }
      case 'PrintOperator': return { kind: 'Print', exprs: items(n.Expressions).map((e: Bridged) => this.expr(e)), schema, span: s };
      case 'RangeOperator': return { kind: 'Range', name: nameOf(n.Name), from: this.expr(n.From), to: this.expr(n.To), step: this.expr(n.Step), schema, span: s };
      case 'UnionOperator': return { kind: 'Union', sources: items(n.Expressions).map((e: Bridged) => this.query(e)), params: namedParams(n.Parameters), schema, span: s };
      case 'FunctionCallExpression': return { kind: 'Call', call: this.expr(n), schema, span: s };
      case 'SearchOperator': {
        const kind = namedParams(n.Parameters)['kind'] ?? '';
        return {
          kind: 'Search',
          tables: n.InClause ? items(n.InClause.Expressions).map((e: Bridged) => this.query(e)) : null,
          caseSensitive: kind.toLowerCase() === 'case_sensitive',
          pred: n.Condition ? this.searchPred(n.Condition) : null,
          schema,
          span: s,
        };
      }
      case 'ExternalDataExpression': return {
        kind: 'ExternalData',
        columns: items(n.Schema.Columns).map((c: Bridged) => ({ name: nameOf(c.Name), type: ktypeFromText(String(c.Type.ToString()).trim()) })),
        urls: items(n.URIs).map((u: Bridged) => (typeof u.LiteralValue === 'string' ? u.LiteralValue : String(u.ToString()).trim())),
        params: n.WithClause ? namedParams(n.WithClause.Properties) : {},
        schema,
        span: s,
      };
      case 'ToTableExpression': return this.query(n.Expression);
    }
    // inside mv-apply's subquery the first operator reads the per-row subtable
    if (this.subqueries > 0 && k.endsWith('Operator')) return { kind: 'Pipe', source: { kind: 'Context', schema: [], span: s }, op: this.operator(n), schema, span: s };
    throw new Unsupported(`tabular expression ${k}`, s);
  }

  /** Call arguments: a table (a tabular let, a table name) as a Tabular expression, the rest as values. */
  args(list: Bridged): Expr[] {
    return items(list).map((a: Bridged) => (a.ResultType && a.ResultType.Columns && kindName(a) !== 'StarExpression' && String(a.ResultType.constructor.$$name).endsWith('TableSymbol') ? { kind: 'Tabular', query: this.query(a), type: 'unknown', span: span(a) } as Expr : this.expr(a)));
  }

  exprs(list: Bridged): Expr[] {
    return items(list).map((e: Bridged) => this.expr(e));
  }

  patterns(list: Bridged): string[] {
    return items(list).map((e: Bridged) => String(e.ToString()).trim());
  }

  operator(n: Bridged): Operator {
    const k = kindName(n);
    switch (k) {
      case 'FilterOperator': return { kind: 'FilterOperator', condition: this.expr(n.Condition) };
      case 'ExtendOperator': return { kind: 'ExtendOperator', exprs: this.exprs(n.Expressions) };
      case 'ProjectOperator': return { kind: 'ProjectOperator', exprs: this.exprs(n.Expressions) };
      case 'ProjectAwayOperator': return { kind: 'ProjectAwayOperator', patterns: this.patterns(n.Expressions) };
      case 'ProjectKeepOperator': return { kind: 'ProjectKeepOperator', patterns: this.patterns(n.Expressions) };
      case 'ProjectRenameOperator': return {
        kind: 'ProjectRenameOperator',
        renames: items(n.Expressions).map((e: Bridged) => ({ name: nameOf(e.Name), from: String(e.Expression.ToString()).trim().replace(/^\['?"?|"?'?\]$/g, '') })),
      };
      case 'ProjectReorderOperator': return {
        kind: 'ProjectReorderOperator',
        patterns: items(n.Expressions).map((e: Bridged) => {
          if (kindName(e) === 'OrderedExpression') {
            const o = e.Ordering?.AscOrDescKeyword ? String(e.Ordering.AscOrDescKeyword.Text).toLowerCase() : '';
            return { pattern: String(e.Expression.ToString()).trim(), desc: o ? o === 'desc' : null };
          }
          return { pattern: String(e.ToString()).trim(), desc: null };
        }),
      };
      case 'SummarizeOperator': {
        const params = namedParams(n.Parameters);
        void params;
        return { kind: 'SummarizeOperator', aggregates: this.exprs(n.Aggregates), by: n.ByClause ? this.exprs(n.ByClause.Expressions) : [] };
      }
      case 'DistinctOperator': return { kind: 'DistinctOperator', exprs: this.exprs(n.Expressions) };
      case 'SortOperator': return { kind: 'SortOperator', exprs: this.exprs(n.Expressions) };
      case 'TopOperator': return { kind: 'TopOperator', count: this.expr(n.Expression), by: this.expr(n.ByExpression) };
      case 'TakeOperator': return { kind: 'TakeOperator', count: this.expr(n.Expression) };
      // sample n: n rows picked at random
      case 'SampleOperator': return { kind: 'TakeOperator', count: this.expr(n.Expression), random: true };
      case 'CountOperator': return { kind: 'CountOperator' };
      case 'JoinOperator': case 'LookupOperator': {
        const params = namedParams(n.Parameters);
        const clause = k === 'JoinOperator' ? n.ConditionClause : n.LookupClause;
        const ck = clause ? kindName(clause) : '';
        if (ck !== 'JoinOnClause') throw new Unsupported(`${k} ${ck || 'without on'}`, span(n));
        const right = this.query(n.Expression);
        const on = this.exprs(clause.Expressions);
        const jk = (params['kind'] ?? (k === 'JoinOperator' ? 'innerunique' : 'leftouter')).toLowerCase();
        return k === 'JoinOperator' ? { kind: 'JoinOperator', joinKind: jk, right, on } : { kind: 'LookupOperator', joinKind: jk, right, on };
      }
      case 'UnionOperator': return { kind: 'UnionOperator', sources: items(n.Expressions).map((e: Bridged) => this.query(e)), params: namedParams(n.Parameters) };
      case 'MvExpandOperator': {
        const params = namedParams(n.Parameters);
        const exprs = items(n.Expressions).map((e: Bridged) => this.expandItem(e));
        return { kind: 'MvExpandOperator', exprs, itemIndex: params['with_itemindex'] ?? null, limit: n.RowLimitClause ? this.expr(n.RowLimitClause.RowLimit) : null };
      }
      case 'SerializeOperator': return { kind: 'SerializeOperator', exprs: this.exprs(n.Expressions) };
      case 'AsOperator': return { kind: 'AsOperator', name: nameOf(n.Name) };
      case 'RenderOperator': return { kind: 'RenderOperator', chart: String(n.ChartType.Text), params: {} };
      case 'ParseOperator': case 'ParseWhereOperator': {
        const params = namedParams(n.Parameters);
        const pattern: ParsePart[] = [];
        for (const p of items(n.Patterns)) {
          const pk = kindName(p);
          if (pk === 'StarExpression') pattern.push({ kind: 'star' });
          else if (pk === 'NameAndTypeDeclaration') pattern.push({ kind: 'column', name: nameOf(p.Name), type: p.Type ? ktypeFromText(String(p.Type.ToString()).trim()) : 'string', regex: null });
          else if (pk === 'NameDeclaration' || pk === 'NameReference') pattern.push({ kind: 'column', name: nameOf(p), type: 'string', regex: null });
          else if (p.IsLiteral && typeof p.LiteralValue === 'string') pattern.push({ kind: 'text', text: p.LiteralValue });
          else throw new Unsupported(`parse pattern ${pk}`, span(p));
        }
        return { kind: 'ParseOperator', kindName: (params['kind'] ?? 'simple').toLowerCase(), flags: params['flags'] ?? '', source: this.expr(n.Expression), pattern, where: k === 'ParseWhereOperator' };
      }
      case 'EvaluateOperator': {
        const call = n.FunctionCall;
        const rs = n.Schema?.Schema;
        const schema = rs ? { star: !!rs.AsteriskToken, names: items(rs.Columns).map((c: Bridged) => nameOf(c.Name)) } : null;
        return { kind: 'EvaluateOperator', plugin: nameOf(call.Name).toLowerCase(), args: this.args(call.ArgumentList.Expressions), schema, insertAt: call.End ?? call.TextStart + call.Width };
      }
      case 'MvApplyOperator': return this.mvApply(n);
      case 'MakeSeriesOperator': return this.makeSeries(n);
      case 'InvokeOperator': return { kind: 'InvokeOperator', call: this.expr(n.Function) };
      case 'SearchOperator': {
        if (n.InClause) throw new Unsupported('search in (…) after a pipe', span(n));
        return { kind: 'SearchOperator', caseSensitive: (namedParams(n.Parameters)['kind'] ?? '').toLowerCase() === 'case_sensitive', pred: n.Condition ? this.searchPred(n.Condition) : null };
      }
      case 'ParseKvOperator': return {
        kind: 'ParseKvOperator',
        source: this.expr(n.Expression),
        keys: items(n.Keys.Columns).map((c: Bridged) => ({ name: nameOf(c.Name), type: ktypeFromText(String(c.Type.ToString()).trim()) })),
        params: n.WithClause ? namedParams(n.WithClause.Properties) : {},
      };
      case 'TopNestedOperator': return {
        kind: 'TopNestedOperator',
        clauses: items(n.Clauses).map((c: Bridged) => {
          const by = c.ByExpression;
          let desc = true;
          let byExpr: Bridged = by;
          if (kindName(by) === 'OrderedExpression') {
            const o = by.Ordering?.AscOrDescKeyword ? String(by.Ordering.AscOrDescKeyword.Text).toLowerCase() : 'desc';
            desc = o !== 'asc';
            byExpr = by.Expression;
          }
          return { count: c.Expression ? this.expr(c.Expression) : null, of: this.expr(c.OfExpression), withOthers: c.WithOthersClause ? this.expr(c.WithOthersClause.Expression) : null, by: this.expr(byExpr), desc };
        }),
      };
    }
    throw new Unsupported(`operator ${k.replace(/Operator$/, '')}`, span(n));
  }

  /** A search condition: bare string literals are terms, `Col:"x"` a term in one column. */
  searchPred(n: Bridged): SearchPred {
    const k = kindName(n);
    switch (k) {
      case 'ParenthesizedExpression': return this.searchPred(n.Expression);
      case 'AndExpression': case 'OrExpression': return { kind: k === 'AndExpression' ? 'and' : 'or', left: this.searchPred(n.Left), right: this.searchPred(n.Right) };
      case 'StringLiteralExpression': return { kind: 'term', text: String(n.LiteralValue ?? ''), column: null };
      case 'SearchExpression': {
        const r = n.Right;
        if (kindName(r) !== 'StringLiteralExpression') throw new Unsupported('search Column:<non-string>', span(n));
        return { kind: 'term', text: String(r.LiteralValue ?? ''), column: nameOf(n.Left) };
      }
      case 'FunctionCallExpression': {
        const args = items(n.ArgumentList.Expressions);
        if (nameOf(n.Name).toLowerCase() === 'not' && args.length === 1) return { kind: 'not', operand: this.searchPred(args[0]) };
      }
    }
    return { kind: 'expr', expr: this.expr(n) };
  }

  expr(n: Bridged): Expr {
    const k = kindName(n);
    const s = span(n);
    const type = ktype(n.ResultType);
    switch (k) {
      case 'ParenthesizedExpression': return this.expr(n.Expression);
      case 'NameReference': case 'BracketedName': case 'TokenName': {
        const sym = n.ReferencedSymbol;
        const sk = sym ? String(sym.constructor.$$name) : '';
        const name = sym ? String(sym.Name) : nameOf(n);
        const txt = nameOf(n);
        if (txt === '$left' || txt === '$right') return { kind: 'VariableRef', name: txt, type, span: s };
        if (sk.endsWith('ColumnSymbol')) return { kind: 'ColumnRef', name, type, span: s };
        if (sk.endsWith('VariableSymbol') || sk.endsWith('ParameterSymbol')) return { kind: 'VariableRef', name, type, span: s };
        if (sk.endsWith('FunctionSymbol')) return { kind: 'Call', name, args: [], aggregate: false, user: this.fns.get(name) ?? null, type, span: s };
        if (!sym) return { kind: 'ColumnRef', name, type, span: s };
        throw new Unsupported(`reference to ${sk.replace(/.*\./, '')} ${name}`, s);
      }
      case 'BracketedExpression': return this.expr(n.Expression);
      case 'StarExpression': return { kind: 'Star', type, span: s };
      case 'SimpleNamedExpression': return { kind: 'Named', names: [nameOf(n.Name)], expr: this.expr(n.Expression), type, span: s };
      case 'CompoundNamedExpression': return { kind: 'Named', names: items(n.Names.Names).map(nameOf), expr: this.expr(n.Expression), type, span: s };
      case 'OrderedExpression': {
        const o = n.Ordering;
        const ad = o?.AscOrDescKeyword ? String(o.AscOrDescKeyword.Text).toLowerCase() : '';
        const nf = o?.NullsClause ? String(o.NullsClause.FirstOrLastKeyword.Text).toLowerCase() : '';
        return { kind: 'Ordered', expr: this.expr(n.Expression), desc: ad ? ad === 'desc' : null, nullsFirst: nf ? nf === 'first' : null, type, span: s };
      }
      case 'PathExpression': {
        const sel = n.Selector;
        // x.[expr] indexes by a computed key, as x[expr] does
        if (kindName(sel) === 'BracketedExpression') return { kind: 'Element', target: this.expr(n.Expression), index: this.expr(sel.Expression), type, span: s };
        const member = String(sel.SimpleName ?? nameOf(sel));
        return { kind: 'Path', target: this.expr(n.Expression), member, type, span: s };
      }
      case 'ElementExpression': return { kind: 'Element', target: this.expr(n.Expression), index: this.expr(n.Selector), type, span: s };
      case 'FunctionCallExpression': {
        const sym = n.ReferencedSymbol;
        const name = sym ? String(sym.Name) : nameOf(n.Name);
        const args = this.args(n.ArgumentList.Expressions);
        const agg = sym ? String(sym.constructor.$$name).endsWith('FunctionSymbol') && AGG_NAMES.has(name) : false;
        return { kind: 'Call', name, args, aggregate: agg, user: this.fns.get(name) ?? null, type, span: s };
      }
      case 'ToScalarExpression':
        // toscalar(<scalar expression>) is the value itself
        if (!n.Expression.ResultType?.Columns) return this.expr(n.Expression);
        return { kind: 'ToScalar', query: this.query(n.Expression), type, span: s };
      case 'DynamicExpression': return { kind: 'Literal', type: 'dynamic', value: jsonValue(n.Expression), span: s };
      case 'InExpression': case 'NotInExpression': case 'InCsExpression': case 'NotInCsExpression': case 'HasAnyExpression': case 'HasAllExpression':
      case 'InCiExpression': case 'NotInCiExpression': {
        const right = n.Right;
        const rk = kindName(right);
        let values: Expr[] = [];
        let table: Query | null = null;
        if (rk === 'ExpressionList') {
          const es = items(right.Expressions);
          if (es.length === 1 && es[0].ResultType && es[0].ResultType.Columns) table = this.query(es[0]);
          else values = es.map((e: Bridged) => this.expr(e));
        } else if (right.ResultType && right.ResultType.Columns) table = this.query(right);
        else values = [this.expr(right)];
        const opText = n.Operator && n.Operator.Text ? String(n.Operator.Text) : k;
        return { kind: 'In', op: k === 'HasAnyExpression' || k === 'HasAllExpression' ? k : opText, left: this.expr(n.Left), values, table, type, span: s };
      }
      case 'BetweenExpression': case 'NotBetweenExpression': {
        const c = n.Right;
        return { kind: 'Between', not: k === 'NotBetweenExpression', left: this.expr(n.Left), low: this.expr(c.First), high: this.expr(c.Second), type, span: s };
      }
      case 'UnaryMinusExpression': case 'UnaryPlusExpression': return { kind: 'Unary', op: k, operand: this.expr(n.Expression), type, span: s };
      case 'MaterializeExpression': throw new Unsupported('materialize() outside let', s);
    }
    if (k.endsWith('LiteralExpression')) return literal(n, k);
    if (n.Left !== undefined && n.Right !== undefined && n.Operator !== undefined) {
      return { kind: 'Binary', op: k, left: this.expr(n.Left), right: this.expr(n.Right), type, span: s };
    }
    throw new Unsupported(`expression ${k}`, s);
  }
}

export function ktypeFromText(t: string): KType {
  const x = t.toLowerCase().replace(/\s/g, '');
  switch (x) {
    case 'bool': case 'boolean': return 'bool';
    case 'int': case 'int32': return 'int';
    case 'long': case 'int64': return 'long';
    case 'real': case 'double': return 'real';
    case 'decimal': return 'decimal';
    case 'string': return 'string';
    case 'datetime': case 'date': return 'datetime';
    case 'timespan': case 'time': return 'timespan';
    case 'guid': case 'uniqueid': return 'guid';
    case 'dynamic': return 'dynamic';
  }
  return 'unknown';
}
