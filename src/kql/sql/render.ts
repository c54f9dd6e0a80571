// Renders an IR plan to one SQL statement through a dialect. Filters and projections are composed
// into the enclosing SELECT (column expressions are substituted, not nested) so DuckDB sees the query
// an expert would write: json_extract_string(AdditionalFields, '$.x') straight on the column.
import { applyTemplate, dropsArguments, type Dialect, type FnTemplate, type RenderedArg } from './dialect.js';
import type { Column, IRExpr, KType, Plan } from '../ir/plan.js';
import { Unsupported } from '../frontend/ast.js';
import { placeholder } from '../external/resolve.js';
import { rowsJsonSql } from './row-json.js';
import { prefilterable, prefilterSql } from './json-prefilter.js';

interface Rel {
  from: string;
  cols: Map<string, string>;
  columns: Column[];
  where: string[];
  orderBy: string[];
  limit: string | null;
  /** SQL of a row order column (set after a window/serialize step). */
  ord: string | null;
}

/** Per column map: dynamic columns that are a path into JSON text (todynamic(string) or a member of one). */
/**
 * A dynamic value as a path into `base`: JSON, or JSON text from a string (`text`: it may not parse).
 * `source`: the SQL of that string, when it is a stored column (for the keys the store extracted, see `extracted`).
 */
interface DynInfo { base: string; path: (string | number)[]; text?: boolean; source?: string }
const DYN = new WeakMap<Map<string, string>, Map<string, DynInfo>>();
/** Per column map: string columns extracted from JSON text (tostring(json.path)), by the SQL of the text. */
const JSON_STRINGS = new WeakMap<Map<string, string>, Map<string, string>>();

const NO_FOLD = Symbol('no-fold');

const FINAL_CAST = new Set<KType>(['int', 'long', 'real', 'decimal', 'bool', 'timespan']);

export interface TableNames {
  sqlName(table: string, column: string): string;
  hasTable(table: string): boolean;
  /**
   * Where a table's rows are kept, read without its view: the relation and each column's SQL over an alias.
   * Column expressions are composed into the query like any other, so DuckDB evaluates them after the filters.
   */
  storage?(table: string): {
    from: string;
    column(name: string, alias: string): string;
    /**
     * SQL of a column the store keeps with `key` of JSON text column `name` extracted, exactly
     * try(json_extract_string(NULLIF(text, ''), '$."key"')); null when it keeps none.
     */
    extracted?(name: string, key: string, alias: string): string | null;
  } | null;
}

/** Whether a window function of the expression runs over partitions of the rows. */
function partitioned(x: IRExpr): boolean {
  if (x.e === 'win') return !!x.by || x.args.some(partitioned);
  if (x.e === 'fn') return x.args.some(partitioned);
  return false;
}

export class SqlRenderer {
  private alias = 0;
  /** Subtables of mv-apply being rendered: a ref to one of these names reads it (correlated to the outer row). */
  private contexts = new Map<string, string>();
  /** By the SQL reading a stored JSON text column: the SQL of the column holding a key extracted, or null. */
  private extractedKeys = new Map<string, (key: string) => string | null>();
  constructor(readonly d: Dialect, readonly names: TableNames) {}

  /**
   * The query's SQL; `rowsAsJson`: each row as a JSON object followed by a comma (VARCHAR "row"), encoded as
   * Defender's API encodes values, and "recode" (BOOLEAN), true where the text may differ from JavaScript's
   * JSON.stringify of the parsed row; at most __WIREHUNT_LIMIT__ rows (the caller substitutes it).
   */
  render(plan: Plan, rowsAsJson = false): string {
    const top = (r: Rel): string => {
      if (!rowsAsJson) return this.finalize(r, false);
      return rowsJsonSql(r.columns, this.finalize({ ...r }, true, true), (name) => this.d.literal('string', name));
    };
    if (plan.op === 'with') {
      const ctes = plan.ctes.map((c) => `${this.d.quoteIdent(c.name)} AS (${this.finalize(this.rel(c.plan), true)})`);
      return `WITH ${ctes.join(',\n')}\n${top(this.rel(plan.body))}`;
    }
    return top(this.rel(plan));
  }

  private next(): string {
    return `t${++this.alias}`;
  }

