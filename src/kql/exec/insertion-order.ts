// Whether a query's result depends on the order rows were stored in. KQL promises no row order without
// sort/top/serialize, so a query that does not depend on it runs with DuckDB's preserve_insertion_order off:
// the scan, filters and the final LIMIT then run on every thread (measured: 1.7-2x faster wall time on 2
// cores for the seed queries returning 25k-100k rows). Conservative: any step whose rows or values may
// follow the input order (take, serialize and window functions, sort, top-nested, mv-apply, range,
// order-sensitive aggregates, innerunique's pick per key, toscalar's first row, mv-expand items that reach the
// result in their order) keeps the order.
import type { IRExpr, Plan } from '../ir/plan.js';

/** Aggregates whose value does not depend on the order of their input rows. */
const ORDER_FREE_AGGS = new Set([
  'count', 'countif', 'dcount', 'dcountif', 'count_distinct', 'count_distinctif', 'sum', 'sumif', 'avg', 'avgif',
  'min', 'max', 'minif', 'maxif', 'stdev', 'stdevp', 'variance', 'variancep', 'stdevif', 'varianceif', 'variancepif', 'covariance', 'covariancep', 'covarianceif',
  'percentile', 'percentiles', 'binary_all_or', 'binary_all_and', 'binary_all_xor', 'hll', 'arg_max_key', 'arg_min_key',
]);

/** True when the plan's result may differ if its input rows came in another order than stored. */
export function dependsOnInputOrder(plan: Plan): boolean {
  return needs(plan, false, true);
}

/**
 * `ordered`: the consumer of this plan's rows relies on their order; `shown`: their order is the result's
 * (nothing between reorders them), where mv-expand's items must keep theirs.
 */
function needs(p: Plan, ordered: boolean, shown: boolean): boolean {
  switch (p.op) {
    case 'scan': case 'ref': case 'values': case 'external': return ordered;
    case 'range': case 'sort': case 'limit': case 'window': case 'topnested': case 'mvapply': return true;
    case 'filter': return exprNeeds(p.cond) || needs(p.input, ordered, shown);
    case 'project': return p.exprs.some(exprNeeds) || needs(p.input, ordered, shown);
    case 'aggregate': return [...p.keys, ...p.aggs].some(exprNeeds) || needs(p.input, p.aggs.some(aggNeedsOrder), false);
    case 'distinct': return needs(p.input, false, false);
    case 'join': return p.on.some((o) => exprNeeds(o.left) || exprNeeds(o.right)) || needs(p.left, p.kind === 'innerunique', false) || needs(p.right, false, false);
    case 'union': return p.inputs.some((x) => needs(x, ordered, shown));
    // an input row's items in order, as Kusto lists them, unless a later step drops the order anyway
    case 'mvexpand': return ordered || shown || p.expand.some((x) => exprNeeds(x.expr)) || needs(p.input, false, false);
    case 'with': return p.ctes.some((c) => needs(c.plan, false, false)) || needs(p.body, ordered, shown);
  }
}

/** An aggregate expression with an aggregate whose value may follow the input order (make_list, take_any, arg_max, …). */
function aggNeedsOrder(x: IRExpr): boolean {
  if (x.e === 'agg') return !ORDER_FREE_AGGS.has(x.f) || x.args.some(exprNeeds);
  if (x.e === 'fn') return x.args.some(aggNeedsOrder);
  return exprNeeds(x);
}

/** An expression holding a step that depends on row order (a window function, toscalar, an order-sensitive subquery). */
function exprNeeds(x: IRExpr): boolean {
  switch (x.e) {
    case 'col': case 'lit': return false;
    case 'win': return true;
    case 'scalar': return true;
    case 'inset': return exprNeeds(x.left) || needs(x.plan, false, false);
    case 'path': return exprNeeds(x.base);
    case 'fn': case 'agg': return x.args.some(exprNeeds);
  }
}
