// SQL does not let a window function take another one as an argument (row_cumsum(x, k != prev(k)),
// or the restart groups row_cumsum's second argument becomes): the inner ones are computed first, as
// hidden columns of window steps under the operator that uses them, one step per level of nesting.
import type { Column, IRExpr, Plan } from './plan.js';

export interface Staged { input: Plan; exprs: IRExpr[] }

interface Lifted { x: IRExpr; level: number }

/** `x` with each child expression replaced by what `f` makes of it, and the highest level `f` reports. */
function mapChildren(x: IRExpr, f: (child: IRExpr) => Lifted): Lifted {
  switch (x.e) {
    case 'win': case 'fn': case 'agg': {
      let level = 0;
      const child = (a: IRExpr): IRExpr => {
        const r = f(a);
        level = Math.max(level, r.level);
        return r.x;
      };
      const args = x.args.map(child);
      if (x.e === 'win' && x.by) return { x: { ...x, args, by: child(x.by) }, level };
      return { x: { ...x, args }, level };
    }
    case 'path': { const r = f(x.base); return { x: { ...x, base: r.x }, level: r.level }; }
    case 'inset': { const r = f(x.left); return { x: { ...x, left: r.x }, level: r.level }; }
    default: return { x, level: 0 };
  }
}

export function stageWindows(input: Plan, exprs: IRExpr[]): Staged {
  const levels: { name: string; expr: IRExpr }[][] = [];
  let hidden = 0;

  // the number of window steps that must run before `x` can be computed, with its inner windows replaced
  const lift = (x: IRExpr): Lifted => mapChildren(x, x.e === 'win' ? asColumns : lift);

  // an argument of a window: each window in it becomes a hidden column of the step at its level
  const asColumns = (x: IRExpr): Lifted => {
    if (x.e !== 'win') return mapChildren(x, asColumns);
    const inner = lift(x);
    const name = `\u0000win${hidden++}`;
    (levels[inner.level] ??= []).push({ name, expr: inner.x });
    return { x: { e: 'col', name, t: x.t }, level: inner.level + 1 };
  };

  const out = exprs.map((x) => lift(x).x);
  let plan = input;
  for (const step of levels) {
    if (!step) continue;
    const columns: Column[] = [...plan.columns, ...step.map((s) => ({ name: s.name, type: s.expr.t }))];
    const passed: IRExpr[] = plan.columns.map((c) => ({ e: 'col', name: c.name, t: c.type }));
    plan = { op: 'window', input: plan, exprs: [...passed, ...step.map((s) => s.expr)], columns };
  }
  return { input: plan, exprs: out };
}