  /** SELECT statement for a relation; internal = columns named c0…cN (for subqueries/CTEs); cast = to the binder's types. */
  finalize(r: Rel, internal: boolean, cast = !internal): string {
    const sel = r.columns.map((c, i) => {
      let v = r.cols.get(c.name) ?? 'NULL';
      // the result carries the binder's type exactly (e.g. int arithmetic that Kusto widens to long)
      if (cast && FINAL_CAST.has(c.type)) v = `CAST(${v} AS ${this.d.sqlType(c.type)})`;
      return `${v} AS ${internal ? `c${i}` : this.d.quoteIdent(c.name)}`;
    });
    let sql = `SELECT ${sel.join(', ') || '1 AS __empty'} FROM ${r.from}`;
    if (r.where.length) sql += ` WHERE ${r.where.join(' AND ')}`;
    if (r.orderBy.length) sql += ` ORDER BY ${r.orderBy.join(', ')}`;
    if (r.limit !== null) sql += ` LIMIT ${r.limit}`;
    return sql;
  }

  /**
   * Wraps a relation as a subquery so that later steps see plain columns. `numbered`: its rows get a row
   * number in the order they come even when no sort gave them one, and are ordered by it from then on.
   */
  private wrap(r: Rel, numbered = false): Rel {
    const a = this.next();
    const cols = new Map<string, string>();
    r.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
    const keepOrder = r.orderBy.length > 0 || numbered;
    let inner = r;
    let ord: string | null = null;
    if (keepOrder) {
      // carry the order through the subquery as a row number
      const idx = r.columns.length;
      const over = r.orderBy.length ? `ORDER BY ${r.orderBy.join(', ')}` : '';
      inner = { ...r, columns: [...r.columns, { name: '\u0000ord', type: 'long' }], cols: new Map([...r.cols, ['\u0000ord', `row_number() OVER (${over})`]]) };
      ord = `${a}.c${idx}`;
    }
    return { from: `(${this.finalize(inner, true)}) AS ${a}`, cols, columns: r.columns, where: [], orderBy: ord ? [ord] : [], limit: null, ord };
  }

