// Array and property-bag functions (Kusto's dynamic family), plus the trigonometry and bin_at():
// arrays are read as JSON lists, results are JSON again.
import { Unsupported } from '../../frontend/ast.js';
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { sqlString as q, jsonPath, datetimeText } from './dialect.js';
import { bindValue as bind } from './bind.js';

const items = (x: string) => `CAST(json_extract(${x}, '$[*]') AS JSON[])`;
/** The JSON of element i (0-based) of an array argument, or the argument itself when it is not an array. */
const elementOr = (x: string, i: string) => `(CASE WHEN json_type(${x}) = 'ARRAY' THEN json_extract(${x}, '$[' || ${i} || ']') ELSE ${x} END)`;
/** A value as a JSON element (strings stay strings: not parsed as todynamic() would). */
export function asJson(sql: string, t: string): string {
  if (t === 'dynamic') return sql;
  if (t === 'datetime') return `to_json(${datetimeText(sql)})`;
  if (t === 'timespan') return `to_json(kql_timespan_str(${sql}))`;
  return `to_json(${sql})`;
}
/** The member of a bag by a key or a `$.a.b` path. */
function keyPath(raw: RenderedArg, sql: string): string {
  if (raw.isLiteral && typeof raw.literal === 'string') return q(raw.literal.startsWith('$') ? raw.literal : jsonPath([raw.literal]));
  return `(CASE WHEN starts_with(${sql}, '$') THEN ${sql} ELSE '$."' || replace(${sql}, '"', '\\"') || '"' END)`;
}
/** A merge patch for a key or `$.a.b` path: {"a": {"b": value}}. */
function patchFor(key: string, value: string): string {
  const parts = key.startsWith('$') ? key.replace(/^\$\.?/, '').split('.').filter((p) => p !== '') : [key];
  return parts.reduceRight((inner, p) => `json_object(${q(p)}, ${inner})`, value);
}
const literalKey = (raw: RenderedArg | undefined, fn: string): string => {
  if (!raw?.isLiteral || typeof raw.literal !== 'string') throw new Unsupported(`${fn}() with a key that is not a constant`, { start: 0, length: 0 });
  return raw.literal;
};

/** Shifts left by n (negative: right), filling with `fill`. */
const shift = (a: string[], n: string): string =>
  bind(items(a[0]!), 'l', `to_json(list_transform(range(len(l)), i -> CASE WHEN i + ${n} >= 0 AND i + ${n} < len(l) THEN l[i + ${n} + 1] ELSE ${a[2] ?? 'NULL'} END))`);
const fillAsJson = (a: string[], raw: RenderedArg[]): string[] => (a[2] ? [a[0]!, a[1]!, asJson(a[2], raw[2]!.t)] : a);
const rotate = (a: string[], n: string): string =>
  bind(items(a[0]!), 'l', `to_json(list_transform(range(len(l)), i -> l[((i + ${n}) % len(l) + len(l)) % len(l) + 1]))`);

/** A bag's members as {k, v} entries. */
const entries = (b: string) => `(CASE WHEN json_type(${b}) = 'OBJECT' THEN list_transform(json_keys(${b}), k -> {'k': k, 'v': json_extract(${b}, '$."' || replace(k, '"', '\\"') || '"')}) ELSE [] END)`;

const J = 'dynamic' as const, R = 'real' as const, L = 'long' as const, S = 'string' as const;

