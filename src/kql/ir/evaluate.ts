// evaluate bag_unpack, pivot, ipv4_lookup and ipv6_lookup. With an output schema (`: (*, a:long)`) bag_unpack
// and pivot lower to a projection / a conditional aggregation; without one their columns depend on the data, so
// lowering stops with NeedsProbe (see probe.ts). ipv4_lookup and ipv6_lookup are joins on an address range.
import { Unsupported, type Column, type Expr, type Operator, type Query, type Span } from '../frontend/ast.js';
import { NeedsProbe, type BagConflict } from './probe.js';
import type { IRExpr, Plan } from './plan.js';

export interface EvaluateApi {
  /** Lowers an expression over the operator's input (agg: inside an aggregation). */
  expr(e: Expr, agg?: boolean): IRExpr;
  /** Lowers a tabular argument. */
  table(q: Query): Plan;
  /** The plan with the let-bound CTEs lowered so far (so a probe can run on its own). */
  withCtes(p: Plan): Plan;
}

type Evaluate = Extract<Operator, { kind: 'EvaluateOperator' }>;

/** Plugin arguments by parameter: named ones (`columnsConflict='keep_source'`) by name, the rest in order. */
function pluginArgs(args: Expr[], names: string[]): Map<string, Expr> {
  const out = new Map<string, Expr>();
  let k = 0;
  for (const a of args) {
    if (a.kind === 'Named' && a.names.length === 1) out.set(a.names[0]!.toLowerCase(), a.expr);
    else if (k < names.length) out.set(names[k++]!.toLowerCase(), a);
  }
  return out;
}

function constant(api: EvaluateApi, e: Expr | undefined, what: string, span: Span): unknown {
  if (!e) return undefined;
  const x = api.expr(e);
  if (x.e !== 'lit') throw new Unsupported(`${what} that is not a constant`, span);
  return x.v;
}

const conv = (x: IRExpr, t: Column['type']): IRExpr => (x.t === t ? x : { e: 'fn', f: 'convert', args: [x], t });

export function lowerEvaluate(api: EvaluateApi, op: Evaluate, input: Plan, schema: Column[], span: Span): Plan {
  if (op.plugin === 'bag_unpack') return bagUnpack(api, op, input, schema, span);
  if (op.plugin === 'pivot') return pivot(api, op, input, schema, span);
  if (op.plugin === 'ipv4_lookup' || op.plugin === 'ipv6_lookup') return ipLookup(api, op, input, schema, span);
  throw new Unsupported(`evaluate ${op.plugin}`, span);
}

/**
 * `T | evaluate ipv4_lookup(Lookup, SourceKey, LookupKey [, ExtraKey…] [, return_unmatched])`: the rows of T
 * joined to the lookup rows whose address or prefix (a.b.c.d or a.b.c.d/n) holds T's address, and whose
 * extra keys are equal; with return_unmatched, T's other rows too (the lookup's columns empty). The
 * columns are the binder's: T's, then the lookup's that T does not have (as with the lookup operator).
 * ipv6_lookup is the same over IPv6 addresses and prefixes (IPv4 ones taken as ::ffff:a.b.c.d), whose range
 * ends are canonical texts (fixed-width hex, so their order is the addresses' order).
 */
