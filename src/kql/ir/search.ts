// search: a predicate of terms over every column of a table, as Kusto defines it
//   "x"      → some column has "x" (a whole term)     "x*"  → hasprefix      "*x" → hassuffix
//   "*x*"    → contains                                "a*b" → matches regex \ba.*b\b
//   Col:"x"  → the same test on one column (false in a table without it)
// case-insensitive unless kind=case_sensitive. Other conditions are ordinary filters; a condition
// naming a column the table lacks is false for that table.
import type { Column, Expr, SearchPred } from '../frontend/ast.js';
import type { IRExpr } from './plan.js';

const bool = (v: boolean): IRExpr => ({ e: 'lit', t: 'bool', v });

function asString(c: Column): IRExpr {
  const col: IRExpr = { e: 'col', name: c.name, t: c.type };
  return c.type === 'string' ? col : { e: 'fn', f: 'convert', args: [col], t: 'string' };
}

function reEscape(s: string): string {
  return s.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The test of one term on one column. */
export function termMatch(x: IRExpr, term: string, cs: boolean): IRExpr {
  const lit = (v: string): IRExpr => ({ e: 'lit', t: 'string', v });
  const fn = (f: string, v: string): IRExpr => ({ e: 'fn', f, args: [x, lit(v)], t: 'bool' });
  if (!term.includes('*')) return fn(cs ? 'has_cs' : 'has', term);
  if (/^\*+$/.test(term)) return bool(true);
  let m = /^\*([^*]+)\*$/.exec(term);
  if (m) return fn(cs ? 'contains_cs' : 'contains', m[1]!);
  m = /^([^*]+)\*$/.exec(term);
  if (m) return fn(cs ? 'hasprefix_cs' : 'hasprefix', m[1]!);
  m = /^\*([^*]+)$/.exec(term);
  if (m) return fn(cs ? 'hassuffix_cs' : 'hassuffix', m[1]!);
  const re = term.split('*').map(reEscape).join('.*');
  return fn('matches', `${cs ? '' : '(?i)'}\\b${re}\\b`);
}

function columnsOf(e: Expr, out: Set<string>): Set<string> {
  if (e.kind === 'ColumnRef') out.add(e.name);
  for (const v of Object.values(e)) {
    if (Array.isArray(v)) v.forEach((x) => { if (x && typeof x === 'object' && 'kind' in x && 'span' in x) columnsOf(x as Expr, out); });
    else if (v && typeof v === 'object' && 'kind' in v && 'span' in v && 'type' in v) columnsOf(v as Expr, out);
  }
  return out;
}

function or(a: IRExpr, b: IRExpr): IRExpr {
  return { e: 'fn', f: 'or', args: [a, b], t: 'bool' };
}

/** The predicate on a table with columns `cols`; `lower` lowers an ordinary condition. */
export function searchCondition(p: SearchPred, cols: Column[], cs: boolean, lower: (e: Expr) => IRExpr): IRExpr {
  switch (p.kind) {
    case 'and': case 'or': return { e: 'fn', f: p.kind, args: [searchCondition(p.left, cols, cs, lower), searchCondition(p.right, cols, cs, lower)], t: 'bool' };
    case 'not': return { e: 'fn', f: 'not', args: [searchCondition(p.operand, cols, cs, lower)], t: 'bool' };
    case 'term': {
      if (p.column !== null) {
        const c = cols.find((x) => x.name === p.column);
        return c ? termMatch(asString(c), p.text, cs) : bool(false);
      }
      const tests = cols.filter((c) => !c.name.startsWith('$')).map((c) => termMatch(asString(c), p.text, cs));
      return tests.length ? tests.reduce(or) : bool(false);
    }
    case 'expr': {
      const names = new Set(cols.map((c) => c.name));
      for (const n of columnsOf(p.expr, new Set())) if (!names.has(n)) return bool(false);
      const x = lower(p.expr);
      return x.t === 'bool' ? x : { e: 'fn', f: 'convert', args: [x], t: 'bool' };
    }
  }
}
