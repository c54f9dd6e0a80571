// make-series: per group, one array per aggregation over the bins from..to (end excluded) by step,
// absent bins filled with the default (0 unless `default=` says otherwise), and the bins' axis array.
// Lowered to: filter to the range → aggregate by keys and bin number → collect each group's
// (bin, value) pairs → fill the grid.
import { Unsupported, type Column, type Expr, type Operator, type Span } from '../frontend/ast.js';
import type { IRExpr, KType, Plan } from './plan.js';

type MakeSeries = Extract<Operator, { kind: 'MakeSeriesOperator' }>;

const unname = (e: Expr): Expr => (e.kind === 'Named' ? e.expr : e);
const col = (name: string, t: KType): IRExpr => ({ e: 'col', name, t });
const fn = (f: string, args: IRExpr[], t: KType): IRExpr => ({ e: 'fn', f, args, t });

export function lowerMakeSeries(expr: (e: Expr, agg?: boolean) => IRExpr, op: MakeSeries, input: Plan, schema: Column[], span: Span): Plan {
  const nb = op.by.length, na = op.aggregates.length;
  if (schema.length !== nb + na + 1) throw new Unsupported('make-series with this output', span);
  const axis = expr(op.on);
  if (axis.t !== 'datetime' && axis.t !== 'long' && axis.t !== 'int' && axis.t !== 'real') throw new Unsupported(`make-series on a ${axis.t} axis`, span);
  const step = expr(op.step);
  const dt = axis.t === 'datetime';
  // without from/to: the data's own range (from the first bin to past the last one)
  const extreme = (f: 'min' | 'max'): IRExpr => ({
    e: 'scalar', t: axis.t,
    plan: { op: 'aggregate', input, keys: [], aggs: [{ e: 'agg', f, args: [axis], t: axis.t }], columns: [{ name: f, type: axis.t }] },
  });
  const binOf = (x: IRExpr): IRExpr => (dt ? fn('bin_dt', [x, step], 'datetime') : fn('bin_num', [x, step], 'real'));
  const from = op.from ? expr(op.from) : binOf(extreme('min'));
  const to = op.to ? expr(op.to) : dt ? fn('dt_add', [binOf(extreme('max')), step], 'datetime') : fn('add', [binOf(extreme('max')), step], 'real');
  const n = fn('series_count', [from, to, step], 'long');

  const inRange = fn('and', [fn('ge', [axis, from], 'bool'), fn('lt', [axis, to], 'bool')], 'bool');
  const filtered: Plan = { op: 'filter', input, cond: inRange, columns: input.columns };
  const keyCols = schema.slice(0, nb);
  const keys = op.by.map((b, i) => {
    const x = expr(unname(b));
    return x.t === keyCols[i]!.type ? x : { e: 'fn', f: 'convert', args: [x], t: keyCols[i]!.type } as IRExpr;
  });
  const aggs = op.aggregates.map((a) => expr(unname(a.expr), true));
  const binCol: Column = { name: '\u0000bin', type: 'long' };
  const valueCols: Column[] = aggs.map((a, i) => ({ name: `\u0000v${i}`, type: a.t }));
  const perBin: Plan = { op: 'aggregate', input: filtered, keys: [...keys, fn('series_bin', [axis, from, step], 'long')], aggs, columns: [...keyCols, binCol, ...valueCols] };

  // each group's bins and values as lists ordered by bin (SQL lists, not JSON: only used by series_fill)
  // from and the bin count ride along as columns: lambdas cannot hold the subqueries that compute them from the data
  const listCols: Column[] = [{ name: '\u0000bins', type: 'dynamic' }, ...valueCols.map((c, i) => ({ name: `\u0000l${i}`, type: 'dynamic' as KType })), { name: '\u0000from', type: from.t }, { name: '\u0000n', type: 'long' }];
  const fromCol = col('\u0000from', from.t), nCol = col('\u0000n', 'long');
  const bins = col(binCol.name, 'long');
  const grouped: Plan = {
    op: 'aggregate', input: perBin, keys: keyCols.map((c) => col(c.name, c.type)),
    aggs: [
      { e: 'agg', f: 'series_list', args: [bins, bins], t: 'dynamic' },
      ...valueCols.map((c): IRExpr => ({ e: 'agg', f: 'series_list', args: [col(c.name, c.type), bins], t: 'dynamic' })),
      { e: 'agg', f: 'take_any', args: [from], t: from.t }, { e: 'agg', f: 'take_any', args: [n], t: 'long' },
    ],
    columns: [...keyCols, ...listCols],
  };
  const nonEmpty: Plan = { op: 'filter', input: grouped, cond: fn('series_nonempty', [col(listCols[0]!.name, 'dynamic')], 'bool'), columns: grouped.columns };
  const exprs: IRExpr[] = [
    ...keyCols.map((c) => col(c.name, c.type)),
    ...op.aggregates.map((a, i) => {
      const def = a.default ? expr(a.default) : { e: 'lit', t: aggs[i]!.t === 'real' ? 'real' : 'long', v: 0 } as IRExpr;
      return fn('series_fill', [col(listCols[0]!.name, 'dynamic'), col(listCols[i + 1]!.name, 'dynamic'), nCol, def], 'dynamic');
    }),
    fn('series_axis', [fromCol, step, nCol], 'dynamic'),
  ];
  return { op: 'project', input: nonEmpty, exprs, columns: schema };
}