function ipLookup(api: EvaluateApi, op: Evaluate, input: Plan, schema: Column[], span: Span): Plan {
  const name = op.plugin;
  const v6 = name === 'ipv6_lookup';
  const [table, source, key, ...rest] = op.args;
  if (table?.kind !== 'Tabular') throw new Unsupported(`${name} without a lookup table`, span);
  if (source?.kind !== 'ColumnRef' || key?.kind !== 'ColumnRef') throw new Unsupported(`${name} keys that are not columns`, span);
  const lookup = api.table(table.query);
  let unmatched = false;
  const extra: string[] = [];
  // columns are extra keys; the flag comes last, by position or as return_unmatched = …
  for (const a of rest) {
    if (a.kind === 'ColumnRef') extra.push(a.name);
    else unmatched = constant(api, a.kind === 'Named' ? a.expr : a, `${name} return_unmatched`, span) === true;
  }
  const has = (p: Plan, n: string): Column => {
    const c = p.columns.find((x) => x.name === n);
    if (!c) throw new Unsupported(`${name} key '${n}' missing from a side`, span);
    return c;
  };
  const col = (c: Column): IRExpr => ({ e: 'col', name: c.name, t: c.type });
  const src = col(has(input, source.name)), net = col(has(lookup, key.name));
  const text = (x: IRExpr): IRExpr => conv(x, 'string');
  // helper columns (dropped by the join's columns, which are the binder's)
  const A = `[${name} address]`, LO = `[${name} first]`, HI = `[${name} last]`;
  const t = v6 ? 'string' : 'long';
  const first = v6 ? 'ipv6_range_first' : 'parse_ipv4', last = v6 ? 'ipv6_range_last' : 'ipv4_range_last';
  const left: Plan = { op: 'project', input, exprs: [...input.columns.map(col), { e: 'fn', f: first, args: [text(src)], t }], columns: [...input.columns, { name: A, type: t }] };
  const right: Plan = {
    op: 'project', input: lookup,
    exprs: [...lookup.columns.map(col), { e: 'fn', f: first, args: [text(net)], t }, { e: 'fn', f: last, args: [text(net)], t }],
    columns: [...lookup.columns, { name: LO, type: t }, { name: HI, type: t }],
  };
  const on = extra.map((n) => ({ left: col(has(input, n)), right: col(has(lookup, n)) }));
  return { op: 'join', kind: unmatched ? 'leftouter' : 'inner', left, right, on, range: { left: A, lo: LO, hi: HI }, columns: schema, lookup: true } as Plan;
}

function bagUnpack(api: EvaluateApi, op: Evaluate, input: Plan, schema: Column[], span: Span): Plan {
  const a = pluginArgs(op.args, ['column', 'OutputColumnPrefix', 'columnsConflict', 'ignoredProperties']);
  const bagArg = a.get('column');
  if (!bagArg) throw new Unsupported('bag_unpack without a column', span);
  const bag = conv(api.expr(bagArg), 'dynamic');
  const bagName = bagArg.kind === 'ColumnRef' ? bagArg.name : null;
  const prefix = String(constant(api, a.get('outputcolumnprefix'), 'bag_unpack prefix', span) ?? '');
  const conflict = String(constant(api, a.get('columnsconflict'), 'bag_unpack columnsConflict', span) ?? 'error') as BagConflict;
  if (!['error', 'replace_source', 'keep_source'].includes(conflict)) throw new Unsupported(`bag_unpack columnsConflict='${conflict}'`, span);
  const ignoredRaw = constant(api, a.get('ignoredproperties'), 'bag_unpack ignoredProperties', span);
  const ignored = Array.isArray(ignoredRaw) ? ignoredRaw.map(String) : ignoredRaw == null ? [] : [String(ignoredRaw)];
  const sources = input.columns.filter((c) => c.name !== bagName);
  if (!op.schema) {
    const plan: Plan = { op: 'project', input, exprs: [bag], columns: [{ name: 'bag', type: 'dynamic' }] };
    throw new NeedsProbe({ kind: 'bag_unpack', plan: api.withCtes(plan), insertAt: op.insertAt, prefix, conflict, ignored, inputColumns: sources.map((c) => c.name) });
  }
  const explicit = new Set(op.schema.names);
  const exprs = schema.map((c): IRExpr => {
    const source = sources.find((s) => s.name === c.name);
    // a column named in the schema comes from the bag, unless it is a source column kept on conflict
    if (explicit.has(c.name) && !(source && conflict !== 'replace_source')) {
      const key = prefix && c.name.startsWith(prefix) ? c.name.slice(prefix.length) : c.name;
      return conv({ e: 'path', base: bag, path: [key], t: 'dynamic' }, c.type);
    }
    if (!source) return { e: 'lit', t: c.type, v: null };
    return conv({ e: 'col', name: c.name, t: source.type }, c.type);
  });
  return { op: 'project', input, exprs, columns: schema };
}

/** Columns an expression reads. */
function columnsOf(e: Expr, out: Set<string>): Set<string> {
  if (e.kind === 'ColumnRef') out.add(e.name);
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) v.forEach((x) => { if (x && typeof x === 'object' && 'kind' in x && 'span' in x) columnsOf(x as Expr, out); });
    else if (v && typeof v === 'object' && 'kind' in v && 'span' in v && (v as { kind: string }).kind !== 'Pipe') columnsOf(v as Expr, out);
  }
  return out;
}

