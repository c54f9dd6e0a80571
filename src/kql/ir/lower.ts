// Lowers the typed AST into the IR plan. Kusto semantics that do not depend on the SQL engine live
// here: default sort order, join kinds and output columns, summarize naming (taken from the
// binder), type-directed operators (datetime arithmetic, dynamic comparisons).
import { Unsupported, InvalidQuery, type Column, type Expr, type KType, type LetBinding, type Operator, type Query, type Script, type Span, type UserFunction } from '../frontend/ast.js';
import { captureGroups } from './regex.js';
import { formatOf } from '../external/formats.js';
import { searchCondition } from './search.js';
import { parseKvValues } from './parse-kv.js';
import { ktypeFromText } from '../frontend/convert.js';
import type { SearchPred } from '../frontend/ast.js';
import { lowerEvaluate } from './evaluate.js';
import { lowerMakeSeries } from './series.js';
import { stageWindows } from './window-stages.js';
import { TUPLE_FUNCTIONS } from './tuple-functions.js';
import type { CompiledPlan, IRExpr, Plan, SortKey } from './plan.js';

/** Arguments of a user function call by parameter: named arguments (`f(c=7, a=12)`) by name, the rest in order. */
function bindArgs(params: { name: string }[], args: Expr[]): (Expr | undefined)[] {
  const named = new Map<string, Expr>();
  const positional: Expr[] = [];
  for (const a of args) {
    if (a.kind === 'Named' && a.names.length === 1 && params.some((p) => p.name === a.names[0])) named.set(a.names[0]!, a.expr);
    else positional.push(a);
  }
  let k = 0;
  return params.map((p) => named.get(p.name) ?? positional[k++]);
}

type Binding = { kind: 'scalar'; expr: IRExpr } | { kind: 'table'; plan: Plan } | { kind: 'fn'; fn: UserFunction };

class Scope {
  private vars = new Map<string, Binding>();
  constructor(readonly parent: Scope | null) {}
  get(name: string): Binding | undefined {
    return this.vars.get(name) ?? this.parent?.get(name);
  }
  set(name: string, b: Binding): void {
    this.vars.set(name, b);
  }
}

interface Ctx { scope: Scope; local?: Map<string, IRExpr>; agg?: boolean; inputCols?: Column[] }

/** The scope name of a subquery's implicit input (mv-apply). */
const CONTEXT = '\u0000context';

const NUMERIC = new Set<KType>(['int', 'long', 'real', 'decimal']);
const INTEGRAL = new Set<KType>(['int', 'long']);

const BINARY: Record<string, string> = {
  EqualExpression: 'eq', NotEqualExpression: 'ne', LessThanExpression: 'lt', LessThanOrEqualExpression: 'le', GreaterThanExpression: 'gt', GreaterThanOrEqualExpression: 'ge',
  EqualTildeExpression: 'eq_ci', BangTildeExpression: 'ne_ci', AndExpression: 'and', OrExpression: 'or',
  HasExpression: 'has', NotHasExpression: 'nhas', HasCsExpression: 'has_cs', NotHasCsExpression: 'nhas_cs',
  HasPrefixExpression: 'hasprefix', NotHasPrefixExpression: 'nhasprefix', HasSuffixExpression: 'hassuffix', NotHasSuffixExpression: 'nhassuffix',
  HasPrefixCsExpression: 'hasprefix_cs', HasSuffixCsExpression: 'hassuffix_cs',
  ContainsExpression: 'contains', NotContainsExpression: 'ncontains', ContainsCsExpression: 'contains_cs', NotContainsCsExpression: 'ncontains_cs',
  StartsWithExpression: 'startswith', NotStartsWithExpression: 'nstartswith', StartsWithCsExpression: 'startswith_cs', NotStartsWithCsExpression: 'nstartswith_cs',
  EndsWithExpression: 'endswith', NotEndsWithExpression: 'nendswith', EndsWithCsExpression: 'endswith_cs', NotEndsWithCsExpression: 'nendswith_cs',
  MatchesRegexExpression: 'matches', LikeExpression: 'like', LikeCsExpression: 'like',
};

const ALIASES: Record<string, string> = {
  iif: 'iff', notempty: 'isnotempty', notnull: 'isnotnull', unicode_codepoints_to_string: 'make_string', parse_json: 'todynamic', toobject: 'todynamic', makeset: 'make_set', makelist: 'make_list', make_set_if: 'make_set_if',
  todecimal: 'todouble', int: 'toint', long: 'tolong', real: 'toreal', double: 'todouble', bool: 'tobool', boolean: 'tobool',
  ceil: 'ceiling', pack: 'bag_pack', extract_json: 'extractjson', tohex: 'tohex', strcat_delim: 'strcat_delim',
  base64_decodestring: 'base64_decode_tostring', base64_encodestring: 'base64_encode_tostring', sha256: 'hash_sha256',
  anyif: 'take_anyif', any: 'take_any', isnotnull: 'isnotnull', todatetime: 'todatetime', totimespan: 'totimespan', time: 'totimespan',
  array_strcat: 'strcat_array', dcount_hll: 'dcount', startofweek: 'startofweek',
  min_of: 'min_of', max_of: 'max_of', floor: 'floor',
  parsejson: 'todynamic', argmax: 'arg_max', argmin: 'arg_min', pack_dictionary: 'bag_pack', array_length: 'array_length',
  toboolean: 'tobool',
};

const AGGS = new Set(['count', 'countif', 'dcount', 'dcountif', 'count_distinct', 'count_distinctif', 'sum', 'sumif', 'avg', 'avgif', 'min', 'max', 'minif', 'maxif',
  'stdev', 'stdevp', 'variance', 'variancep', 'stdevif', 'varianceif', 'variancepif', 'covariance', 'covariancep', 'covarianceif', 'take_any', 'take_anyif', 'make_set', 'make_set_if', 'make_list', 'make_list_if',
  'make_list_with_nulls', 'make_bag', 'make_bag_if', 'percentile', 'percentiles', 'binary_all_or', 'binary_all_and', 'binary_all_xor', 'hll', 'arg_max', 'arg_min']);

const CONVERT: Record<string, KType> = { tostring: 'string', toint: 'int', tolong: 'long', todouble: 'real', toreal: 'real', tobool: 'bool', todatetime: 'datetime', totimespan: 'timespan', toguid: 'guid' };

function conv(x: IRExpr, t: KType): IRExpr {
  if (x.t === t || t === 'unknown') return x;
  if (x.e === 'lit' && x.v === null) return { e: 'lit', t, v: null };
  return { e: 'fn', f: 'convert', args: [x], t };
}

function lit(t: KType, v: unknown): IRExpr {
  return { e: 'lit', t, v };
}