  private rel(p: Plan): Rel {
    switch (p.op) {
      case 'scan': {
        if (!this.names.hasTable(p.table)) throw new Unsupported(`table ${p.table} is not in the store`, { start: 0, length: 0 });
        const a = this.next();
        const cols = new Map<string, string>();
        const storage = this.names.storage?.(p.table);
        for (const c of p.columns) {
          const sql = storage ? storage.column(c.name, a) : `${a}.${this.d.quoteIdent(this.names.sqlName(p.table, c.name))}`;
          cols.set(c.name, sql);
          const extracted = storage?.extracted;
          if (extracted && c.type === 'string') this.extractedKeys.set(sql, (key) => extracted(c.name, key, a));
        }
        return { from: `${storage ? storage.from : this.d.quoteIdent(p.table)} AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'ref': {
        const a = this.next();
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        const context = this.contexts.get(p.name);
        return { from: `${context ?? this.d.quoteIdent(p.name)} AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'mvapply': return this.mvApply(p);
      case 'values': {
        const a = this.next();
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        if (!p.columns.length) return { from: `(SELECT 1 AS c0) AS ${a}`, cols, columns: [], where: [], orderBy: [], limit: null, ord: null };
        const names = p.columns.map((_, i) => `c${i}`).join(', ');
        let from: string;
        if (!p.rows.length) from = `(SELECT ${p.columns.map((c, i) => `CAST(NULL AS ${this.d.sqlType(c.type)}) AS c${i}`).join(', ')} WHERE FALSE) AS ${a}`;
        else {
          const empty = new Map<string, string>();
          const rows = p.rows.map((r) => `(${r.map((x, i) => `CAST(${this.expr(x, empty)} AS ${this.d.sqlType(p.columns[i]!.type)})`).join(', ')})`);
          from = `(VALUES ${rows.join(', ')}) AS ${a}(${names})`;
        }
        return { from, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'external': {
        // replaced by a read of the fetched rows when the query runs (src/kql/external/resolve.ts)
        const a = this.next();
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        return { from: `${placeholder(p.id)} AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'range': {
        // the i-th value is from + i·step for i = 0 … ⌊(to − from) / step⌋, in that order (descending steps too)
        const a = this.next();
        const e = new Map<string, string>();
        const from = this.expr(p.from, e), to = this.expr(p.to, e), step = this.expr(p.step, e);
        const t = p.columns[0]!.type;
        const n = t === 'datetime' ? `floor((epoch_us(${to}) - epoch_us(${from})) * 10 / (${step}))` : `floor((${to} - ${from}) / (${step}))`;
        const v = t === 'datetime' ? `make_timestamp(CAST(epoch_us(${from}) + ${a}.range * (${step}) // 10 AS BIGINT))` : `CAST(${from} + ${a}.range * (${step}) AS ${this.d.sqlType(t)})`;
        const cols = new Map([[p.columns[0]!.name, v]]);
        return { from: `range(0, CAST(CASE WHEN (${step}) = 0 THEN -1 ELSE greatest(${n}, -1) END AS BIGINT) + 1) AS ${a}`, cols, columns: p.columns, where: [], orderBy: [`${a}.range`], limit: null, ord: null };
      }
      case 'filter': {
        let r = this.rel(p.input);
        if (r.limit !== null) r = this.wrap(r);
        const cond = this.expr(p.cond, r.cols);
        return { ...r, where: [...r.where, ...this.prefilters(p.cond, r.cols), cond] };
      }
      case 'project': {
        const r = this.rel(p.input);
        const cols = new Map<string, string>();
        const dyn = new Map<string, DynInfo>();
        const strings = new Map<string, string>();
        p.columns.forEach((c, i) => {
          const x = p.exprs[i]!;
          cols.set(c.name, this.expr(x, r.cols));
          const info = this.dynInfo(x, r.cols);
          if (info) dyn.set(c.name, info);
          const text = this.jsonTextOf(x, r.cols);
          if (text) strings.set(c.name, text);
        });
        DYN.set(cols, dyn);
        JSON_STRINGS.set(cols, strings);
        return { ...r, cols, columns: p.columns };
      }
      case 'window': {
        let r = this.rel(p.input);
        // a window over partitions returns its rows partition by partition: the order is made explicit first
        r = this.wrap(r.orderBy.length ? r : { ...r, orderBy: [] }, p.exprs.some(partitioned));
        const order = r.ord ? `ORDER BY ${r.ord}` : '';
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, this.expr(p.exprs[i]!, r.cols, order)));
        // window functions cannot be filtered in the same SELECT: later steps see plain columns
        return this.wrap({ ...r, cols, columns: p.columns });
      }
      case 'aggregate': {
        let r = this.rel(p.input);
        if (r.limit !== null) r = this.wrap(r);
        const keys = p.keys.map((k) => this.expr(k, r.cols));
        const aggs = p.aggs.map((k, i) => {
          const t = p.columns[keys.length + i]!.type;
          const sql = this.expr(k, r.cols);
          return t === 'dynamic' || t === 'string' ? sql : `CAST(${sql} AS ${this.d.sqlType(t)})`;
        });
        const a = this.next();
        const sel = [...keys, ...aggs].map((s, i) => `${s} AS c${i}`);
        let sql = `SELECT ${sel.join(', ')} FROM ${r.from}`;
        if (r.where.length) sql += ` WHERE ${r.where.join(' AND ')}`;
        if (keys.length) sql += ` GROUP BY ${keys.map((_, i) => String(i + 1)).join(', ')}`;
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        return { from: `(${sql}) AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'distinct': {
        const r = this.rel(p.input);
        const a = this.next();
        const inner = this.finalize({ ...r, orderBy: [], columns: p.columns }, true).replace(/^SELECT /, 'SELECT DISTINCT ');
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        return { from: `(${inner}) AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'sort': {
        let r = this.rel(p.input);
        if (r.limit !== null) r = this.wrap(r);
        const keys = p.keys.map((k) => `${this.expr(k.expr, r.cols)} ${k.desc ? 'DESC' : 'ASC'} NULLS ${k.nullsFirst ? 'FIRST' : 'LAST'}`);
        return { ...r, orderBy: keys };
      }
      case 'limit': {
        let r = this.rel(p.input);
        if (r.limit !== null) r = this.wrap(r);
        return { ...r, limit: this.expr(p.count, new Map()) };
      }
      case 'join': return this.join(p);
      case 'union': {
        const parts = p.inputs.map((inp, idx) => {
          const r = this.rel(inp);
          const byName = new Map(r.columns.map((c) => [c.name, c]));
          const cols = new Map<string, string>();
          for (const c of p.columns) {
            if (p.source && c.name === p.source.name) { cols.set(c.name, this.d.literal('string', p.source.labels[idx] ?? '')); continue; }
            let src = byName.get(c.name);
            // Kusto names columns whose type differs between the inputs x_long, x_int, …
            if (!src) { const m = /^(.*)_(long|int|real|string|datetime|timespan|bool|dynamic|guid|decimal)$/.exec(c.name); if (m) { const s2 = byName.get(m[1]!); if (s2 && s2.type === m[2]) src = s2; } }
            cols.set(c.name, src ? this.d.convert(r.cols.get(src.name)!, src.type, c.type) : this.d.literal(c.type, null));
          }
          // a part with its own LIMIT (take) needs a subquery of its own inside UNION ALL
          const part = this.finalize({ ...r, cols, columns: p.columns, orderBy: [] }, true);
          return r.limit !== null ? `SELECT * FROM (${part})` : part;
        });
        const a = this.next();
        const cols = new Map<string, string>();
        p.columns.forEach((c, i) => cols.set(c.name, `${a}.c${i}`));
        return { from: `(${parts.join(' UNION ALL ')}) AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
      }
      case 'mvexpand': {
        const r = this.wrap(this.rel(p.input));
        const names = new Set(p.expand.map((x) => x.name));
        const sel: string[] = [];
        const a = this.next();
        const inner = new Map<string, string>();
        p.input.columns.forEach((c, i) => { if (!names.has(c.name)) { sel.push(`${r.cols.get(c.name)} AS i${i}`); inner.set(c.name, `${a}.i${i}`); } });
        p.expand.forEach((x, j) => {
          const v = this.dyn(x.expr, r.cols);
          const list = this.itemList(v);
          sel.push(`unnest(${list}) AS e${j}`);
          if (j === 0 && (p.itemIndex || p.limit)) sel.push(`unnest(range(0, len(${list}))) AS ix`);
          inner.set(x.name, x.t === 'dynamic' ? `${a}.e${j}` : this.d.convert(`${a}.e${j}`, 'dynamic', x.t));
        });
        if (p.itemIndex) inner.set(p.itemIndex, `${a}.ix`);
        let from = `SELECT ${sel.join(', ')} FROM ${r.from}`;
        if (r.where.length) from += ` WHERE ${r.where.join(' AND ')}`;
        // limit n: at most n rows from each input row
        const where = p.limit ? [`${a}.ix < ${this.expr(p.limit, new Map())}`] : [];
        return { from: `(${from}) AS ${a}`, cols: inner, columns: p.columns, where, orderBy: [], limit: null, ord: null };
      }
      case 'topnested': return this.topNested(p);
      case 'with': throw new Unsupported('nested let', { start: 0, length: 0 });
    }
  }

  /** The JSON items of a dynamic value for mv-expand/mv-apply: an array's elements, a bag's {key: value} pairs, else the value itself. */
  private itemList(v: string): string {
    return `(CASE json_type(${v}) WHEN 'ARRAY' THEN CAST(json_extract(${v}, '$[*]') AS JSON[]) WHEN 'OBJECT' THEN list_transform(json_keys(${v}), k -> json_object(k, json_extract(${v}, '$."' || replace(k, '"', '\\"') || '"'))) ELSE [${v}] END)`;
  }

  /** mv-apply: the subquery runs per input row (LATERAL) on a subtable built from the row. */
  private mvApply(p: Extract<Plan, { op: 'mvapply' }>): Rel {
    const r = this.wrap(this.rel(p.input));
    const u = this.next();
    const lists = p.expand.map((x) => this.itemList(this.dyn(x.expr, r.cols)));
    const unnested = lists.map((l, j) => `unnest(${l}) AS e${j}`);
    if (p.itemIndex || p.limit) unnested.push(`unnest(range(0, ${lists.length > 1 ? `greatest(${lists.map((l) => `len(${l})`).join(', ')})` : `len(${lists[0]})`})) AS ix`);
    const sel = p.contextColumns.map((c, i) => {
      const j = p.expand.findIndex((x) => x.name === c.name);
      let v: string;
      if (j >= 0) v = c.type === 'dynamic' ? `${u}.e${j}` : this.d.convert(`${u}.e${j}`, 'dynamic', c.type);
      else if (c.name === p.itemIndex) v = `${u}.ix`;
      else v = r.cols.get(c.name) ?? this.d.literal(c.type, null);
      return `${v} AS c${i}`;
    });
    const limit = p.limit ? ` WHERE ${u}.ix < ${this.expr(p.limit, new Map())}` : '';
    this.contexts.set(p.context, `(SELECT ${sel.join(', ')} FROM (SELECT ${unnested.join(', ')}) AS ${u}${limit})`);
    const s = this.rel(p.sub);
    this.contexts.delete(p.context);
    const sa = this.next();
    const subSql = this.finalize(s, true);
    const cols = new Map<string, string>();
    const expanded = new Set(p.expand.map((x) => x.name));
    for (const c of p.columns) {
      const i = p.sub.columns.findIndex((x) => x.name === c.name);
      if (i >= 0) cols.set(c.name, `${sa}.c${i}`);
      else if (!expanded.has(c.name) && r.cols.has(c.name)) cols.set(c.name, r.cols.get(c.name)!);
      else cols.set(c.name, this.d.literal(c.type, null));
    }
    return { from: `${r.from}, LATERAL (${subSql}) AS ${sa}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
  }

  private join(p: Extract<Plan, { op: 'join' }>): Rel {
    const L = this.rel(p.left), R = this.rel(p.right);
    const la = this.next(), ra = this.next();
    let leftSql = this.finalize({ ...L, orderBy: [] }, true);
    const rightSql = this.finalize({ ...R, orderBy: [] }, true);
    const lIdx = (n: string) => p.left.columns.findIndex((c) => c.name === n);
    const rIdx = (n: string) => p.right.columns.findIndex((c) => c.name === n);
    const conds = p.on.map((o) => {
      const li = lIdx((o.left as { name: string }).name), ri = rIdx((o.right as { name: string }).name);
      if (li < 0 || ri < 0) throw new Unsupported('join key that is not a column', { start: 0, length: 0 });
      const lt = p.left.columns[li]!.type, rt = p.right.columns[ri]!.type;
      const l = `${la}.c${li}`, r = `${ra}.c${ri}`;
      if (lt !== rt && (lt === 'dynamic' || rt === 'dynamic')) return `${this.d.convert(l, lt, 'string')} = ${this.d.convert(r, rt, 'string')}`;
      return `${l} = ${r}`;
    });
    if (p.kind === 'innerunique') {
      const keys = p.on.map((o) => `c${lIdx((o.left as { name: string }).name)}`);
      leftSql = `SELECT * FROM (${leftSql}) QUALIFY row_number() OVER (PARTITION BY ${keys.join(', ')}) = 1`;
    }
    const kw: Record<string, string> = { innerunique: 'JOIN', inner: 'JOIN', leftouter: 'LEFT JOIN', rightouter: 'RIGHT JOIN', fullouter: 'FULL JOIN', leftsemi: 'SEMI JOIN', leftanti: 'ANTI JOIN', rightsemi: 'SEMI JOIN', rightanti: 'ANTI JOIN' };
    const swap = p.kind === 'rightsemi' || p.kind === 'rightanti';
    if (p.range) conds.push(`${la}.c${lIdx(p.range.left)} BETWEEN ${ra}.c${rIdx(p.range.lo)} AND ${ra}.c${rIdx(p.range.hi)}`);
    const on = conds.join(' AND ') || 'TRUE';
    const from = swap ? `(${rightSql}) AS ${ra} ${kw[p.kind]} (${leftSql}) AS ${la} ON ${on}` : `(${leftSql}) AS ${la} ${kw[p.kind]} (${rightSql}) AS ${ra} ON ${on}`;
    const cols = new Map<string, string>();
    const nL = p.left.columns.length, nR = p.right.columns.length;
    const lookup = (p as { lookup?: boolean }).lookup === true;
    if (p.kind === 'leftsemi' || p.kind === 'leftanti') p.columns.forEach((c) => cols.set(c.name, `${la}.c${lIdx(c.name)}`));
    else if (swap) p.columns.forEach((c) => cols.set(c.name, `${ra}.c${rIdx(c.name)}`));
    else if (!lookup && p.columns.length === nL + nR) {
      p.columns.forEach((c, i) => cols.set(c.name, i < nL ? `${la}.c${i}` : `${ra}.c${i - nL}`));
    } else {
      // by name: the left side first, then the right side (its duplicates carry Kusto's suffix 1)
      p.columns.forEach((c) => {
        const li = lIdx(c.name);
        if (li >= 0) { cols.set(c.name, `${la}.c${li}`); return; }
        let ri = rIdx(c.name);
        if (ri < 0) ri = rIdx(c.name.replace(/1$/, ''));
        if (ri < 0) ri = rIdx(c.name.replace(/\d+$/, ''));
        cols.set(c.name, ri >= 0 ? `${ra}.c${ri}` : this.d.literal(c.type, null));
      });
    }
    // string columns of the unmatched side are '' in Kusto, never null
    for (const c of p.columns) {
      const s = cols.get(c.name)!;
      if ((c.type === 'string' || c.type === 'guid') && p.kind !== 'inner' && p.kind !== 'innerunique') cols.set(c.name, `coalesce(${s}, '')`);
    }
    return { from, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
  }

  /**
   * top-nested, level by level: level i groups the rows under each kept level i-1 row by its key,
   * keeps the top n by the aggregate; "with others" adds one row per parent aggregating the rest.
   */
  private topNested(p: Extract<Plan, { op: 'topnested' }>): Rel {
    const r = this.rel(p.input);
    const L = p.levels.length;
    const bcols = new Map<string, string>();
    p.input.columns.forEach((c, i) => bcols.set(c.name, `b.c${i}`));
    const keys = p.levels.map((l, i) => `${this.expr(l.key, r.cols)} AS k${i}`);
    const inner = this.finalize({ ...r, orderBy: [] }, true).replace(/^SELECT /, () => `SELECT ${keys.join(', ')}, `); // a function: the keys' SQL may hold "$'"
    const ctes = [`b AS (${inner})`];
    const prefix = (i: number, q: string) => Array.from({ length: i }, (_, j) => `${q}.g${j} IS NOT DISTINCT FROM b.k${j}`);
    const parentCols = (i: number) => Array.from({ length: i }, (_, j) => `p.g${j}, p.a${j}`);
    const level = (i: number, key: string, where: string[]): string => {
      const l = p.levels[i]!;
      const t = p.columns[2 * i + 1]!.type;
      const agg = this.expr(l.agg, bcols);
      const sel = [...parentCols(i), `${key} AS g${i}`, `${t === 'dynamic' || t === 'string' ? agg : `CAST(${agg} AS ${this.d.sqlType(t)})`} AS a${i}`];
      let sql = `SELECT ${sel.join(', ')} FROM b`;
      if (i > 0) sql += ` JOIN l${i - 1} AS p ON ${prefix(i, 'p').join(' AND ')}`;
      if (where.length) sql += ` WHERE ${where.join(' AND ')}`;
      return `${sql} GROUP BY ${Array.from({ length: 2 * i + 1 }, (_, j) => j + 1).join(', ')} HAVING count(*) > 0`;
    };
    const outs: string[] = [];
    const pad = (i: number) => Array.from({ length: L - i - 1 }, (_, j) => `NULL AS g${i + 1 + j}, NULL AS a${i + 1 + j}`);
    p.levels.forEach((l, i) => {
      let sql = level(i, `b.k${i}`, []);
      if (l.count) sql += ` QUALIFY row_number() OVER (${i ? `PARTITION BY ${Array.from({ length: i }, (_, j) => `p.g${j}`).join(', ')} ` : ''}ORDER BY a${i} ${l.desc ? 'DESC' : 'ASC'} NULLS LAST) <= ${this.expr(l.count, new Map())}`;
      ctes.push(`l${i} AS (${sql})`);
      if (l.others) {
        const rest = `NOT EXISTS (SELECT 1 FROM l${i} AS q WHERE ${prefix(i + 1, 'q').join(' AND ')})`;
        ctes.push(`o${i} AS (${level(i, this.expr(l.others, new Map()), [rest])})`);
        const cols = Array.from({ length: i + 1 }, (_, j) => `g${j}, a${j}`);
        outs.push(`SELECT ${[...cols, ...pad(i)].join(', ')} FROM o${i}`);
      }
    });
    const all = Array.from({ length: L }, (_, j) => `g${j}, a${j}`);
    outs.unshift(`SELECT ${all.join(', ')} FROM l${L - 1}`);
    const a = this.next();
    const cols = new Map<string, string>();
    p.columns.forEach((c, i) => cols.set(c.name, `${a}.${i % 2 ? 'a' : 'g'}${Math.floor(i / 2)}`));
    return { from: `(WITH ${ctes.join(', ')} ${outs.join(' UNION ALL ')}) AS ${a}`, cols, columns: p.columns, where: [], orderBy: [], limit: null, ord: null };
  }

  /** SQL holding JSON for a dynamic expression. */
  private dyn(x: IRExpr, cols: Map<string, string>): string {
    const info = this.dynInfo(x, cols);
    if (info && info.path.length) return this.d.dynPath(info.base, info.path, 'json', info.text);
    if (x.t !== 'dynamic') return this.d.convert(this.expr(x, cols), x.t, 'dynamic');
    return this.expr(x, cols);
  }

  /** A dynamic expression that is a path into JSON text or JSON (so later accesses fuse into one json_extract). */
  private dynInfo(x: IRExpr, cols: Map<string, string>): DynInfo | null {
    if (x.t !== 'dynamic') return null;
    if (x.e === 'col') return DYN.get(cols)?.get(x.name) ?? null;
    if (x.e === 'fn' && x.f === 'convert' && x.args[0]!.t === 'string') {
      const source = this.expr(x.args[0]!, cols);
      return { base: `NULLIF(${source}, '')`, path: [], text: true, source };
    }
    if (x.e === 'path') {
      const b = this.dynInfo(x.base, cols);
      if (b) return { ...b, path: [...b.path, ...x.path] };
      return { base: this.expr(x.base, cols), path: x.path };
    }
    return null;
  }

  /** For a string extracted from JSON (tostring(json.path)): the SQL of the JSON text, else null. */
  private jsonTextOf(x: IRExpr, cols: Map<string, string>): string | null {
    if (x.t !== 'string') return null;
    if (x.e === 'col') return JSON_STRINGS.get(cols)?.get(x.name) ?? null;
    if (x.e !== 'fn' || x.f !== 'convert' || x.args[0]!.t !== 'dynamic') return null;
    const info = this.dynInfo(x.args[0]!, cols);
    // a key the store extracted needs no prefilter: the filter reads its column
    return info && info.path.length && !this.extractedColumn(info) ? `CAST(${info.base} AS VARCHAR)` : null;
  }

  /** SQL of the stored column holding the string at a dynamic path (one key of a stored JSON text column), else null. */
  private extractedColumn(info: DynInfo): string | null {
    if (!info.text || info.source === undefined || info.path.length !== 1 || typeof info.path[0] !== 'string') return null;
    return this.extractedKeys.get(info.source)?.(info.path[0]) ?? null;
  }

  /** Cheap conditions implied by the filter's `tostring(json.path) == "literal"` conjuncts (json-prefilter.ts). */
  private prefilters(cond: IRExpr, cols: Map<string, string>): string[] {
    if (cond.e !== 'fn') return [];
    if (cond.f === 'and') return cond.args.flatMap((a) => this.prefilters(a, cols));
    if (cond.f !== 'eq') return [];
    const [a, b] = cond.args as [IRExpr, IRExpr];
    const [x, l] = b.e === 'lit' ? [a, b] : a.e === 'lit' ? [b, a] : [null, null];
    if (!x || !l || !prefilterable(l.v)) return [];
    const text = this.jsonTextOf(x, cols);
    return text ? [prefilterSql(text, l.v, (v) => this.d.literal('string', v))] : [];
  }

  private convertExpr(x: IRExpr, to: KType, cols: Map<string, string>, order = ''): string {
    if (x.t === to) return this.expr(x, cols, order);
    const info = x.t === 'dynamic' ? this.dynInfo(x, cols) : null;
    if (info) return this.d.dynPath(info.base, info.path, to, info.text, this.extractedColumn(info) ?? undefined);
    if (x.e === 'lit') {
      const v = convertLiteral(x.v, x.t, to);
      if (v !== NO_FOLD) return this.d.literal(to, v);
    }
    return this.d.convert(this.expr(x, cols, order), x.t, to);
  }

  expr(x: IRExpr, cols: Map<string, string>, order = ''): string {
    switch (x.e) {
      case 'col': {
        const s = cols.get(x.name);
        if (s === undefined) throw new Unsupported(`column ${x.name} not found at this step`, { start: 0, length: 0 });
        return s;
      }
      case 'lit': return this.d.literal(x.t, x.v);
      case 'path': {
        const info = this.dynInfo(x, cols)!;
        return this.d.dynPath(info.base, info.path, 'json', info.text);
      }
      case 'scalar': {
        const sub = new SqlRenderer(this.d, this.names);
        sub.alias = this.alias + 1000;
        const r = sub.rel(x.plan);
        this.alias = sub.alias;
        const first = r.columns[0];
        if (!first) return 'NULL';
        return `(SELECT ${r.cols.get(first.name)} FROM ${r.from}${r.where.length ? ` WHERE ${r.where.join(' AND ')}` : ''}${r.orderBy.length ? ` ORDER BY ${r.orderBy.join(', ')}` : ''} LIMIT 1)`;
      }
      case 'inset': {
        const sub = new SqlRenderer(this.d, this.names);
        sub.alias = this.alias + 1000;
        const r = sub.rel(x.plan);
        this.alias = sub.alias;
        const first = r.columns[0];
        if (!first) return 'FALSE';
        let v = r.cols.get(first.name)!;
        let left = this.expr(x.left, cols, order);
        if (first.type !== x.left.t) v = this.d.convert(v, first.type, x.left.t);
        if (x.has) {
          const cond = `regexp_matches(${left}, '(?i)(?:^|[^[:alnum:]])' || regexp_escape(${v}) || '(?:$|[^[:alnum:]])')`;
          // has_any: some term matches; has_all (not = true): no term fails to match
          if (x.not) return `NOT EXISTS (SELECT 1 FROM ${r.from} WHERE ${[...r.where, `${v} IS NOT NULL`, `NOT ${cond}`].join(' AND ')})`;
          return `EXISTS (SELECT 1 FROM ${r.from} WHERE ${[...r.where, `${v} IS NOT NULL`, cond].join(' AND ')})`;
        }
        if (x.ci) { v = `lower(${v})`; left = `lower(${left})`; }
        const where = [...r.where, `${v} IS NOT NULL`];
        const sub2 = `SELECT ${v} FROM ${r.from} WHERE ${where.join(' AND ')}`;
        return x.not ? `(${left} NOT IN (${sub2}))` : `(${left} IN (${sub2}))`;
      }
      case 'win': {
        const args = x.args.map((a) => this.expr(a, cols, order));
        const over = `OVER (${x.by ? `PARTITION BY ${this.expr(x.by, cols, order)} ` : ''}${order}`;
        switch (x.f) {
          case 'row_number': return `(row_number() ${over})${args[0] ? ` + ${args[0]} - 1` : ''})`;
          case 'prev': return `lag(${args[0]}, ${args[1] ?? 1}${args[2] ? `, ${args[2]}` : ''}) ${over})`;
          case 'next': return `lead(${args[0]}, ${args[1] ?? 1}${args[2] ? `, ${args[2]}` : ''}) ${over})`;
          case 'row_cumsum': return `sum(${args[0]}) ${over} ROWS UNBOUNDED PRECEDING)`;
          // the number of rows so far where the argument is true: it numbers the runs a restart begins
          case 'restart_group': return `sum(CASE WHEN ${args[0]} THEN 1 ELSE 0 END) ${over} ROWS UNBOUNDED PRECEDING)`;
          case 'running_max': return `max(${args[0]}) ${over} ROWS UNBOUNDED PRECEDING)`;
        }
        break;
      }
      case 'agg': return this.call('aggregate', this.d.aggregates[x.f], x, cols, order);
      case 'fn':
        if (x.f === 'convert') return this.convertExpr(x.args[0]!, x.t, cols, order);
        return this.call('function', this.d.functions[x.f], x, cols, order);
    }
    throw new Unsupported(`expression ${(x as IRExpr).e}`, { start: 0, length: 0 });
  }

  /** A catalog function or aggregate: refused when the catalog has none, or no place for one of its arguments. */
  private call(kind: 'aggregate' | 'function', t: FnTemplate | undefined, x: { f: string; args: IRExpr[] }, cols: Map<string, string>, order: string): string {
    if (!t) throw new Unsupported(`${kind} ${x.f}()`, { start: 0, length: 0 });
    if (dropsArguments(t, x.args.length)) throw new Unsupported(`${x.f}() with ${x.args.length} arguments`, { start: 0, length: 0 });
    return applyTemplate(t, this.args(x.args, t.args, t.rest, cols, order));
  }

  private args(xs: IRExpr[], types: (KType | null)[] | undefined, rest: KType | null | undefined, cols: Map<string, string>, order: string): RenderedArg[] {
    return xs.map((a, i) => {
      const want = types && i < types.length ? types[i] : rest;
      const t = want ?? a.t;
      const sql = want && want !== a.t ? (want === 'dynamic' ? this.dyn(a, cols) : this.convertExpr(a, want, cols, order)) : a.t === 'dynamic' && a.e === 'path' ? this.dyn(a, cols) : this.expr(a, cols, order);
      const isLiteral = a.e === 'lit';
      const lv = isLiteral ? convertLiteral(a.v, a.t, t) : undefined;
      return { sql, t, isLiteral: isLiteral && lv !== NO_FOLD, literal: lv === NO_FOLD ? undefined : lv };
    });
  }
}

function convertLiteral(v: unknown, from: KType, to: KType): unknown {
  if (v === null || v === undefined || from === to) return v;
  if (from === 'datetime' || from === 'timespan' || to === 'datetime' || to === 'timespan' || to === 'dynamic' || from === 'dynamic') return NO_FOLD;
  switch (to) {
    case 'string': return typeof v === 'object' ? JSON.stringify(v) : String(v);
    // text that is not a number converts to null (tolong("x")), as Kusto's conversions do
    case 'long': case 'int': {
      // whole numbers past 2^53 stay digits (the dialect writes them exactly, or null past the type's range)
      if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) && !Number.isSafeInteger(Number(v))) return v.trim();
      const n = from === 'string' && String(v).trim() === '' ? NaN : Number(v);
      return Number.isNaN(n) ? null : Math.trunc(n);
    }
    case 'real': { const n = Number(v); return Number.isNaN(n) && from === 'string' && !/^\s*[-+]?nan\s*$/i.test(String(v)) ? null : n; }
    case 'bool': return typeof v === 'string' ? v.toLowerCase() === 'true' : Boolean(v);
    default: return v;
  }
}