/** The aggregate restricted to rows where `cond` holds (its *if form). */
function onlyWhere(x: IRExpr, cond: IRExpr, span: Span): IRExpr {
  if (x.e === 'fn' && x.f === 'convert') return { ...x, args: [onlyWhere(x.args[0]!, cond, span)] };
  if (x.e !== 'agg') throw new Unsupported('pivot with an aggregation that is not a single aggregate call', span);
  const and = (c: IRExpr): IRExpr => ({ e: 'fn', f: 'and', args: [c, cond], t: 'bool' });
  const IF: Record<string, string> = { sum: 'sumif', avg: 'avgif', min: 'minif', max: 'maxif', dcount: 'dcountif', count_distinct: 'count_distinctif', take_any: 'take_anyif', stdev: 'stdevif', variance: 'varianceif', make_set: 'make_set_if', make_list: 'make_list_if' };
  const [first, ...rest] = x.args;
  if (x.f === 'count' && !x.args.length) return { ...x, f: 'countif', args: [cond] };
  if (x.f === 'countif') return { ...x, args: [and(first!)] };
  // a cell without rows: 0 for sum, as for count (Kusto's pivot tables show 0)
  if (x.f === 'sum') return { e: 'fn', f: 'coalesce', args: [{ ...x, f: 'sumif', args: [first!, cond] }, { e: 'lit', t: x.t, v: 0 }], t: x.t };
  if (IF[x.f]) return { ...x, f: IF[x.f]!, args: [first!, cond, ...rest] };
  if (/if$/.test(x.f) || x.f === 'make_set_if' || x.f === 'make_list_if') return { ...x, args: [first!, and(rest[0]!), ...rest.slice(1)] };
  throw new Unsupported(`pivot with ${x.f}()`, span);
}

function pivot(api: EvaluateApi, op: Evaluate, input: Plan, schema: Column[], span: Span): Plan {
  const [pivotArg, aggArg, ...keyArgs] = op.args;
  if (!pivotArg) throw new Unsupported('pivot without a column', span);
  const hasAgg = aggArg && aggArg.kind === 'Call' && aggArg.aggregate;
  const aggIr: IRExpr = hasAgg ? api.expr(aggArg, true) : { e: 'agg', f: 'count', args: [], t: 'long' };
  const keyExprs = hasAgg ? keyArgs : aggArg ? [aggArg, ...keyArgs] : [];
  let keys: Column[];
  if (keyExprs.length) {
    keys = keyExprs.map((k) => {
      if (k.kind !== 'ColumnRef') throw new Unsupported('pivot by an expression that is not a column', span);
      return { name: k.name, type: input.columns.find((c) => c.name === k.name)?.type ?? k.type };
    });
  } else {
    // default: every column other than the pivot column and the columns the aggregation reads
    const used = columnsOf(pivotArg, new Set());
    if (hasAgg) columnsOf(aggArg, used);
    keys = input.columns.filter((c) => !used.has(c.name));
  }
  const value = conv(api.expr(pivotArg), 'string');
  if (!op.schema) {
    const plan: Plan = { op: 'project', input, exprs: [value], columns: [{ name: 'v', type: 'string' }] };
    throw new NeedsProbe({ kind: 'pivot', plan: api.withCtes(plan), insertAt: op.insertAt, keys, valueType: aggIr.t });
  }
  const isKey = (n: string) => keys.some((k) => k.name === n);
  const values = schema.filter((c) => !isKey(c.name));
  const aggs = values.map((c) => conv(onlyWhere(aggIr, { e: 'fn', f: 'eq', args: [value, { e: 'lit', t: 'string', v: c.name }], t: 'bool' }, span), c.type));
  const cols = [...keys, ...values];
  const grouped: Plan = { op: 'aggregate', input, keys: keys.map((k) => ({ e: 'col', name: k.name, t: k.type })), aggs, columns: cols };
  if (cols.every((c, i) => schema[i]?.name === c.name)) return { ...grouped, columns: schema };
  return { op: 'project', input: grouped, exprs: schema.map((c) => ({ e: 'col', name: c.name, t: cols.find((x) => x.name === c.name)!.type })), columns: schema };
}