function wildcard(pattern: string): RegExp {
  const p = pattern.replace(/^\['?"?|"?'?\]$/g, '');
  return new RegExp('^' + p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
}

export class Lowerer {
  private ctes: { name: string; plan: Plan }[] = [];
  private seq = 0;
  /** `tables`: the database's tables (name → columns), which `search` without `in` reads. */
  constructor(private readonly tables: Record<string, { name: string; type: string }[]> = {}) {}

  lowerScript(script: Script): CompiledPlan {
    const scope = new Scope(null);
    this.bindLets(script.lets, scope, true);
    const body = this.query(script.query, scope);
    const plan: Plan = this.ctes.length ? { op: 'with', ctes: this.ctes, body, columns: body.columns } : body;
    return { plan, columns: body.columns, render: script.render };
  }

  /** The plan with the let-bound CTEs lowered so far. */
  withCtes(body: Plan): Plan {
    return this.ctes.length ? { op: 'with', ctes: [...this.ctes], body, columns: body.columns } : body;
  }

  private bindLets(lets: LetBinding[], scope: Scope, top: boolean): void {
    void top;
    for (const l of lets) {
      if (l.value.kind === 'function') scope.set(l.name, { kind: 'fn', fn: l.value.fn });
      else if (l.value.kind === 'scalar') scope.set(l.name, { kind: 'scalar', expr: this.expr(l.value.expr, { scope }) });
      else {
        const plan = this.query(l.value.query, scope);
        const name = `let_${l.name.replace(/[^A-Za-z0-9_]/g, '_')}_${++this.seq}`;
        this.ctes.push({ name, plan });
        scope.set(l.name, { kind: 'table', plan: { op: 'ref', name, columns: plan.columns } });
      }
    }
  }

  query(q: Query, scope: Scope): Plan {
    switch (q.kind) {
      case 'TableRef': return { op: 'scan', table: q.name, columns: q.schema };
      case 'LetRef': {
        const b = scope.get(q.name);
        if (b?.kind === 'table') return b.plan;
        if (b?.kind === 'fn') return this.callTable(b.fn, [], scope, null, q.span);
        throw new Unsupported(`tabular reference '${q.name}'`, q.span);
      }
      case 'DataTable': {
        const n = q.columns.length;
        const rows: IRExpr[][] = [];
        for (let i = 0; i + n <= q.values.length; i += n) {
          rows.push(q.values.slice(i, i + n).map((v, j) => conv(this.expr(v, { scope }), q.columns[j]!.type)));
        }
        return { op: 'values', rows, columns: q.schema.length ? q.schema : q.columns };
      }
      case 'Print': {
        const input: Plan = { op: 'values', rows: [[]], columns: [] };
        return { op: 'project', input, exprs: q.exprs.map((e) => this.expr(unname(e), { scope })), columns: q.schema };
      }
      case 'ExternalData': return {
        op: 'external', id: ++this.seq, urls: q.urls, format: formatOf(q.params['format'], q.urls),
        ignoreFirstRecord: /^true$/i.test(q.params['ignorefirstrecord'] ?? ''), mapping: q.params['ingestionmapping'] || null,
        columns: q.schema.length ? q.schema : q.columns,
      };
      case 'Search': {
        const sources = q.tables
          ? q.tables.map((t) => ({ plan: this.query(t, scope), label: t.kind === 'TableRef' || t.kind === 'LetRef' ? t.name : '' }))
          : Object.entries(this.tables).map(([table, cols]) => ({ plan: { op: 'scan', table, columns: cols.map((c) => ({ name: c.name, type: ktypeFromText(c.type) })) } as Plan, label: table }));
        return this.search(sources, q.pred, q.caseSensitive, q.schema, scope);
      }
      case 'Range': {
        return { op: 'range', from: this.expr(q.from, { scope }), to: this.expr(q.to, { scope }), step: this.expr(q.step, { scope }), columns: q.schema };
      }
      case 'Union': return this.union(q.sources.map((s) => this.query(s, scope)), q.sources, q.params, q.schema);
      case 'Call': {
        const call = q.call;
        if (call.kind !== 'Call') throw new Unsupported('tabular call', q.span);
        const b = scope.get(call.name);
        if (b?.kind === 'fn') return this.callTable(b.fn, call.args, scope, null, q.span);
        if (call.user) return this.callTable(call.user, call.args, scope, null, q.span);
        throw new Unsupported(`tabular function ${call.name}()`, q.span);
      }
      case 'Pipe': return this.operator(q.op, this.query(q.source, scope), q.schema, scope, q.span);
      case 'Context': {
        const b = scope.get(CONTEXT);
        if (b?.kind !== 'table') throw new Unsupported('an operator without input', q.span);
        return b.plan;
      }
    }
  }

  private callTable(fn: UserFunction, args: Expr[], scope: Scope, input: Plan | null, span: Span): Plan {
    const inner = new Scope(scope);
    let ai = 0;
    for (let i = 0; i < fn.params.length; i++) {
      const p = fn.params[i]!;
      if (p.type === 'table') {
        if (i === 0 && input) { inner.set(p.name, { kind: 'table', plan: input }); continue; }
        const a = args[ai++];
        if (!a || a.kind !== 'Tabular') throw new Unsupported(`missing tabular argument ${p.name}`, span);
        inner.set(p.name, { kind: 'table', plan: this.query(a.query, scope) });
        continue;
      }
      const a = args[ai++];
      const v = a ? this.expr(a, { scope }) : p.default ? this.expr(p.default, { scope }) : lit(p.type, null);
      inner.set(p.name, { kind: 'scalar', expr: v });
    }
    this.bindLets(fn.lets, inner, false);
    if ('schema' in fn.body) return this.query(fn.body as Query, inner);
    throw new Unsupported(`scalar function ${fn.name}() used as a table`, span);
  }

  private union(inputs: Plan[], sources: Query[] | null, params: Record<string, string>, schema: Column[]): Plan {
    const ws = params['withsource'] ?? params['withsource_'];
    const labels = inputs.map((p, i) => {
      const s = sources ? sources[i] : null;
      if (p.op === 'scan') return p.table;
      if (s && (s.kind === 'LetRef' || s.kind === 'TableRef')) return s.name;
      return `union_arg${i}`;
    });
    return { op: 'union', inputs, source: ws ? { name: ws, labels } : null, columns: schema };
  }

  private operator(op: Operator, input: Plan, schema: Column[], scope: Scope, span: Span): Plan {
    const inCols = input.columns;
    const colRef = (name: string): IRExpr => {
      const c = inCols.find((x) => x.name === name);
      return { e: 'col', name, t: c?.type ?? 'unknown' };
    };
    switch (op.kind) {
      case 'FilterOperator': {
        const cond = conv(this.expr(op.condition, { scope }), 'bool');
        if (!containsWindow(cond)) return { op: 'filter', input, cond, columns: inCols };
        // where row_number() == n: the window function is computed as a column first, then filtered on
        const flag: Column = { name: '\u0000where', type: 'bool' };
        const withFlag: Plan = { op: 'window', ...stageWindows(input, [...inCols.map((c) => colRef(c.name)), cond]), columns: [...inCols, flag] };
        const kept: Plan = { op: 'filter', input: withFlag, cond: { e: 'col', name: flag.name, t: 'bool' }, columns: withFlag.columns };
        return { op: 'project', input: kept, exprs: inCols.map((c) => colRef(c.name)), columns: inCols };
      }
      case 'ExtendOperator': case 'ProjectOperator': {
        const local = new Map<string, IRExpr>();
        const inNames = new Set(inCols.map((c) => c.name));
        const newNames = schema.map((c) => c.name).filter((n) => !inNames.has(n));
        const named = new Set<string>();
        for (const e of op.exprs) if (e.kind === 'Named') e.names.forEach((n) => named.add(n));
        let ni = 0;
        const nextName = (): string => {
          while (ni < newNames.length && named.has(newNames[ni]!)) ni++;
          return newNames[ni++] ?? `Column${ni}`;
        };
        let hasWindow = false;
        const produced: { name: string; expr: IRExpr }[] = [];
        const ctx: Ctx = { scope, local, inputCols: inCols };
        op.exprs.forEach((e, idx) => {
          const call = e.kind === 'Named' ? e.expr : e;
          const tuple = call.kind === 'Call' && !call.user ? TUPLE_FUNCTIONS[call.name] : undefined;
          if (tuple && call.kind === 'Call') {
            // one column per field; names: the ones written, then the binder's (project: in order)
            const bag: IRExpr = { e: 'fn', f: tuple.bag, args: call.args.map((a) => this.expr(a, ctx)), t: 'dynamic' };
            tuple.fields.forEach((f, k) => {
              const name = (e.kind === 'Named' ? e.names[k] : undefined) ?? (op.kind === 'ProjectOperator' ? schema[produced.length]?.name : nextName()) ?? `${call.name}_${f}`;
              const ir = conv({ e: 'path', base: bag, path: [f], t: 'dynamic' }, schema.find((c) => c.name === name)?.type ?? 'dynamic');
              produced.push({ name, expr: ir });
              local.set(name, ir);
            });
            return;
          }
          if (op.kind === 'ProjectOperator') {
            const out = schema[idx];
            const ex = e.kind === 'Named' ? e.expr : e;
            const name = e.kind === 'Named' ? e.names[0]! : out?.name ?? nextName();
            const ir = this.expr(ex, ctx);
            if (containsWindow(ir)) hasWindow = true;
            produced.push({ name, expr: ir });
            local.set(name, ir);
            return;
          }
          if (e.kind === 'Named') {
            if (e.names.length !== 1) throw new Unsupported('extend with several names', e.span);
            const ir = this.expr(e.expr, ctx);
            if (containsWindow(ir)) hasWindow = true;
            produced.push({ name: e.names[0]!, expr: ir });
            local.set(e.names[0]!, ir);
          } else {
            const ir = this.expr(e, ctx);
            if (containsWindow(ir)) hasWindow = true;
            const name = e.kind === 'ColumnRef' ? e.name : ni < newNames.length ? nextName() : refName(e) ?? nextName();
            produced.push({ name, expr: ir });
            local.set(name, ir);
          }
        });
        const byName = new Map(produced.map((p) => [p.name, p.expr]));
        if (op.kind === 'ExtendOperator') {
          // input columns (replaced ones keep their place) then the new ones; types from the binder when it knows the column
          const typeOf = (n: string, x: IRExpr) => schema.find((c) => c.name === n)?.type ?? x.t;
          const outCols: Column[] = inCols.map((c) => (byName.has(c.name) ? { name: c.name, type: typeOf(c.name, byName.get(c.name)!) } : c));
          for (const p of produced) if (!inCols.some((c) => c.name === p.name) && !outCols.some((c) => c.name === p.name)) outCols.push({ name: p.name, type: typeOf(p.name, p.expr) });
          const exprs = outCols.map((c) => { const ex = byName.get(c.name); return ex ? conv(ex, c.type) : colRef(c.name); });
          return hasWindow ? { op: 'window', ...stageWindows(input, exprs), columns: outCols } : { op: 'project', input, exprs, columns: outCols };
        }
        const exprs = schema.map((c, i) => {
          const p = produced[i];
          return p ? conv(p.expr, c.type) : colRef(c.name);
        });
        if (produced.length !== schema.length) {
          // project with wildcards: map by name
          const byNames = schema.map((c) => byName.get(c.name) ?? colRef(c.name));
          return hasWindow ? { op: 'window', ...stageWindows(input, byNames), columns: schema } : { op: 'project', input, exprs: byNames, columns: schema };
        }
        return hasWindow ? { op: 'window', ...stageWindows(input, exprs), columns: schema } : { op: 'project', input, exprs, columns: schema };
      }
      case 'ProjectAwayOperator': {
        const res = op.patterns.map(wildcard);
        const cols = inCols.filter((c) => !res.some((r) => r.test(c.name)));
        return { op: 'project', input, exprs: cols.map((c) => colRef(c.name)), columns: cols };
      }
      case 'ProjectKeepOperator': {
        const res = op.patterns.map(wildcard);
        const cols = inCols.filter((c) => res.some((r) => r.test(c.name)));
        return { op: 'project', input, exprs: cols.map((c) => colRef(c.name)), columns: cols };
      }
      case 'ProjectReorderOperator': {
        if (schema.length === inCols.length && schema.every((c) => inCols.some((i) => i.name === c.name))) return { op: 'project', input, exprs: schema.map((c) => colRef(c.name)), columns: schema };
        const first: Column[] = [];
        for (const p of op.patterns) for (const c of inCols) if (wildcard(p.pattern).test(c.name) && !first.includes(c)) first.push(c);
        const cols = [...first, ...inCols.filter((c) => !first.includes(c))];
        return { op: 'project', input, exprs: cols.map((c) => colRef(c.name)), columns: cols };
      }
      case 'ProjectRenameOperator': {
        const to = new Map(op.renames.map((r) => [r.from, r.name]));
        const renamedAway = new Set(op.renames.map((r) => r.name));
        const cols: Column[] = [];
        const exprs: IRExpr[] = [];
        for (const c of inCols) {
          const n = to.get(c.name);
          if (!n && renamedAway.has(c.name)) continue; // overwritten by a rename
          cols.push({ name: n ?? c.name, type: c.type });
          exprs.push(colRef(c.name));
        }
        return { op: 'project', input, exprs, columns: cols };
      }
      case 'SummarizeOperator': return this.summarize(op.aggregates, op.by, input, schema, scope);
      case 'CountOperator': return { op: 'aggregate', input, keys: [], aggs: [{ e: 'agg', f: 'count', args: [], t: 'long' }], columns: schema };
      case 'DistinctOperator': {
        if (op.exprs.length === 1 && op.exprs[0]!.kind === 'Star') return { op: 'distinct', input, columns: inCols };
        const exprs = op.exprs.map((e, i) => conv(this.expr(unname(e), { scope }), schema[i]?.type ?? 'unknown'));
        return { op: 'distinct', input: { op: 'project', input, exprs, columns: schema }, columns: schema };
      }
      case 'SortOperator': return { op: 'sort', input, keys: op.exprs.map((e) => this.sortKey(e, scope)), columns: inCols };
      case 'TopOperator': {
        const sorted: Plan = { op: 'sort', input, keys: [this.sortKey(op.by, scope)], columns: inCols };
        return { op: 'limit', input: sorted, count: this.rowCount(op.count, scope, 'top'), columns: inCols };
      }
      case 'TakeOperator': {
        const count = this.rowCount(op.count, scope, op.random ? 'sample' : 'take');
        if (!op.random) return { op: 'limit', input, count, columns: inCols };
        const shuffled: Plan = { op: 'sort', input, keys: [{ expr: { e: 'fn', f: 'rand', args: [], t: 'real' }, desc: false, nullsFirst: false }], columns: inCols };
        return { op: 'limit', input: shuffled, count, columns: inCols };
      }
      case 'JoinOperator': case 'LookupOperator': {
        const right = this.query(op.right, scope);
        return this.join(op.kind === 'LookupOperator', op.joinKind, input, right, op.on, schema, scope, span);
      }
      case 'UnionOperator': {
        const srcs = op.sources.map((s) => this.query(s, scope));
        return this.union([input, ...srcs], null, op.params, schema);
      }
      case 'MvExpandOperator': {
        const expand = op.exprs.map((x, i) => {
          const ir = this.expr(x.expr, { scope });
          const fresh = schema.filter((c) => !inCols.some((ic) => ic.name === c.name));
          const name = x.name ?? (x.expr.kind === 'ColumnRef' ? x.expr.name : fresh[i]?.name ?? refName(x.expr) ?? `Column${i + 1}`);
          const out = schema.find((c) => c.name === name);
          return { expr: ir, name, t: (out?.type ?? x.toType ?? 'dynamic') as KType };
        });
        return { op: 'mvexpand', input, expand, itemIndex: op.itemIndex, limit: op.limit ? this.expr(op.limit, { scope }) : null, columns: schema };
      }
      case 'SerializeOperator': {
        if (!op.exprs.length) return input;
        return this.operator({ kind: 'ExtendOperator', exprs: op.exprs }, input, schema, scope, span);
      }
      case 'AsOperator': {
        scope.set(op.name, { kind: 'table', plan: input });
        return input;
      }
      case 'RenderOperator': return input;
      case 'InvokeOperator': {
        const call = op.call;
        if (call.kind !== 'Call') throw new Unsupported('invoke of a non-function', span);
        const b = scope.get(call.name);
        const fn = b?.kind === 'fn' ? b.fn : call.user;
        if (!fn) throw new Unsupported(`invoke ${call.name}()`, span);
        return this.callTable(fn, call.args, scope, input, span);
      }
      case 'ParseOperator': return this.parse(op, input, schema, scope, span);
      case 'EvaluateOperator': return lowerEvaluate({ expr: (e, agg) => this.expr(e, { scope, agg }), table: (q) => this.query(q, scope), withCtes: (p) => this.withCtes(p) }, op, input, schema, span);
      case 'MvApplyOperator': return this.mvApply(op, input, schema, scope, span);
      case 'MakeSeriesOperator': return lowerMakeSeries((e, agg) => this.expr(e, { scope, agg }), op, input, schema, span);
      case 'SearchOperator': {
        const label = input.op === 'scan' ? input.table : '';
        return this.search([{ plan: input, label }], op.pred, op.caseSensitive, schema, scope);
      }
      case 'ParseKvOperator': {
        const values = parseKvValues(conv(this.expr(op.source, { scope }), 'string'), op.keys, op.params);
        return { op: 'project', input, exprs: schema.map((c) => { const v = values.get(c.name); return v ? conv(v, c.type) : colRef(c.name); }), columns: schema };
      }
      case 'TopNestedOperator': {
        const levels = op.clauses.map((c, i) => {
          const key = conv(this.expr(unname(c.of), { scope }), schema[2 * i]?.type ?? 'unknown');
          const agg = this.expr(unname(c.by), { scope, agg: true });
          return { key, agg: conv(agg, schema[2 * i + 1]?.type ?? agg.t), count: c.count ? this.expr(c.count, { scope }) : null, desc: c.desc, others: c.withOthers ? conv(this.expr(c.withOthers, { scope }), key.t) : null };
        });
        if (schema.length !== 2 * levels.length) throw new Unsupported('top-nested with this result shape', span);
        return { op: 'topnested', input, levels, columns: schema };
      }
    }
  }

  /** search: the rows of each source matching the predicate, with the source's name in $table. */
  private search(sources: { plan: Plan; label: string }[], pred: SearchPred | null, cs: boolean, schema: Column[], scope: Scope): Plan {
    const inputs = sources.map((s): Plan => (pred ? { op: 'filter', input: s.plan, cond: searchCondition(pred, s.plan.columns, cs, (e) => this.expr(e, { scope })), columns: s.plan.columns } : s.plan));
    const withTable = schema[0]?.name === '$table';
    return { op: 'union', inputs, source: withTable ? { name: '$table', labels: sources.map((s) => s.label) } : null, columns: schema };
  }

  private mvApply(op: Extract<Operator, { kind: 'MvApplyOperator' }>, input: Plan, schema: Column[], scope: Scope, span: Span): Plan {
    const inCols = input.columns;
    const expand = op.exprs.map((x, i) => {
      const name = x.name ?? (x.expr.kind === 'ColumnRef' ? x.expr.name : refName(x.expr) ?? `Column${i + 1}`);
      return { expr: this.expr(x.expr, { scope }), name, t: (x.toType ?? 'dynamic') as KType };
    });
    // the subtable: the row's columns (expanded ones replaced), the new expanded columns, the item index
    const typeOf = (n: string) => expand.find((x) => x.name === n)?.t;
    const contextColumns: Column[] = [
      ...inCols.map((c) => ({ name: c.name, type: typeOf(c.name) ?? c.type })),
      ...expand.filter((x) => !inCols.some((c) => c.name === x.name)).map((x) => ({ name: x.name, type: x.t })),
      ...(op.itemIndex ? [{ name: op.itemIndex, type: 'long' as KType }] : []),
    ];
    const context = `mvapply_${++this.seq}`;
    const inner = new Scope(scope);
    inner.set(CONTEXT, { kind: 'table', plan: { op: 'ref', name: context, columns: contextColumns } });
    const sub = this.query(op.sub, inner);
    return { op: 'mvapply', input, expand, itemIndex: op.itemIndex, limit: op.limit ? this.expr(op.limit, { scope }) : null, context, contextColumns, sub, columns: schema };
  }

  private parse(op: Extract<Operator, { kind: 'ParseOperator' }>, input: Plan, schema: Column[], scope: Scope, span: Span): Plan {
    if (op.kindName !== 'simple' && op.kindName !== 'regex') throw new Unsupported(`parse kind=${op.kindName}`, span);
    // flags=U (ungreedy), m, s, i: RE2 reads the same letters as an inline group
    if (op.flags && (op.kindName !== 'regex' || !/^[Umsi]+$/.test(op.flags))) throw new Unsupported(`parse flags=${op.flags}${op.kindName === 'regex' ? '' : ' without kind=regex'}`, span);
    let re = op.flags ? `(?${op.flags})^` : '^';
    const groups: { name: string; type: KType; index: number }[] = [];
    const parts = op.pattern;
    // kind=regex text may hold capturing groups of its own: the columns' group numbers skip them
    let gi = 0;
    parts.forEach((p, i) => {
      const last = i === parts.length - 1;
      if (p.kind === 'star') re += last ? '.*' : '.*?';
      else if (p.kind === 'text') {
        if (op.kindName === 'regex') { re += p.text; gi += captureGroups(p.text).length; }
        else re += p.text.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
      } else {
        groups.push({ name: p.name, type: p.type, index: ++gi });
        const body = p.type === 'long' || p.type === 'int' ? '-?\\d+' : p.type === 'real' ? '-?\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?' : last ? '.*' : '.*?';
        re += `(${body})`;
      }
    });
    if (parts.length && parts[parts.length - 1]!.kind === 'text') re += '';
    if (parts.length && parts[parts.length - 1]!.kind !== 'text') re += '$';
    const src = conv(this.expr(op.source, { scope }), 'string');
    const byName = new Map<string, IRExpr>();
    groups.forEach((g) => {
      const raw: IRExpr = { e: 'fn', f: 'regex_group', args: [src, lit('string', re), lit('long', g.index)], t: 'string' };
      byName.set(g.name, conv(raw, g.type));
    });
    let base = input;
    if (op.where) {
      let cond: IRExpr = { e: 'fn', f: 'matches', args: [src, lit('string', re)], t: 'bool' };
      for (const g of groups) {
        if (g.type === 'string') continue;
        const ok: IRExpr = { e: 'fn', f: 'isnotnull', args: [byName.get(g.name)!], t: 'bool' };
        cond = { e: 'fn', f: 'and', args: [cond, ok], t: 'bool' };
      }
      base = { op: 'filter', input, cond, columns: input.columns };
    }
    return { op: 'project', input: base, exprs: schema.map((c) => byName.get(c.name) ?? { e: 'col', name: c.name, t: c.type }), columns: schema };
  }

  private sortKey(e: Expr, scope: Scope): SortKey {
    if (e.kind === 'Ordered') {
      const desc = e.desc ?? true;
      return { expr: this.expr(e.expr, { scope }), desc, nullsFirst: e.nullsFirst ?? !desc };
    }
    return { expr: this.expr(e, { scope }), desc: true, nullsFirst: false };
  }

  private summarize(aggregates: Expr[], by: Expr[], input: Plan, schema: Column[], scope: Scope): Plan {
    const keys = by.map((e, i) => conv(this.expr(unname(e), { scope }), schema[i]?.type ?? 'unknown'));
    const aggs: IRExpr[] = [];
    let pos = keys.length;
    const inCols = input.columns;
    const argName = (n: string) => (n === 'argmax' ? 'arg_max' : n === 'argmin' ? 'arg_min' : n);
    const isArg = (x: Expr) => x.kind === 'Call' && (argName(x.name) === 'arg_max' || argName(x.name) === 'arg_min');
    const hasStar = (x: Expr) => x.kind === 'Call' && x.args.slice(isArg(x) ? 1 : 0).some((y) => y.kind === 'Star');
    // take_any(a, b) and take_any(*): every column from one row
    const isRow = (x: Expr) => x.kind === 'Call' && (x.name === 'take_any' || x.name === 'any') && (x.args.length > 1 || hasStar(x));
    // width of each aggregate in output columns: arg_max(k, a, b) = 3, take_any(a, b) = 2; with * it takes what is left
    const widths = aggregates.map((a) => { const x = unname(a); return isArg(x) || isRow(x) ? (hasStar(x) ? -1 : (x as { args: Expr[] }).args.length) : 1; });
    const fixed = widths.reduce((s, w) => s + (w > 0 ? w : 0), 0);
    const stars = widths.filter((w) => w < 0).length;
    const starWidth = stars ? Math.max(1, Math.floor((schema.length - keys.length - fixed) / stars)) : 0;
    // the input column an output column of a * is named after: a name taken twice gets a number appended
    // (SHA1 → SHA11), dropped one digit at a time
    const starSource = (out: Column, span: Span): IRExpr => {
      let src = inCols.find((c) => c.name === out.name);
      for (let k = 1; !src && k <= 3 && /\d$/.test(out.name.slice(0, out.name.length - k + 1)); k++) src = inCols.find((c) => c.name === out.name.slice(0, -k));
      if (!src) throw new Unsupported(`the column ${out.name} of a *`, span);
      return { e: 'col', name: src.name, t: src.type };
    };
    aggregates.forEach((a, ai) => {
      const inner = unname(a);
      if (inner.kind === 'Call' && isRow(inner)) {
        const width = widths[ai]! < 0 ? starWidth : widths[ai]!;
        for (let k = 0; k < width; k++) {
          const out = schema[pos]!;
          const ex = hasStar(inner) ? starSource(out, inner.span) : this.expr(unname(inner.args[k]!), { scope });
          aggs.push({ e: 'agg', f: 'take_any_row', args: [ex], t: out.type });
          pos++;
        }
        return;
      }
      if (inner.kind === 'Call' && isArg(inner)) {
        const width = widths[ai]! < 0 ? starWidth : widths[ai]!;
        const key = this.expr(inner.args[0]!, { scope, agg: true });
        aggs.push({ e: 'agg', f: argName(inner.name) + '_key', args: [key], t: schema[pos]!.type });
        pos++;
        const explicit = inner.args.slice(1);
        for (let k = 1; k < width; k++) {
          const out = schema[pos]!;
          let ex: IRExpr;
          if (!hasStar(inner) && explicit[k - 1]) ex = this.expr(unname(explicit[k - 1]!), { scope });
          else ex = starSource(out, inner.span);
          aggs.push({ e: 'agg', f: argName(inner.name), args: [ex, key], t: out.type });
          pos++;
        }
        return;
      }
      const ir = this.expr(inner, { scope, agg: true, inputCols: input.columns });
      aggs.push(conv(ir, schema[pos]?.type ?? ir.t));
      pos++;
    });
    if (!aggregates.length) return { op: 'distinct', input: { op: 'project', input, exprs: keys, columns: schema }, columns: schema };
    return { op: 'aggregate', input, keys, aggs, columns: schema };
  }

  /** The row count of take, top and sample: a negative constant is refused where it is written. */
  private rowCount(e: Expr, scope: Scope, operator: string): IRExpr {
    const negative = (e.kind === 'Literal' && typeof e.value === 'number' && e.value < 0)
      || (e.kind === 'Unary' && e.op === 'UnaryMinusExpression' && e.operand.kind === 'Literal' && typeof e.operand.value === 'number' && e.operand.value > 0);
    if (negative) throw new InvalidQuery(`${operator}: the row count must be 0 or more`, e.span);
    return this.expr(e, { scope });
  }

  private join(lookup: boolean, kind: string, left: Plan, right: Plan, on: Expr[], schema: Column[], scope: Scope, span: Span): Plan {
    const k = kind.replace(/^kind=/, '');
    const norm: Record<string, string> = { innerunique: 'innerunique', inner: 'inner', leftouter: 'leftouter', rightouter: 'rightouter', fullouter: 'fullouter', outer: 'fullouter', leftsemi: 'leftsemi', semi: 'leftsemi', leftanti: 'leftanti', anti: 'leftanti', leftantisemi: 'leftanti', rightsemi: 'rightsemi', rightanti: 'rightanti', rightantisemi: 'rightanti' };
    const jk = norm[k];
    if (!jk) throw new Unsupported(`join kind=${kind}`, span);
    const conds: { left: IRExpr; right: IRExpr }[] = [];
    const side = (e: Expr): { side: 'left' | 'right'; name: string } | null => {
      if (e.kind === 'Path' && e.target.kind === 'VariableRef' && (e.target.name === '$left' || e.target.name === '$right')) return { side: e.target.name === '$left' ? 'left' : 'right', name: e.member };
      return null;
    };
    const col = (p: Plan, name: string): IRExpr => ({ e: 'col', name, t: p.columns.find((c) => c.name === name)?.type ?? 'unknown' });
    const addCond = (e: Expr): void => {
      if (e.kind === 'ColumnRef') { conds.push({ left: col(left, e.name), right: col(right, e.name) }); return; }
      if (e.kind === 'Binary' && e.op === 'AndExpression') { addCond(e.left); addCond(e.right); return; }
      if (e.kind === 'Binary' && e.op === 'EqualExpression') {
        const a = side(e.left), b = side(e.right);
        if (a && b && a.side !== b.side) {
          const l = a.side === 'left' ? a : b, r = a.side === 'left' ? b : a;
          conds.push({ left: col(left, l.name), right: col(right, r.name) });
          return;
        }
      }
      throw new Unsupported('join condition other than equality of columns', e.span);
    };
    on.forEach(addCond);
    void scope;
    return { op: 'join', kind: lookup ? (jk === 'inner' ? 'inner' : 'leftouter') : jk, left, right, on: conds, columns: schema, ...(lookup ? { lookup: true } : {}) } as Plan;
  }

  expr(e: Expr, ctx: Ctx): IRExpr {
    switch (e.kind) {
      case 'Literal': return lit(e.type, e.value);
      case 'ColumnRef': {
        const l = ctx.local?.get(e.name);
        if (l) return l;
        const b = ctx.scope.get(e.name);
        if (b?.kind === 'scalar' && !ctx.local) return b.expr;
        return { e: 'col', name: e.name, t: e.type };
      }
      case 'VariableRef': {
        const b = ctx.scope.get(e.name);
        if (b?.kind === 'scalar') return b.expr;
        if (b?.kind === 'table') return { e: 'scalar', plan: b.plan, t: e.type };
        throw new Unsupported(`reference to '${e.name}'`, e.span);
      }
      case 'Named': return this.expr(e.expr, ctx);
      case 'Ordered': return this.expr(e.expr, ctx);
      case 'Star': throw new Unsupported('* here', e.span);
      case 'Tabular': throw new Unsupported('a table where a value is expected', e.span);
      case 'Unary': {
        const x = this.expr(e.operand, ctx);
        return e.op === 'UnaryMinusExpression' ? { e: 'fn', f: 'neg', args: [x], t: e.type } : x;
      }
      case 'Path': case 'Element': {
        const target = this.expr(e.target, ctx);
        let seg: string | number;
        if (e.kind === 'Path') seg = e.member;
        else {
          const idx = this.expr(e.index, ctx);
          if (idx.e !== 'lit' || (typeof idx.v !== 'string' && typeof idx.v !== 'number')) {
            const base = target.t === 'dynamic' ? target : conv(target, 'dynamic');
            const key = idx.t === 'dynamic' ? conv(idx, 'string') : idx;
            return { e: 'fn', f: key.t === 'string' ? 'dyn_member' : 'dyn_index', args: [base, key], t: 'dynamic' };
          }
          seg = idx.v as string | number;
        }
        if (target.e === 'path') return { e: 'path', base: target.base, path: [...target.path, seg], t: 'dynamic' };
        return { e: 'path', base: target.t === 'dynamic' ? target : conv(target, 'dynamic'), path: [seg], t: 'dynamic' };
      }
      case 'ToScalar': {
        const plan = this.query(e.query, ctx.scope);
        return { e: 'scalar', plan, t: e.type };
      }
      case 'Between': {
        const l = this.expr(e.left, ctx);
        let lo = this.expr(e.low, ctx), hi = this.expr(e.high, ctx);
        let left = l;
        if (l.t === 'datetime' && lo.t === 'timespan') lo = { e: 'fn', f: 'dt_add', args: [l, lo], t: 'datetime' };
        if (l.t === 'datetime' && hi.t === 'timespan') hi = { e: 'fn', f: 'dt_add', args: [lo, hi], t: 'datetime' };
        if (l.t === 'dynamic') left = conv(l, lo.t === 'dynamic' ? 'real' : lo.t);
        return { e: 'fn', f: e.not ? 'nbetween' : 'between', args: [left, conv(lo, left.t), conv(hi, left.t)], t: 'bool' };
      }
      case 'In': return this.inExpr(e, ctx);
      case 'Binary': return this.binary(e, ctx);
      case 'Call': return this.call(e, ctx);
    }
  }

  private inExpr(e: Extract<Expr, { kind: 'In' }>, ctx: Ctx): IRExpr {
    let left = this.expr(e.left, ctx);
    const op = e.op;
    if (op === 'HasAnyExpression' || op === 'HasAllExpression') {
      if (left.t !== 'string') left = conv(left, 'string');
      if (e.table) {
        const plan = this.query(e.table, ctx.scope);
        return { e: 'inset', left, plan, not: op === 'HasAllExpression', ci: true, t: 'bool', has: true } as IRExpr;
      }
      const vals = e.table ? null : this.flatValues(e.values, ctx);
      if (!vals) {
        if (e.table || e.values.length !== 1) throw new Unsupported(`${op === 'HasAnyExpression' ? 'has_any' : 'has_all'} with a non-constant list`, e.span);
        const arr = conv(this.expr(e.values[0]!, ctx), 'dynamic');
        return { e: 'fn', f: op === 'HasAnyExpression' ? 'has_any_dyn' : 'has_all_dyn', args: [left, arr], t: 'bool' };
      }
      if (!vals.length) return lit('bool', op === 'HasAllExpression');
      const parts = vals.map((v) => ({ e: 'fn', f: 'has', args: [left, conv(v, 'string')], t: 'bool' }) as IRExpr);
      return parts.reduce((a, b) => ({ e: 'fn', f: op === 'HasAnyExpression' ? 'or' : 'and', args: [a, b], t: 'bool' }));
    }
    const not = op.startsWith('!');
    const ci = op.endsWith('~');
    if (e.table) {
      const plan = this.query(e.table, ctx.scope);
      if (left.t === 'dynamic') left = conv(left, plan.columns[0]?.type === 'dynamic' ? 'string' : plan.columns[0]?.type ?? 'string');
      return { e: 'inset', left, plan, not, ci, t: 'bool' };
    }
    const vals = this.flatValues(e.values, ctx);
    if (!vals) {
      // a dynamic array that is not constant
      const arr = this.expr(e.values[0]!, ctx);
      const l2 = conv(left, 'string');
      return { e: 'fn', f: not ? (ci ? 'nin_dyn_ci' : 'nin_dyn') : ci ? 'in_dyn_ci' : 'in_dyn', args: [l2, arr], t: 'bool' };
    }
    if (!vals.length) return lit('bool', not); // x in (dynamic([])): nothing to match
    let target: KType = left.t;
    if (left.t === 'dynamic') { target = vals[0]?.t ?? 'string'; if (target === 'dynamic') target = 'string'; left = conv(left, target); }
    if (ci && target !== 'string') { left = conv(left, 'string'); target = 'string'; }
    const args = [left, ...vals.map((v) => conv(v, target))];
    return { e: 'fn', f: not ? (ci ? 'nin_ci' : 'nin') : ci ? 'in_ci' : 'in', args, t: 'bool' };
  }

  /** Constant values of an in-list, with dynamic arrays flattened; null if some part is not constant. */
  private flatValues(values: Expr[], ctx: Ctx): IRExpr[] | null {
    const out: IRExpr[] = [];
    for (const v of values) {
      const x = this.expr(v, ctx);
      if (x.e === 'lit' && x.t === 'dynamic') {
        const arr = Array.isArray(x.v) ? x.v : [x.v];
        for (const a of arr) out.push(lit(typeof a === 'number' ? (Number.isInteger(a) ? 'long' : 'real') : typeof a === 'boolean' ? 'bool' : 'string', a));
      } else if (x.e === 'lit') out.push(x);
      else if (x.t !== 'dynamic') out.push(x);
      else return null;
    }
    return out;
  }

  private binary(e: Extract<Expr, { kind: 'Binary' }>, ctx: Ctx): IRExpr {
    let l = this.expr(e.left, ctx), r = this.expr(e.right, ctx);
    const op = e.op;
    switch (op) {
      case 'AddExpression':
        if (l.t === 'datetime' && r.t === 'timespan') return { e: 'fn', f: 'dt_add', args: [l, r], t: 'datetime' };
        if (l.t === 'timespan' && r.t === 'datetime') return { e: 'fn', f: 'dt_add', args: [r, l], t: 'datetime' };
        return { e: 'fn', f: 'add', args: [this.num(l), this.num(r)], t: e.type };
      case 'SubtractExpression':
        if (l.t === 'datetime' && r.t === 'datetime') return { e: 'fn', f: 'dt_diff', args: [l, r], t: 'timespan' };
        if (l.t === 'datetime' && r.t === 'timespan') return { e: 'fn', f: 'dt_sub', args: [l, r], t: 'datetime' };
        return { e: 'fn', f: 'sub', args: [this.num(l), this.num(r)], t: e.type };
      case 'MultiplyExpression':
        if (l.t === 'timespan' && NUMERIC.has(r.t)) return { e: 'fn', f: 'ts_mul', args: [l, r], t: 'timespan' };
        if (r.t === 'timespan' && NUMERIC.has(l.t)) return { e: 'fn', f: 'ts_mul', args: [r, l], t: 'timespan' };
        return { e: 'fn', f: 'mul', args: [this.num(l), this.num(r)], t: e.type };
      case 'DivideExpression':
        if (l.t === 'timespan' && r.t === 'timespan') return { e: 'fn', f: 'ts_ratio', args: [l, r], t: 'real' };
        if (l.t === 'timespan') return { e: 'fn', f: 'ts_div', args: [l, r], t: 'timespan' };
        if (INTEGRAL.has(l.t) && INTEGRAL.has(r.t)) return { e: 'fn', f: 'idiv', args: [l, r], t: e.type };
        return { e: 'fn', f: 'div', args: [this.num(l), this.num(r)], t: e.type };
      case 'ModuloExpression': return { e: 'fn', f: 'mod', args: [this.num(l), this.num(r)], t: e.type };
    }
    const f = BINARY[op];
    if (!f) throw new Unsupported(`operator ${op.replace(/Expression$/, '')}`, e.span);
    if (f === 'and' || f === 'or') return { e: 'fn', f, args: [conv(l, 'bool'), conv(r, 'bool')], t: 'bool' };
    if (['eq', 'ne', 'lt', 'le', 'gt', 'ge'].includes(f)) {
      if (l.t === 'dynamic' && r.t !== 'dynamic') l = conv(l, r.t === 'int' ? 'long' : r.t);
      else if (r.t === 'dynamic' && l.t !== 'dynamic') r = conv(r, l.t === 'int' ? 'long' : l.t);
      else if (l.t === 'dynamic' && r.t === 'dynamic') { l = conv(l, 'string'); r = conv(r, 'string'); }
      else if (l.t === 'string' && r.t !== 'string' && r.t !== 'unknown') r = conv(r, 'string');
      else if (r.t === 'string' && l.t !== 'string' && l.t !== 'unknown') l = conv(l, 'string');
      else if (l.t === 'bool' && NUMERIC.has(r.t)) l = conv(l, 'long');
      else if (r.t === 'bool' && NUMERIC.has(l.t)) r = conv(r, 'long');
      return { e: 'fn', f, args: [l, r], t: 'bool' };
    }
    if (f === 'like') throw new Unsupported('like', e.span);
    if (f === 'matches' && r.e === 'lit' && typeof r.v === 'string') {
      checkRegex(r.v, e.right.span);
      r = lit('string', re2(r.v));
    }
    return { e: 'fn', f, args: [conv(l, 'string'), conv(r, 'string')], t: 'bool' };
  }

  private num(x: IRExpr): IRExpr {
    return x.t === 'dynamic' ? conv(x, 'real') : x;
  }

  private call(e: Extract<Expr, { kind: 'Call' }>, ctx: Ctx): IRExpr {
    const raw = e.name;
    const b = ctx.scope.get(raw);
    const user = b?.kind === 'fn' ? b.fn : e.user;
    if (user) {
      const inner = new Scope(ctx.scope);
      const bound = bindArgs(user.params, e.args);
      user.params.forEach((p, i) => {
        const a = bound[i];
        inner.set(p.name, { kind: 'scalar', expr: a ? this.expr(a, ctx) : p.default ? this.expr(p.default, ctx) : lit(p.type === 'table' ? 'unknown' : p.type, null) });
      });
      this.bindLets(user.lets, inner, false);
      if ('schema' in user.body) return { e: 'scalar', plan: this.query(user.body as Query, inner), t: e.type };
      return this.expr(user.body as Expr, { scope: inner });
    }
    const name = ALIASES[raw] ?? raw;
    const args = () => e.args.map((a) => this.expr(a, ctx));
    if (AGGS.has(name)) {
      if (!ctx.agg) throw new Unsupported(`${name}() outside summarize`, e.span);
      const as = e.args.map((a) => this.expr(a, { scope: ctx.scope, inputCols: ctx.inputCols }));
      if (name === 'count' && as.length) return { e: 'agg', f: 'count', args: as, t: 'long' };
      if (name === 'make_set' || name === 'make_list' || name === 'make_set_if' || name === 'make_list_if') {
        // dynamic elements are collected as JSON text so that DISTINCT works on them
        return { e: 'agg', f: name, args: as, t: 'dynamic' };
      }
      return { e: 'agg', f: name, args: as, t: e.type };
    }
    if (name in CONVERT) {
      const a = this.expr(e.args[0]!, ctx);
      const t = CONVERT[name]!;
      if (name === 'todatetime' && a.t === 'datetime') return a;
      return conv(a, t);
    }
    switch (name) {
      case 'todynamic': {
        const a = this.expr(e.args[0]!, ctx);
        return a.t === 'dynamic' ? a : conv(a, 'dynamic');
      }
      case 'dynamic': return this.expr(e.args[0]!, ctx);
      case 'bin': case 'floor': {
        if (name === 'floor' && e.args.length === 1) break;
        const [x, span] = args();
        if (x!.t === 'datetime') return { e: 'fn', f: 'bin_dt', args: [x!, span!], t: 'datetime' };
        if (INTEGRAL.has(x!.t) && INTEGRAL.has(span!.t)) return { e: 'fn', f: 'bin_long', args: [x!, span!], t: e.type };
        if (x!.t === 'timespan') return { e: 'fn', f: 'bin_long', args: [x!, conv(span!, 'long')], t: 'timespan' };
        return { e: 'fn', f: 'bin_num', args: [conv(x!, 'real'), conv(span!, 'real')], t: e.type };
      }
      case 'isempty': case 'isnotempty': {
        const a = this.expr(e.args[0]!, ctx);
        // Kusto: an empty array or property bag is empty too
        if (a.t === 'dynamic') return { e: 'fn', f: name + '_dyn', args: [conv(a, 'string')], t: 'bool' };
        return { e: 'fn', f: name, args: [a], t: 'bool' };
      }
      case 'iff': case 'case': case 'coalesce': case 'min_of': case 'max_of': {
        const as = args();
        const t = e.type;
        return { e: 'fn', f: name, args: as.map((a, i) => (name === 'case' ? (i % 2 === 0 && i < as.length - 1 ? conv(a, 'bool') : conv(a, t)) : name === 'iff' ? (i === 0 ? conv(a, 'bool') : conv(a, t)) : conv(a, t))), t };
      }
      case 'not': return { e: 'fn', f: 'not', args: [conv(this.expr(e.args[0]!, ctx), 'bool')], t: 'bool' };
      case 'strcat': case 'strcat_delim': return { e: 'fn', f: name, args: args().map((a) => conv(a, 'string')), t: 'string' };
      // row_rank_min / row_rank_dense(term[, restart]): a run of equal consecutive terms shares the row
      // number of its first row (min) or the count of runs so far (dense), counted again after each restart
      case 'row_rank_min': case 'row_rank_dense': {
        const [term, restartArg] = args();
        const restart = restartArg ? conv(restartArg, 'bool') : null;
        const by = restart ? restartGroups(restart) : undefined;
        const changed: IRExpr = { e: 'fn', f: 'is_distinct_from', args: [term!, { e: 'win', f: 'prev', args: [term!], t: term!.t }], t: 'bool' };
        const runStart: IRExpr = restart ? { e: 'fn', f: 'or', args: [restart, changed], t: 'bool' } : changed;
        if (name === 'row_rank_dense') return { e: 'win', f: 'restart_group', args: [runStart], by, t: 'long' };
        const index: IRExpr = { e: 'win', f: 'row_number', args: [], by, t: 'long' };
        return { e: 'win', f: 'running_max', args: [{ e: 'fn', f: 'iff', args: [runStart, index, lit('long', null)], t: 'long' }], by, t: 'long' };
      }
      case 'row_number': case 'prev': case 'next': case 'row_cumsum': {
        const as = args();
        // row_cumsum(term, restart): a running sum per run of rows that starts where restart is true;
        // row_number(start, restart): numbered from start again where restart is true
        if ((name === 'row_cumsum' || name === 'row_number') && as[1]) {
          return { e: 'win', f: name, args: [as[0]!], by: restartGroups(as[1]), t: e.type };
        }
        // prev/next's default takes the value's type (next(Timestamp, 1, 0))
        if ((name === 'prev' || name === 'next') && as[2]) as[2] = conv(as[2], as[0]!.t);
        return { e: 'win', f: name, args: as, t: e.type };
      }
      case 'extractjson': {
        const [p, j] = args();
        const raw: IRExpr = { e: 'fn', f: 'extractjson', args: [p!, conv(j!, 'string')], t: 'string' };
        return conv(raw, e.type);
      }
      case 'ingestion_time': return lit('datetime', null);
      case 'array_sort_asc': case 'array_sort_desc':
        if (e.args.slice(1).some((a) => a.type === 'dynamic')) throw new Unsupported(`${name}() of several arrays`, e.span);
        break;
      case 'string_size': return { e: 'fn', f: 'string_size', args: [conv(this.expr(e.args[0]!, ctx), 'string')], t: 'long' };
      case 'has_any': case 'has_all': throw new Unsupported(`${name}() as a function`, e.span);
      case 'column_ifexists': {
        const cname = e.args[0]?.kind === 'Literal' ? String(e.args[0].value) : '';
        const cols = ctx.inputCols;
        void cols;
        if (e.type !== 'unknown' && cname) return { e: 'col', name: cname, t: e.type };
        return this.expr(e.args[1]!, ctx);
      }
      case 'datetime_diff': case 'datetime_add': case 'datetime_part': break;
      // pack_all([ignore_null_empties]): the input row's columns as a bag
      case 'pack_all': {
        const cols = ctx.inputCols;
        if (!cols) throw new Unsupported('pack_all() outside extend, project and summarize', e.span);
        const flag = e.args[0];
        if (flag && (flag.kind !== 'Literal' || typeof flag.value !== 'boolean')) throw new Unsupported('pack_all() with a flag that is not a constant', flag.span);
        const as = cols.flatMap((c): IRExpr[] => [lit('string', c.name), { e: 'col', name: c.name, t: c.type }]);
        return { e: 'fn', f: flag?.kind === 'Literal' && flag.value === true ? 'bag_pack_nonempty' : 'bag_pack', args: as, t: 'dynamic' };
      }
      // bag_pack_columns(a, b, …) is bag_pack("a", a, "b", b, …)
      case 'bag_pack_columns': {
        const as: IRExpr[] = [];
        for (const a of e.args) {
          if (a.kind !== 'ColumnRef') throw new Unsupported('bag_pack_columns() of something other than a column', a.span);
          as.push(lit('string', a.name), this.expr(a, ctx));
        }
        return { e: 'fn', f: 'bag_pack', args: as, t: 'dynamic' };
      }
    }
    const as = args();
    if (REGEX_ARG[name] !== undefined) {
      const i = REGEX_ARG[name]!;
      const a = as[i];
      if (a && a.e === 'lit' && typeof a.v === 'string') {
        checkRegex(a.v, e.args[i]?.span ?? e.span);
        as[i] = lit('string', re2(a.v));
      }
    }
    // extract(regex, group, text, typeof(T)): the matched text converted to T (null where it does not convert)
    if (name === 'extract' && as.length === 4) return conv({ e: 'fn', f: name, args: as.slice(0, 3), t: 'string' }, e.type);
    return { e: 'fn', f: name, args: as, t: e.type };
  }
}

/** Which argument of a function is a regular expression. */
const REGEX_ARG: Record<string, number> = { extract: 0, extract_all: 0, replace_regex: 1, replace: 0, countof: -1, matches: 1 };

/**
 * A constant pattern that no regex engine reads is refused with its position, not left for DuckDB to fail
 * on with a bare "missing )". JavaScript's syntax is close enough to catch unbalanced groups and brackets
 * and quantifiers with nothing to repeat; what only RE2 refuses (lookarounds) still fails when run.
 */
function checkRegex(pattern: string, span: Span): void {
  try {
    // RE2's inline flags, (?i) and (?s:…), and code points, \x{1F300}, are not JavaScript's
    new RegExp(pattern.replace(/\(\?P</g, '(?<').replace(/\(\?[imsU-]+\)/g, '').replace(/\(\?[imsU-]+:/g, '(?:').replace(/\\x\{[0-9a-fA-F]+\}/g, 'x'));
  } catch (err) {
    throw new InvalidQuery(`invalid regular expression ${JSON.stringify(pattern)}: ${String((err as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`, span);
  }
}

/** .NET regex → RE2: named groups (?<n>…) are written (?P<n>…). */
export function re2(p: string): string {
  return p.replace(/\(\?<([A-Za-z_])/g, '(?P<$1');
}

/** The column a converted expression such as todynamic(X) is named after. */
function refName(e: Expr): string | null {
  if (e.kind === 'ColumnRef') return e.name;
  if (e.kind === 'Call' && e.args.length >= 1) return refName(e.args[0]!);
  return null;
}

function unname(e: Expr): Expr {
  return e.kind === 'Named' ? e.expr : e;
}

/** The runs a restart condition starts, numbered: what restartable window functions partition by. */
function restartGroups(restart: IRExpr): IRExpr {
  return { e: 'win', f: 'restart_group', args: [conv(restart, 'bool')], t: 'long' };
}

function containsWindow(x: IRExpr): boolean {
  if (x.e === 'win') return true;
  if (x.e === 'fn' || x.e === 'agg') return x.args.some(containsWindow);
  if (x.e === 'path') return containsWindow(x.base);
  return false;
}