export const DYNAMIC_FUNCTIONS: Record<string, FnTemplate> = {
  // each condition element: true / non-zero number picks when_true, false / 0 when_false, anything else null
  array_iff: {
    sql: (args, raw) => { const a = args.map((x, i) => (i === 0 ? x : asJson(x, raw[i]!.t))); return bind(items(a[0]!), 'c', `to_json(list_transform(range(len(c)), i -> CASE json_type(c[i + 1]) WHEN 'BOOLEAN' THEN (CASE WHEN CAST(c[i + 1] AS BOOLEAN) THEN ${elementOr(a[1]!, 'i')} ELSE ${elementOr(a[2]!, 'i')} END) `
      + `WHEN 'BIGINT' THEN (CASE WHEN CAST(c[i + 1] AS DOUBLE) <> 0 THEN ${elementOr(a[1]!, 'i')} ELSE ${elementOr(a[2]!, 'i')} END) WHEN 'UBIGINT' THEN (CASE WHEN CAST(c[i + 1] AS DOUBLE) <> 0 THEN ${elementOr(a[1]!, 'i')} ELSE ${elementOr(a[2]!, 'i')} END) `
      + `WHEN 'DOUBLE' THEN (CASE WHEN CAST(c[i + 1] AS DOUBLE) <> 0 THEN ${elementOr(a[1]!, 'i')} ELSE ${elementOr(a[2]!, 'i')} END) END))`); },
    args: [J, null, null],
  },
  array_shift_left: { sql: (a, raw) => shift(fillAsJson(a, raw), `CAST(${a[1]} AS BIGINT)`), args: [J, L, null] },
  array_shift_right: { sql: (a, raw) => shift(fillAsJson(a, raw), `(-CAST(${a[1]} AS BIGINT))`), args: [J, L, null] },
  array_rotate_left: { sql: (a) => rotate(a, `CAST(${a[1]} AS BIGINT)`), args: [J, L] },
  array_rotate_right: { sql: (a) => rotate(a, `(-CAST(${a[1]} AS BIGINT))`), args: [J, L] },
  // split before each index (one index or an array of them)
  array_split: {
    sql: (a) => bind(items(a[0]!), 'l', bind(`list_concat([0], list_transform(list_sort(CASE WHEN json_type(${a[1]}) = 'ARRAY' THEN CAST(json_extract(${a[1]}, '$[*]') AS BIGINT[]) ELSE [CAST(${a[1]} AS BIGINT)] END), x -> least(greatest(x, 0), len(l))), [len(l)])`, 'b',
      `to_json(list_transform(range(len(b) - 1), k -> l[b[k + 1] + 1:b[k + 2]]))`)),
    args: [J, J],
  },
  array_sum: { sql: "list_sum(CAST(json_extract({0}, '$[*]') AS DOUBLE[]))", args: [J] },
  zip: {
    sql: (a) => `to_json(list_transform(range(greatest(${a.map((x) => `coalesce(CAST(json_array_length(${x}) AS BIGINT), 0)`).join(', ')})), i -> [${a.map((x) => `json_extract(${x}, '$[' || i || ']')`).join(', ')}]))`,
    rest: J,
  },
  bag_has_key: { sql: (a, raw) => `coalesce(json_exists(${a[0]}, ${keyPath(raw[1]!, a[1]!)}), FALSE)`, args: [J, S] },
  // keys or $.a.b paths; removal is a merge patch setting them to null
  bag_remove_keys: {
    sql: (a, raw) => {
      const keys = raw[1]!.isLiteral && Array.isArray(raw[1]!.literal) ? (raw[1]!.literal as unknown[]).map(String) : null;
      if (!keys) return `to_json(map_from_entries(list_filter(${entries(a[0]!)}, e -> NOT list_contains(json_extract_string(${a[1]}, '$[*]'), e.k))))`;
      return keys.reduce((b, k) => `json_merge_patch(${b}, ${patchFor(k, "'null'::JSON")})`, a[0]!);
    },
    args: [J, J],
  },
  // the value replaces the key's (removed first, so that a bag value is not merged into the old one)
  bag_set_key: {
    sql: (a, raw) => {
      const key = literalKey(raw[1], 'bag_set_key');
      return `json_merge_patch(json_merge_patch(${a[0]}, ${patchFor(key, "'null'::JSON")}), ${patchFor(key, asJson(a[2]!, raw[2]!.t))})`;
    },
    args: [J, S, null],
  },
  // the leftmost bag wins a key
  bag_merge: {
    sql: (a) => bind(`flatten([${a.map(entries).join(', ')}])`, 'e', `to_json(map_from_entries(list_filter(e, (x, i) -> list_position(list_transform(e, y -> y.k), x.k) = i)))`),
    rest: J,
  },

  // trigonometry (radians)
  cos: { sql: 'cos({0})', args: [R] }, sin: { sql: 'sin({0})', args: [R] }, tan: { sql: 'tan({0})', args: [R] },
  acos: { sql: 'acos({0})', args: [R] }, asin: { sql: 'asin({0})', args: [R] }, atan: { sql: 'atan({0})', args: [R] },
  atan2: { sql: 'atan2({0}, {1})', args: [R, R] }, cot: { sql: 'cot({0})', args: [R] },
  degrees: { sql: 'degrees({0})', args: [R] }, radians: { sql: 'radians({0})', args: [R] },

  // bin_at(value, size, fixed point): bins aligned so that the fixed point starts one
  bin_at: {
    sql: (a, raw) => {
      const t = raw[0]!.t;
      if (t === 'datetime') return `make_timestamp(CAST(floor((epoch_us(${a[0]}) - epoch_us(${a[2]})) / (${a[1]} / 10)) * (${a[1]} // 10) + epoch_us(${a[2]}) AS BIGINT))`;
      const v = `(floor(CAST(${a[0]} - ${a[2]} AS DOUBLE) / ${a[1]}) * ${a[1]} + ${a[2]})`;
      return t === 'real' || t === 'decimal' ? v : `CAST(${v} AS BIGINT)`;
    },
  },
};
