// The DuckDB function catalog: one entry per IR function (Kusto operators and functions after
// lowering), as data. `args` lists the Kusto type each argument is converted to first.
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { Unsupported } from '../../frontend/ast.js';

const S = 'string' as const, L = 'long' as const, R = 'real' as const, D = 'datetime' as const, T = 'timespan' as const, B = 'bool' as const, J = 'dynamic' as const;

import { sqlString as q, datetimeText } from './dialect.js';
import { bindValue } from './bind.js';
import { captureGroups } from '../../ir/regex.js';
import { SERIES_FUNCTIONS } from './series-functions.js';
import { DYNAMIC_FUNCTIONS, asJson } from './dynamic-functions.js';
import { IP_STRING_FUNCTIONS } from './ip-string-functions.js';
import { IPV6_FUNCTIONS } from './ipv6-functions.js';
export function reEscape(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}
function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, '\\$&');
}
/**
 * make_set keeps the values in first-seen order (as Kusto does in practice): the collected list is
 * deduplicated by first position. That is quadratic, so past 1,000 values it falls back to DuckDB's
 * hash order (Kusto promises no order at all).
 */
function makeSet(x: string, filter: string, max: string | undefined): string {
  const set = `list_transform([list(${x}) FILTER (WHERE ${filter})], l -> CASE WHEN len(l) <= 1000 THEN list_filter(l, (v, i) -> list_position(l, v) = i) ELSE list_distinct(l) END)[1]`;
  return `coalesce(to_json(${set}${max ? `[1:${max}]` : ''}), CAST('[]' AS JSON))`;
}

/**
 * indexof(source, lookup[, start[, length[, occurrence]]]): a negative start counts from the end;
 * the n-th occurrence is searched from just after the (n-1)-th, each search examining `length`
 * characters (-1 = to the end), as Kusto's documented examples behave.
 */
function indexofTemplate(a: string[]): string {
  if (a.length <= 2) return `(strpos(${a[0]}, ${a[1]}) - 1)`;
  const s = a[0]!, l = a[1]!;
  const st = `(CASE WHEN ${a[2]} < 0 THEN greatest(length(${s}) + ${a[2]}, 0) ELSE ${a[2]} END)`;
  const ln = a[3] ?? '-1', n = a[4] ?? '1';
  const pos = `list_filter(range(${st}, length(${s})), i -> substr(${s}, i + 1, length(${l})) = ${l})`;
  return `list_transform([${pos}], p -> CASE WHEN ${n} < 1 OR ${st} > length(${s}) OR p[${n}] IS NULL THEN -1`
    + ` WHEN ${ln} >= 0 AND p[${n}] + length(${l}) > (CASE WHEN ${n} = 1 THEN ${st} ELSE p[${n} - 1] + 1 END) + ${ln} THEN -1 ELSE p[${n}] END)[1]`;
}

/**
 * format_timespan(t, 'dd.hh:mm:ss.fff') with a literal format (.NET custom TimeSpan format):
 * d…(days, padded), h/H, m, s (1 or 2 digits), f…(fraction, truncated), F…(the same without
 * trailing zeros), '…' and \\x literals. t is in ticks; the sign is not shown (as .NET).
 */
function formatTimespan(t: string, fmt: string): string {
  const v = `abs(${t})`;
  const parts: string[] = [];
  const pad = (x: string, n: number) => `printf('%0${n}d', ${x})`;
  for (let i = 0; i < fmt.length;) {
    const ch = fmt[i]!;
    let n = 1;
    while (fmt[i + n] === ch && 'dhHmsfF'.includes(ch)) n++;
    if (ch === 'd') parts.push(pad(`${v} // 864000000000`, n));
    else if (ch === 'h' || ch === 'H') parts.push(pad(`(${v} // 36000000000) % 24`, Math.min(n, 2)));
    else if (ch === 'm') parts.push(pad(`(${v} // 600000000) % 60`, Math.min(n, 2)));
    else if (ch === 's') parts.push(pad(`(${v} // 10000000) % 60`, Math.min(n, 2)));
    else if (ch === 'f' || ch === 'F') {
      const k = Math.min(n, 7);
      const f = pad(`(${v} % 10000000) // ${10 ** (7 - k)}`, k);
      parts.push(ch === 'f' ? f : `rtrim(${f}, '0')`);
    } else if (ch === "'" || ch === '"') {
      const end = fmt.indexOf(ch, i + 1);
      const lit = end < 0 ? fmt.slice(i + 1) : fmt.slice(i + 1, end);
      parts.push(q(lit));
      i = end < 0 ? fmt.length : end + 1;
      continue;
    } else if (ch === '\\') { parts.push(q(fmt[i + 1] ?? '')); i += 2; continue; }
    else parts.push(q(ch));
    i += n;
  }
  return `(CASE WHEN ${t} IS NULL THEN NULL ELSE ${parts.length ? parts.join(' || ') : "''"} END)`;
}

/**
 * array_sort_asc/desc(array[, nulls_last = true]): numbers by value, then strings; nulls last unless
 * the second argument is a literal false.
 */
function sortArray(a: string[], raw: RenderedArg[], dir: 'ASC' | 'DESC'): string {
  if (raw.length > 2) throw new Unsupported(`array_sort_${dir.toLowerCase()}() of several arrays`, { start: 0, length: 0 });
  const nulls = raw[1]?.isLiteral && raw[1].literal === false ? 'NULLS FIRST' : 'NULLS LAST';
  const keyed = `list_transform(json_extract(${a[0]}, '$[*]'), e -> CASE WHEN json_type(e) = 'NULL' THEN NULL ELSE {'n': CASE WHEN json_type(e) IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN CAST(e AS DOUBLE) END, 's': json_extract_string(e, '$'), 'j': e} END)`;
  return `(CASE WHEN json_type(${a[0]}) = 'ARRAY' THEN to_json(list_transform(list_sort(${keyed}, '${dir}', '${nulls}'), t -> CASE WHEN t IS NULL THEN 'null'::JSON ELSE t.j END)) END)`;
}

const isAlnum = (c: string | undefined) => !!c && /[A-Za-z0-9]/.test(c);

/** Kusto `has`: the needle matches whole terms (boundaries are non-alphanumeric characters). */
function hasTemplate(cs: boolean, mode: 'term' | 'prefix' | 'suffix') {
  return (a: string[], raw: RenderedArg[]): string => {
    const n = raw[1]!;
    if (n.isLiteral && typeof n.literal === 'string') {
      const s = n.literal;
      if (s === '') return 'TRUE';
      const pre = mode !== 'suffix' && isAlnum(s[0]) ? '(?:^|[^[:alnum:]])' : '';
      const post = mode !== 'prefix' && isAlnum(s[s.length - 1]) ? '(?:$|[^[:alnum:]])' : '';
      const re = (cs ? '' : '(?i)') + pre + reEscape(s) + post;
      const pref = cs ? `contains(${a[0]}, ${q(s)})` : `${a[0]} ILIKE ${q('%' + likeEscape(s) + '%')} ESCAPE '\\'`;
      if (!pre && !post) return pref;
      return `(${pref} AND regexp_matches(${a[0]}, ${q(re)}))`;
    }
    return cs ? `contains(${a[0]}, ${a[1]})` : `contains(lower(${a[0]}), lower(${a[1]}))`;
  };
}

function likeTemplate(kind: 'contains' | 'startswith' | 'endswith', cs: boolean) {
  return (a: string[], raw: RenderedArg[]): string => {
    const n = raw[1]!;
    if (n.isLiteral && typeof n.literal === 'string') {
      const s = likeEscape(n.literal);
      const pat = kind === 'contains' ? `%${s}%` : kind === 'startswith' ? `${s}%` : `%${s}`;
      return `(${a[0]} ${cs ? 'LIKE' : 'ILIKE'} ${q(pat)} ESCAPE '\\')`;
    }
    const f = kind === 'contains' ? 'contains' : kind === 'startswith' ? 'starts_with' : 'ends_with';
    return cs ? `${f}(${a[0]}, ${a[1]})` : `${f}(lower(${a[0]}), lower(${a[1]}))`;
  };
}

const not = (t: FnTemplate): FnTemplate => ({ ...t, sql: (a, raw) => `(NOT coalesce(${typeof t.sql === 'function' ? t.sql(a, raw) : t.sql}, FALSE))` });

const has = { sql: hasTemplate(false, 'term'), args: [S, S] };
const hasCs = { sql: hasTemplate(true, 'term'), args: [S, S] };
const contains = { sql: likeTemplate('contains', false), args: [S, S] };
const containsCs = { sql: likeTemplate('contains', true), args: [S, S] };
const startswith = { sql: likeTemplate('startswith', false), args: [S, S] };
const startswithCs = { sql: likeTemplate('startswith', true), args: [S, S] };
const endswith = { sql: likeTemplate('endswith', false), args: [S, S] };
const endswithCs = { sql: likeTemplate('endswith', true), args: [S, S] };
const hasprefix = { sql: hasTemplate(false, 'prefix'), args: [S, S] };
const hassuffix = { sql: hasTemplate(false, 'suffix'), args: [S, S] };

// Kusto's bin() counts from 0001-01-01; the offset keeps week bins aligned as Kusto aligns them.
const EPOCH_OFFSET_US = '62135596800000000';
const binDatetime = (x: string, ticks: string) => `make_timestamp(CAST(((epoch_us(${x}) + ${EPOCH_OFFSET_US}) // (${ticks} // 10)) * (${ticks} // 10) - ${EPOCH_OFFSET_US} AS BIGINT))`;

const IPV4_PRIVATE = (x: string) => `(regexp_matches(${x}, '^(10\\.\\d+\\.\\d+\\.\\d+|192\\.168\\.\\d+\\.\\d+|172\\.(1[6-9]|2\\d|3[01])\\.\\d+\\.\\d+)$'))`;
const IPV4_TO_LONG = (x: string) => `(CASE WHEN regexp_matches(${x}, '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}$') THEN (CAST(split_part(${x}, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(${x}, '.', 2) AS BIGINT) * 65536 + CAST(split_part(${x}, '.', 3) AS BIGINT) * 256 + CAST(split_part(${x}, '.', 4) AS BIGINT)) END)`;
/** The number of addresses of a.b.c.d/n (n defaults to 32). */
const PREFIX_SIZE = (x: string) => `CAST(pow(2, 32 - coalesce(TRY_CAST(NULLIF(split_part(${x}, '/', 2), '') AS BIGINT), 32)) AS BIGINT)`;
/** The first address of a.b.c.d/n as a number. */
const PREFIX_FIRST = (x: string) => `((${IPV4_TO_LONG(`split_part(${x}, '/', 1)`)}) // ${PREFIX_SIZE(x)} * ${PREFIX_SIZE(x)})`;
function ipv4InRange(a: string[]): string {
  const ip = IPV4_TO_LONG(a[0]!);
  const base = IPV4_TO_LONG(`split_part(${a[1]}, '/', 1)`);
  return `((${ip}) // ${PREFIX_SIZE(a[1]!)} = (${base}) // ${PREFIX_SIZE(a[1]!)})`;
}

const formatBytes = (a: string[]): string => {
  const prec = a[1] ?? '0';
  const unit = a[2];
  const v = `CAST(${a[0]} AS DOUBLE)`;
  if (unit) {
    const pow = `(CASE upper(${unit}) WHEN 'BYTES' THEN 0 WHEN 'KB' THEN 1 WHEN 'MB' THEN 2 WHEN 'GB' THEN 3 WHEN 'TB' THEN 4 WHEN 'PB' THEN 5 ELSE 0 END)`;
    return `(CASE WHEN ${a[0]} IS NULL THEN '' ELSE regexp_replace(CAST(round(${v} / pow(1024, ${pow}), CAST(${prec} AS INTEGER)) AS VARCHAR), '\\.0$', '') || ' ' || (CASE upper(${unit}) WHEN 'BYTES' THEN 'Bytes' ELSE upper(${unit}) END) END)`;
  }
  const e = `(CASE WHEN ${v} < 1024 THEN 0 ELSE least(floor(log(${v}) / log(1024)), 5) END)`;
  return `(CASE WHEN ${a[0]} IS NULL THEN '' ELSE regexp_replace(CAST(round(${v} / pow(1024, ${e}), CAST(${prec} AS INTEGER)) AS VARCHAR), '\\.0$', '') || ' ' || ['Bytes','KB','MB','GB','TB','PB'][CAST(${e} AS INTEGER) + 1] END)`;
};

/** Kusto datetime format specifiers → strftime. */
export function kustoDateFormat(fmt: string): string {
  const map: Record<string, string> = {
    yyyy: '%Y', yy: '%y', MM: '%m', M: '%-m', dd: '%d', d: '%-d', HH: '%H', H: '%-H', hh: '%I', h: '%-I', mm: '%M', m: '%-M', ss: '%S', s: '%-S',
    fffffff: '%f0', ffffff: '%f', fff: '%g', tt: '%p',
  };
  return fmt.replace(/%/g, '%%').replace(/yyyy|yy|MM|M|dd|d|HH|H|hh|h|mm|m|ss|s|fffffff|ffffff|fff|tt/g, (t) => map[t] ?? t);
}

/**
 * parse_path: an optional "scheme://", the directory (up to the last / or \\), the file name, and after a ":" in
 * the file name an NTFS alternate data stream ("file://C:/temp/file.txt:some.exe" → file, C:/temp, file.txt, some.exe).
 */
function parsePath(s: string): string {
  const parts = `regexp_extract(${s}, '^(?:([A-Za-z][A-Za-z0-9+.-]+)://)?(?:(.*)[\\\\/])?([^\\\\/]*)$', ['scheme', 'dir', 'last'])`;
  const file = `regexp_extract(m.last, '^([^:]*)(?::(.*))?$', ['name', 'ads'])`;
  return bindValue(parts, 'm', bindValue(file, 'f', `json_object('Scheme', m.scheme, 'RootPath', regexp_extract(m.dir, '^([A-Za-z]:)', 1), 'DirectoryPath', m.dir, `
    + `'DirectoryName', regexp_extract(m.dir, '([^\\\\/]*)$', 1), 'Filename', f.name, 'Extension', regexp_extract(f.name, '\\.([^.]*)$', 1), 'AlternateDataStreamName', f.ads)`));
}

export const FUNCTIONS: Record<string, FnTemplate> = {
  // operators
  // Kusto: x == null is false (and != true) unless x is null too
  eq: { sql: (a, r) => (r[1]!.isLiteral && r[1]!.literal == null ? `(CASE WHEN ${a[0]} IS NULL THEN NULL ELSE FALSE END)` : `(${a[0]} = ${a[1]})`) },
  // x != literal is true when x is null (Kusto's documented null semantics)
  ne: { sql: (a, r) => (r[1]!.isLiteral && r[1]!.literal == null ? `(CASE WHEN ${a[0]} IS NULL THEN NULL ELSE TRUE END)` : (r[0]!.isLiteral || r[1]!.isLiteral ? `(${a[0]} IS DISTINCT FROM ${a[1]})` : `(${a[0]} <> ${a[1]})`)) }, lt: { sql: '({0} < {1})' }, le: { sql: '({0} <= {1})' }, gt: { sql: '({0} > {1})' }, ge: { sql: '({0} >= {1})' },
  eq_ci: { sql: '(lower({0}) = lower({1}))', args: [S, S] }, ne_ci: { sql: '(lower({0}) <> lower({1}))', args: [S, S] },
  is_distinct_from: { sql: '({0} IS DISTINCT FROM {1})' },
  and: { sql: '({0} AND {1})', args: [B, B] }, or: { sql: '({0} OR {1})', args: [B, B] }, not: { sql: '(NOT {0})', args: [B] },
  add: { sql: '({0} + {1})' }, sub: { sql: '({0} - {1})' }, mul: { sql: '({0} * {1})' }, div: { sql: '(CAST({0} AS DOUBLE) / {1})' },
  idiv: { sql: '({0} // NULLIF({1}, 0))' }, mod: { sql: '((({0} % NULLIF({1}, 0)) + abs({1})) % NULLIF(abs({1}), 0))' }, neg: { sql: '(-{0})' },
  ts_mul: { sql: 'CAST(round({0} * {1}) AS BIGINT)' }, ts_div: { sql: 'CAST(round({0} / {1}) AS BIGINT)' }, ts_ratio: { sql: '(CAST({0} AS DOUBLE) / {1})' },
  dt_add: { sql: '({0} + to_microseconds({1} // 10))', args: [D, T] },
  dt_sub: { sql: '({0} - to_microseconds({1} // 10))', args: [D, T] },
  dt_diff: { sql: '((epoch_us({0}) - epoch_us({1})) * 10)', args: [D, D] },
  has, nhas: not(has), has_cs: hasCs, nhas_cs: not(hasCs),
  contains, ncontains: not(contains), contains_cs: containsCs, ncontains_cs: not(containsCs),
  startswith, nstartswith: not(startswith), startswith_cs: startswithCs, nstartswith_cs: not(startswithCs),
  endswith, nendswith: not(endswith), endswith_cs: endswithCs, nendswith_cs: not(endswithCs),
  hasprefix, nhasprefix: not(hasprefix), hassuffix, nhassuffix: not(hassuffix),
  hasprefix_cs: { sql: hasTemplate(true, 'prefix'), args: [S, S] }, hassuffix_cs: { sql: hasTemplate(true, 'suffix'), args: [S, S] },
  matches: { sql: 'regexp_matches({0}, {1})', args: [S, S] },
  like: { sql: '({0} LIKE {1})', args: [S, S] },
  between: { sql: '({0} BETWEEN {1} AND {2})' }, nbetween: { sql: '(NOT ({0} BETWEEN {1} AND {2}))' },
  now: { sql: (a) => (a.length ? `(__WIREHUNT_NOW__ + to_microseconds(${a[0]} // 10))` : '__WIREHUNT_NOW__'), args: [T] },
  in: { sql: (a) => `(${a[0]} IN (${a.slice(1).join(', ')}))` },
  nin: { sql: (a) => `(${a[0]} NOT IN (${a.slice(1).join(', ')}))` },
  in_ci: { sql: (a) => `(lower(${a[0]}) IN (${a.slice(1).map((x) => `lower(${x})`).join(', ')}))`, rest: S },
  nin_ci: { sql: (a) => `(lower(${a[0]}) NOT IN (${a.slice(1).map((x) => `lower(${x})`).join(', ')}))`, rest: S },
  in_dyn: { sql: "coalesce(list_contains(json_extract_string({1}, '$[*]'), {0}), FALSE)", args: [S, J] },
  nin_dyn: { sql: "(NOT coalesce(list_contains(json_extract_string({1}, '$[*]'), {0}), FALSE))", args: [S, J] },
  in_dyn_ci: { sql: "coalesce(list_contains(list_transform(json_extract_string({1}, '$[*]'), x -> lower(x)), lower({0})), FALSE)", args: [S, J] },
  nin_dyn_ci: { sql: "(NOT coalesce(list_contains(list_transform(json_extract_string({1}, '$[*]'), x -> lower(x)), lower({0})), FALSE))", args: [S, J] },
  string_size: { sql: 'CAST(octet_length(encode({0})) AS BIGINT)', args: [S] },
  has_any_dyn: { sql: "coalesce(len(list_filter(json_extract_string({1}, '$[*]'), x -> regexp_matches({0}, '(?i)(?:^|[^[:alnum:]])' || regexp_escape(x) || '(?:$|[^[:alnum:]])'))) > 0, FALSE)", args: [S, J] },
  has_all_dyn: { sql: "coalesce(len(list_filter(json_extract_string({1}, '$[*]'), x -> NOT regexp_matches({0}, '(?i)(?:^|[^[:alnum:]])' || regexp_escape(x) || '(?:$|[^[:alnum:]])'))) = 0, FALSE)", args: [S, J] },
  dyn_member: { sql: `json_extract({0}, '$."' || replace({1}, '"', '\\"') || '"')`, args: [J, S] },
  dyn_index: { sql: "json_extract({0}, CASE WHEN {1} < 0 THEN '$[#' || CAST({1} AS VARCHAR) || ']' ELSE '$[' || CAST({1} AS VARCHAR) || ']' END)", args: [J, L] },
  regex_group: { sql: "coalesce(regexp_extract({0}, {1}, CAST({2} AS INTEGER)), '')", args: [S, S, L] },
  extractjson: { sql: "coalesce(json_extract_string({1}, {0}), '')", args: [S, S] },
  is_null: { sql: '({0} IS NULL)' },

  // conversion and null handling
  isempty: { sql: "(coalesce(CAST({0} AS VARCHAR), '') = '')" },
  isnotempty: { sql: "(coalesce(CAST({0} AS VARCHAR), '') <> '')" },
  isempty_dyn: { sql: "(coalesce({0}, '') IN ('', '[]', '{}'))", args: [S] },
  isnotempty_dyn: { sql: "(coalesce({0}, '') NOT IN ('', '[]', '{}'))", args: [S] },
  isnull: { sql: '({0} IS NULL)' }, isnotnull: { sql: '({0} IS NOT NULL)' },
  iff: { sql: '(CASE WHEN {0} THEN {1} ELSE {2} END)', args: [B] },
  coalesce: { sql: (a, raw) => (raw[0]!.t === 'string' ? `coalesce(${a.map((x) => `NULLIF(${x}, '')`).join(', ')}, '')` : `coalesce(${a.join(', ')})`) },
  case: { sql: (a) => { let s = '(CASE'; for (let i = 0; i + 1 < a.length; i += 2) s += ` WHEN ${a[i]} THEN ${a[i + 1]}`; return s + ` ELSE ${a[a.length - 1]} END)`; } },
  gettype: { sql: (_a, raw) => q(raw[0]!.t) },

  // strings
  strlen: { sql: 'length({0})', args: [S] },
  tolower: { sql: 'lower({0})', args: [S] }, toupper: { sql: 'upper({0})', args: [S] },
  strcat: { sql: (a) => (a.length ? `concat(${a.join(', ')})` : "''"), rest: S },
  strcat_delim: { sql: (a) => `concat_ws(${a[0]}, ${a.slice(1).join(', ')})`, rest: S },
  substring: { sql: (a) => (a.length > 2 ? `coalesce(substring({0}, greatest({1}, 0) + 1, greatest({2}, 0)), '')` : `coalesce(substring({0}, greatest({1}, 0) + 1), '')`).replace(/\{(\d)\}/g, (_, i) => a[Number(i)]!), args: [S, L, L] },
  indexof: { sql: indexofTemplate, args: [S, S, L, L, L] },
  trim: { sql: (a, raw) => (raw[0]!.isLiteral ? `regexp_replace(regexp_replace(${a[1]}, ${q('^(' + String(raw[0]!.literal) + ')+')}, ''), ${q('(' + String(raw[0]!.literal) + ')+$')}, '')` : `regexp_replace(regexp_replace(${a[1]}, '^(' || ${a[0]} || ')+', ''), '(' || ${a[0]} || ')+$', '')`), args: [S, S] },
  trim_start: { sql: "regexp_replace({1}, '^(' || {0} || ')+', '')", args: [S, S] },
  trim_end: { sql: "regexp_replace({1}, '(' || {0} || ')+$', '')", args: [S, S] },
  replace_string: { sql: 'replace({0}, {1}, {2})', args: [S, S, S] },
  replace_regex: { sql: "regexp_replace({0}, {1}, regexp_replace({2}, '\\$(\\d)', '\\\\\\1', 'g'), 'g')", args: [S, S, S] },
  replace: { sql: "regexp_replace({2}, {0}, regexp_replace({1}, '\\$(\\d)', '\\\\\\1', 'g'), 'g')", args: [S, S, S] },
  reverse: { sql: 'reverse({0})', args: [S] },
  split: { sql: (a) => (a.length > 2 ? `to_json([string_split(${a[0]}, ${a[1]})[${a[2]} + 1]])` : `to_json(string_split(${a[0]}, ${a[1]}))`), args: [S, S, L] },
  extract: { sql: (a) => `coalesce(regexp_extract(${a[2]}, ${a[0]}, CAST(${a[1]} AS INTEGER)), '')`, args: [S, L, S] },
  extract_all: {
    sql: (a, raw) => {
      const src = a.length > 2 ? a[2]! : a[1]!;
      const pat = raw[0]!.isLiteral ? String(raw[0]!.literal) : null;
      const names = pat === null ? null : captureGroups(pat);
      const groups = names === null ? 1 : names.length;
      // extract_all(regex, captureGroups, source): the groups picked by number (1-based) or name
      let pick: number[] | null = null;
      if (a.length > 2 && names) {
        let sel: unknown = raw[1]!.literal;
        if (typeof sel === 'string') { try { sel = JSON.parse(sel); } catch { sel = null; } }
        if (Array.isArray(sel)) pick = sel.map((g) => (typeof g === 'number' ? g : names.indexOf(String(g)) + 1)).filter((g) => g >= 1 && g <= groups);
      }
      if (pick && pick.length) {
        if (pick.length === 1) return `to_json(regexp_extract_all(${src}, ${a[0]}, ${pick[0]}))`;
        const sl = pick.map((g) => `regexp_extract_all(${src}, ${a[0]}, ${g})`);
        return `to_json(list_transform(range(len(${sl[0]})), i -> [${sl.map((l) => `${l}[i + 1]`).join(', ')}]))`;
      }
      if (groups <= 1) return `to_json(regexp_extract_all(${src}, ${a[0]}, ${groups === 0 ? 0 : 1}))`;
      const lists = Array.from({ length: groups }, (_, g) => `regexp_extract_all(${src}, ${a[0]}, ${g + 1})`);
      return `to_json(list_transform(range(len(${lists[0]})), i -> [${lists.map((l) => `${l}[i + 1]`).join(', ')}]))`;
    },
    args: [S, null, S],
  },
  countof: { sql: (a, raw) => countof(a, raw), args: [S, S, S] },
  strrep: { sql: (a) => (a.length > 2 ? `array_to_string(list_transform(range(${a[1]}), x -> ${a[0]}), ${a[2]})` : `repeat(${a[0]}, CAST(${a[1]} AS INTEGER))`), args: [S, L, S] },
  tostring: { sql: '{0}', args: [S] },
  toupper_: { sql: 'upper({0})' },
  url_decode: { sql: 'url_decode({0})', args: [S] }, // as .NET's HttpUtility.UrlEncode (Kusto): unreserved characters kept, space as '+', the rest as lowercase %xx of UTF-8
  url_encode: { sql: "array_to_string(list_transform(str_split({0}, ''), c -> CASE WHEN regexp_matches(c, '^[A-Za-z0-9_.!*()-]$') THEN c WHEN c = ' ' THEN '+' ELSE lower(url_encode(c)) END), '')", args: [S] },
  base64_encode_tostring: { sql: 'to_base64(encode({0}))', args: [S] },
  // a guid's 16 bytes in .NET's order (the first three groups little-endian), as base64; and back
  base64_encode_fromguid: { sql: (a) => `to_base64(unhex(${guidBytes(`replace(${a[0]}, '-', '')`)}))`, args: ['guid'] },
  base64_decode_toguid: {
    sql: (a) => `(CASE WHEN octet_length(TRY(from_base64(${a[0]}))) = 16 THEN lower(${guidBytes(`hex(from_base64(${a[0]}))`, true)}) END)`,
    args: [S],
  },
  isascii: { sql: String.raw`(NOT regexp_matches({0}, '[^\x00-\x7F]'))`, args: [S] },
  // every character RE2 reads as an operator, escaped
  regex_quote: { sql: String.raw`regexp_replace({0}, '([\\.+*?()|\[\]{}^$])', '\\\1', 'g')`, args: [S] },
  unicode_codepoints_from_string: { sql: `to_json(list_transform(regexp_extract_all({0}, '(?s).'), c -> unicode(c)))`, args: [S] },
  bitset_count_ones: { sql: 'CAST(bit_count(CAST({0} AS BIGINT)) AS BIGINT)', args: [L] },
  base64_decode_tostring: { sql: "coalesce(TRY(decode(from_base64({0}))), '')", args: [S] },
  hash_sha256: { sql: 'sha256({0})', args: [S] }, hash_md5: { sql: 'md5({0})', args: [S] }, hash_sha1: { sql: 'sha1({0})', args: [S] },
  hash: { sql: (a) => `CAST(hash(${a[0]}) % ${a[1] ? `CAST(${a[1]} AS UBIGINT)` : '9223372036854775807'} AS BIGINT)`, args: [null, L] },
  strcmp: { sql: '(CASE WHEN {0} < {1} THEN -1 WHEN {0} > {1} THEN 1 ELSE 0 END)', args: [S, S] },
  parse_ipv4: { sql: (a) => PREFIX_FIRST(a[0]!), args: [S] },
  // the last address of a.b.c.d/n (internal: ipv4_lookup's range)
  ipv4_range_last: { sql: (a) => `(${PREFIX_FIRST(a[0]!)} + ${PREFIX_SIZE(a[0]!)} - 1)`, args: [S] },
  ipv4_is_private: { sql: (a) => IPV4_PRIVATE(`split_part(${a[0]}, '/', 1)`), args: [S] },
  ipv4_is_in_range: { sql: ipv4InRange, args: [S, S] },
  ipv4_is_match: {
    sql: (a) => {
      const bits = (x: string) => `coalesce(TRY_CAST(NULLIF(split_part(${x}, '/', 2), '') AS BIGINT), 32)`;
      const p = `least(${bits(a[0]!)}, ${bits(a[1]!)}${a[2] ? `, ${a[2]}` : ''})`;
      const div = `CAST(pow(2, 32 - ${p}) AS BIGINT)`;
      return `((${IPV4_TO_LONG(`split_part(${a[0]}, '/', 1)`)}) // ${div} = (${IPV4_TO_LONG(`split_part(${a[1]}, '/', 1)`)}) // ${div})`;
    },
    args: [S, S, L],
  },
  format_bytes: { sql: formatBytes, args: [R, L, S] },
  tohex: {
    // int is shown as 32-bit two's complement, long as 64-bit; the second argument pads with zeros
    sql: (a, raw) => {
      const v = raw[0]!.t === 'int' ? `(CAST(${a[0]} AS BIGINT) & 4294967295)` : raw[0]!.t === 'long' ? a[0]! : `CAST(${a[0]} AS BIGINT)`;
      return a.length > 1 ? `(CASE WHEN ${v} IS NOT NULL THEN lpad(lower(hex(${v})), CAST(greatest(${a[1]}, length(lower(hex(${v})))) AS INTEGER), '0') END)` : `lower(hex(${v}))`;
    },
    args: [null, L],
  },
  binary_and: { sql: '({0} & {1})', args: [L, L] }, binary_or: { sql: '({0} | {1})', args: [L, L] }, binary_xor: { sql: 'xor({0}, {1})', args: [L, L] },
  binary_not: { sql: '(~{0})', args: [L] }, binary_shift_left: { sql: '({0} << {1})', args: [L, L] }, binary_shift_right: { sql: '({0} >> {1})', args: [L, L] },
  parse_version: { sql: "(CASE WHEN regexp_matches({0}, '^\\s*\\d+(\\.\\d+){0,3}\\s*$') THEN list_reduce(list_transform(range(4), i -> coalesce(TRY_CAST(string_split(trim({0}), '.')[i + 1] AS DOUBLE), 0) * pow(10, 8 * (3 - i))), (x, y) -> x + y) END)", args: [S] },

  // datetime
  ago: { sql: '(__WIREHUNT_NOW__ - to_microseconds({0} // 10))', args: [T] },
  bin_dt: { sql: (a) => binDatetime(a[0]!, a[1]!), args: [D, T] },
  bin_num: { sql: '(floor({0} / {1}) * {1})' },
  bin_long: { sql: '(({0} // {1}) * {1} - CASE WHEN {0} < 0 AND {0} % {1} <> 0 THEN {1} ELSE 0 END)' },
  startofday: { sql: (a) => `date_trunc('day', ${a[0]} + to_days(CAST(${a[1] ?? 0} AS INTEGER)))`, args: [D, L] },
  startofmonth: { sql: (a) => `date_trunc('month', ${a[0]} + to_months(CAST(${a[1] ?? 0} AS INTEGER)))`, args: [D, L] },
  startofyear: { sql: (a) => `date_trunc('year', ${a[0]} + to_years(CAST(${a[1] ?? 0} AS INTEGER)))`, args: [D, L] },
  startofweek: { sql: (a) => `(date_trunc('day', ${a[0]}) - to_days(CAST(dayofweek(${a[0]}) AS INTEGER)) + to_days(CAST(7 * ${a[1] ?? 0} AS INTEGER)))`, args: [D, L] },
  endofday: { sql: (a) => `(date_trunc('day', ${a[0]} + to_days(CAST(${a[1] ?? 0} AS INTEGER))) + INTERVAL 1 DAY - INTERVAL 1 MICROSECOND)`, args: [D, L] },
  endofmonth: { sql: (a) => `(date_trunc('month', ${a[0]} + to_months(CAST(${a[1] ?? 0} AS INTEGER))) + INTERVAL 1 MONTH - INTERVAL 1 MICROSECOND)`, args: [D, L] },
  endofyear: { sql: (a) => `(date_trunc('year', ${a[0]} + to_years(CAST(${a[1] ?? 0} AS INTEGER))) + INTERVAL 1 YEAR - INTERVAL 1 MICROSECOND)`, args: [D, L] },
  endofweek: { sql: (a) => `(date_trunc('day', ${a[0]}) - to_days(CAST(dayofweek(${a[0]}) AS INTEGER)) + to_days(CAST(7 * ${a[1] ?? 0} + 7 AS INTEGER)) - INTERVAL 1 MICROSECOND)`, args: [D, L] },
  dayofweek: { sql: '(CAST(dayofweek({0}) AS BIGINT) * 864000000000)', args: [D] },
  dayofmonth: { sql: 'CAST(day({0}) AS INTEGER)', args: [D] }, dayofyear: { sql: 'CAST(dayofyear({0}) AS INTEGER)', args: [D] },
  hourofday: { sql: 'CAST(hour({0}) AS INTEGER)', args: [D] }, getyear: { sql: 'CAST(year({0}) AS INTEGER)', args: [D] },
  getmonth: { sql: 'CAST(month({0}) AS INTEGER)', args: [D] }, monthofyear: { sql: 'CAST(month({0}) AS INTEGER)', args: [D] },
  datetime_add: { sql: (a, raw) => `(${a[2]} + to_${lc(raw[0]!)}(CAST(${a[1]} AS BIGINT)))`, args: [S, L, D] },
  datetime_diff: { sql: (a, raw) => (unit(raw[0]!) === 'week' ? `CAST(((epoch_ms(date_trunc('day', ${a[1]})) // 86400000 + 4) // 7) - ((epoch_ms(date_trunc('day', ${a[2]})) // 86400000 + 4) // 7) AS BIGINT)` : `date_diff(${q(unit(raw[0]!))}, ${a[2]}, ${a[1]})`), args: [S, D, D] },
  toguid: { sql: "(CASE WHEN regexp_matches({0}, '^[0-9a-fA-F]{32}$') THEN lower(substr({0},1,8) || '-' || substr({0},9,4) || '-' || substr({0},13,4) || '-' || substr({0},17,4) || '-' || substr({0},21,12)) WHEN regexp_matches({0}, '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$') THEN lower({0}) END)", args: [S] },
  datetime_part: { sql: (a, raw) => `CAST(${datetimePart(String(raw[0]!.literal ?? 'day').toLowerCase(), a[1]!)} AS INTEGER)`, args: [S, D] },
  // a datetime read as local time in a time zone (IANA name) to UTC, and back; null for a zone ICU does not
  // know (asked first: timezone() fails the whole query on one). A local time that does not exist (skipped
  // when clocks go forward) takes the offset after the change, as Kusto's example does (02:00 in Brussels on
  // 2022-03-27 is 00:00 UTC), where ICU takes the one before: the offset is read back at ICU's answer u.
  datetime_local_to_utc: {
    sql: (a) => inKnownZone(a[1]!, bindValue(`timezone('UTC', timezone(${a[1]}, ${a[0]}))`, 'u', `${a[0]} - (timezone(${a[1]}, timezone('UTC', u)) - u)`)),
    args: [D, S],
  },
  datetime_utc_to_local: { sql: (a) => inKnownZone(a[1]!, `timezone(${a[1]}, timezone('UTC', ${a[0]}))`), args: [D, S] },
  unixtime_nanoseconds_todatetime: { sql: 'make_timestamp(CAST({0} AS BIGINT) // 1000)', args: [L] },
  format_datetime: { sql: (a, raw) => (raw[1]!.isLiteral ? `strftime(${a[0]}, ${q(kustoDateFormat(String(raw[1]!.literal)))})` : `strftime(${a[0]}, ${a[1]})`), args: [D, S] },
  format_timespan: { sql: (a, raw) => (raw[1]?.isLiteral ? formatTimespan(a[0]!, String(raw[1]!.literal)) : `kql_timespan_str(${a[0]})`), args: [T, S] },
  unixtime_seconds_todatetime: { sql: 'make_timestamp(CAST({0} * 1000000 AS BIGINT))', args: [R] },
  unixtime_milliseconds_todatetime: { sql: 'make_timestamp(CAST({0} * 1000 AS BIGINT))', args: [R] },
  unixtime_microseconds_todatetime: { sql: 'make_timestamp(CAST({0} AS BIGINT))', args: [R] },
  totimespan: { sql: '{0}', args: [T] }, todatetime: { sql: '{0}', args: [D] },
  make_datetime: { sql: (a) => `make_timestamp(${a[0]}, ${a[1] ?? 1}, ${a[2] ?? 1}, ${a[3] ?? 0}, ${a[4] ?? 0}, ${a[5] ?? 0})`, rest: L },

  ...SERIES_FUNCTIONS,
  ...DYNAMIC_FUNCTIONS,
  ...IP_STRING_FUNCTIONS,
  ...IPV6_FUNCTIONS,
  // the first CSV record (a quoted field may hold commas, newlines and "" for a quote)
  parse_csv: {
    sql: `to_json(list_transform(regexp_extract_all(regexp_extract({0}, '^((?:"(?:[^"]|"")*"|[^"\n])*)', 1), '(?:^|,)("(?:[^"]|"")*"|[^,]*)', 1), f -> CASE WHEN f LIKE '"%' THEN replace(substr(f, 2, length(f) - 2), '""', '"') ELSE f END))`,
    args: [S],
  },
  make_string: {
    // code points, each an int or a dynamic array of ints
    sql: (a, raw) => `(${a.map((x, i) => (raw[i]!.t === 'dynamic' ? `array_to_string(list_transform(json_extract_string(${x}, '$[*]'), c -> chr(CAST(c AS INTEGER))), '')` : `chr(CAST(${x} AS INTEGER))`)).join(' || ')})`,
    rest: null,
  },
  base64_decode_toarray: { sql: "list_transform([TRY(hex(from_base64({0})))], h -> to_json(list_transform(range(0, length(h), 2), i -> CAST('0x' || substr(h, i + 1, 2) AS BIGINT))))[1]", args: [S] },
  indexof_regex: {
    // indexof_regex(s, re[, start[, length[, occurrence]]]): the position of the n-th non-overlapping
    // match within `length` characters from `start` (-1 = to the end); -1 when none, null for a negative start
    sql: (a, raw) => {
      const st = a[2] ?? '0';
      const region = a[3] ? `(CASE WHEN ${a[3]} < 0 THEN substr(${a[0]}, ${st} + 1) ELSE substr(${a[0]}, ${st} + 1, ${a[3]}) END)` : `substr(${a[0]}, ${st} + 1)`;
      const n = raw[4]?.isLiteral ? Math.max(1, Math.trunc(Number(raw[4].literal))) : 1;
      const lit = raw[1]!.isLiteral ? String(raw[1]!.literal) : null;
      const skip = n > 1 ? `(?:.*?(?:${lit ?? "' || " + a[1] + " || '"})){${n - 1}}` : '';
      const re = lit !== null ? q(`^(?s:(${skip}.*?))(?:${lit})`) : `'^(?s:(${skip}.*?))(?:' || ${a[1]} || ')'`;
      return `(CASE WHEN ${a[0]} IS NULL OR ${a[1]} IS NULL OR ${st} < 0 THEN NULL WHEN regexp_matches(${region}, ${re}) THEN ${st} + length(regexp_extract(${region}, ${re}, 1)) ELSE -1 END)`;
    },
    args: [S, S, L, L, L],
  },
  ipv4_is_in_any_range: {
    // ranges: several strings or one dynamic array of them
    sql: (a, raw) => `(${a.slice(1).map((x, i) => (raw[i + 1]!.t === 'dynamic'
      ? `coalesce(list_bool_or(list_transform(json_extract_string(${x}, '$[*]'), r -> ${ipv4InRange([a[0]!, 'r'])})), FALSE)`
      : ipv4InRange([a[0]!, x]))).join(' OR ') || 'FALSE'})`,
    args: [S], rest: null,
  },
  // keys that are not strings are left out with their values; missing values are null
  bag_zip: {
    sql: (a) => `(CASE WHEN json_type(${a[0]}) = 'ARRAY' AND json_type(${a[1]}) = 'ARRAY' THEN to_json(map_from_entries(list_transform(list_filter(range(CAST(json_array_length(${a[0]}) AS BIGINT)), `
      + `i -> json_type(${a[0]}, '$[' || i || ']') = 'VARCHAR'), i -> {'k': json_extract_string(${a[0]}, '$[' || i || ']'), 'v': json_extract(${a[1]}, '$[' || i || ']')}))) END)`,
    args: [J, J],
  },

  // make-series (src/kql/ir/series.ts): bins are numbered from `from` by `step`; datetime steps are ticks
  series_count: { sql: (a, raw) => `greatest(CAST(ceil(${raw[0]!.t === 'datetime' ? `(epoch_us(${a[1]}) - epoch_us(${a[0]})) / (${a[2]} / 10)` : `(${a[1]} - ${a[0]}) / ${a[2]}`}) AS BIGINT), 0)` },
  series_bin: { sql: (a, raw) => (raw[0]!.t === 'datetime' ? `((epoch_us(${a[0]}) - epoch_us(${a[1]})) // (${a[2]} // 10))` : `CAST(floor((${a[0]} - ${a[1]}) / ${a[2]}) AS BIGINT)`) },
  series_fill: { sql: 'to_json(list_transform(range({2}), i -> coalesce({1}[list_position({0}, i)], {3})))' },
  series_axis: {
    sql: (a, raw) => (raw[0]!.t === 'datetime'
      ? `to_json(list_transform(range(${a[2]}), i -> ${datetimeText(`${a[0]} + to_microseconds(i * (${a[1]} // 10))`)}))`
      : `to_json(list_transform(range(${a[2]}), i -> ${a[0]} + i * ${a[1]}))`),
  },
  series_nonempty: { sql: '(len({0}) > 0)' },

  // math
  abs: { sql: 'abs({0})' }, floor: { sql: 'floor({0})', args: [R] }, ceiling: { sql: 'ceiling({0})', args: [R] },
  round: { sql: (a) => `round(${a[0]}, CAST(${a[1] ?? 0} AS INTEGER))`, args: [R, L] },
  sqrt: { sql: 'sqrt({0})', args: [R] }, log: { sql: 'ln({0})', args: [R] }, log10: { sql: 'log10({0})', args: [R] }, log2: { sql: 'log2({0})', args: [R] },
  exp: { sql: 'exp({0})', args: [R] }, pow: { sql: 'pow({0}, {1})', args: [R, R] },
  sign: { sql: 'sign({0})' }, min_of: { sql: 'least({*})' }, max_of: { sql: 'greatest({*})' },
  isnan: { sql: 'isnan({0})', args: [R] }, isinf: { sql: 'isinf({0})', args: [R] }, isfinite: { sql: 'isfinite({0})', args: [R] },
  rand: { sql: (a) => (a.length ? `CAST(floor(random() * ${a[0]}) AS BIGINT)` : 'random()') },
  pi: { sql: 'pi()' },

  // dynamic
  array_length: { sql: "(CASE WHEN json_type({0}) = 'ARRAY' THEN CAST(json_array_length({0}) AS BIGINT) END)", args: [J] },
  bag_keys: { sql: "(CASE WHEN json_type({0}) = 'OBJECT' THEN to_json(json_keys({0})) END)", args: [J] },
  // each element keeps its own type: strings stay JSON strings (not parsed), timespans and datetimes as Kusto prints them
  pack_array: {
    sql: (a, raw) => `json_array(${a.map((x, i) => {
      const t = raw[i]!.t;
      if (t === 'timespan') return `kql_timespan_str(${x})`;
      if (t === 'datetime') return `(${datetimeText(x)})`;
      return x;
    }).join(', ')})`,
    rest: null,
  },
  // values as dynamic holds them (datetimes and timespans in Kusto's text, as make_list and friends write them)
  bag_pack: { sql: (a, raw) => { const p: string[] = []; for (let i = 0; i + 1 < a.length; i += 2) p.push(`${a[i]}, ${asJson(a[i + 1]!, raw[i + 1]!.t)}`); return `json_object(${p.join(', ')})`; }, rest: null },
  // pack_all(true): members whose value is null or an empty string are left out
  bag_pack_nonempty: {
    sql: (a, raw) => {
      const members: string[] = [];
      for (let i = 0; i + 1 < a.length; i += 2) {
        const v = a[i + 1]!, t = raw[i + 1]!.t;
        const empty = t === 'string' ? `${v} IS NULL OR ${v} = ''` : t === 'dynamic' ? `${v} IS NULL OR json_type(${v}) = 'NULL'` : `${v} IS NULL`;
        members.push(`CASE WHEN ${empty} THEN NULL ELSE to_json(${a[i]}) || ':' || CAST(${asJson(v, t)} AS VARCHAR) END`);
      }
      return members.length ? `CAST('{' || concat_ws(',', ${members.join(', ')}) || '}' AS JSON)` : `CAST('{}' AS JSON)`;
    },
    rest: null,
  },
  array_concat: { sql: (a) => `to_json(flatten([${a.map((x) => `CAST(json_extract(${x}, '$[*]') AS JSON[])`).join(', ')}]))`, rest: J },
  set_has_element: { sql: "list_contains(json_extract_string({0}, '$[*]'), {1})", args: [J, S] },
  array_index_of: { sql: "coalesce(list_position(json_extract_string({0}, '$[*]'), {1}) - 1, -1)", args: [J, S] },
  strcat_array: { sql: "array_to_string(json_extract_string({0}, '$[*]'), {1})", args: [J, S] },
  array_sort_asc: { sql: (a, raw) => sortArray(a, raw, 'ASC'), args: [J, B] },
  array_sort_desc: { sql: (a, raw) => sortArray(a, raw, 'DESC'), args: [J, B] },
  // negative indexes count from the end (-1 = last), as DuckDB's own slice bounds do
  array_slice: { sql: "to_json(json_extract({0}, '$[*]')[CASE WHEN {1} < 0 THEN {1} ELSE {1} + 1 END:CASE WHEN {2} < 0 THEN {2} ELSE {2} + 1 END])", args: [J, L, L] },
  array_reverse: { sql: "to_json(list_reverse(json_extract({0}, '$[*]')))", args: [J] },
  set_union: { sql: (a) => `to_json(list_distinct(flatten([${a.map((x) => `json_extract(${x}, '$[*]')`).join(', ')}])))`, rest: J },
  // |a ∩ b| / |a ∪ b| of the distinct values
  // (dynamic, as the binder types it)
  jaccard_index: { sql: "to_json(len(list_intersect(json_extract({0}, '$[*]'), json_extract({1}, '$[*]'))) / NULLIF(len(list_distinct(flatten([json_extract({0}, '$[*]'), json_extract({1}, '$[*]')]))), 0))", args: [J, J] },
  set_intersect: { sql: (a) => `to_json(${a.slice(1).reduce((acc, x) => `list_intersect(${acc}, json_extract(${x}, '$[*]'))`, `json_extract(${a[0]}, '$[*]')`)})`, rest: J },
  // the distinct values of the first array (in first-seen order) that no other array holds
  set_difference: {
    sql: (a) => bindValue(`list_filter(json_extract(${a[0]}, '$[*]'), x -> NOT list_contains(flatten([${a.slice(1).map((x) => `json_extract(${x}, '$[*]')`).join(', ')}]), x))`, 'l', 'to_json(list_filter(l, (v, i) -> list_position(l, v) = i))'),
    rest: J,
  },
  todynamic: { sql: '{0}' },
  parse_url: { sql: (a) => `json_object('Scheme', coalesce(regexp_extract(${a[0]}, '^([A-Za-z][A-Za-z0-9+.-]*)://', 1), ''), 'Host', coalesce(regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?([^:/?#]*)', 1), ''), 'Port', coalesce(regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/]*@)?[^:/?#]*:(\\d+)', 1), ''), 'Path', coalesce(regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*(/[^?#]*)', 1), ''), 'Username', coalesce(regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://([^:@/]*)(?::[^@/]*)?@', 1), ''), 'Password', coalesce(regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://[^:@/]*:([^@/]*)@', 1), ''), 'Query Parameters', ${queryParameters(`regexp_extract(${a[0]}, '^[A-Za-z][A-Za-z0-9+.-]*://[^?#]*\\?([^#]*)', 1)`)}, 'Fragment', coalesce(regexp_extract(${a[0]}, '#(.*)$', 1), ''))`, args: [S] },
  parse_urlquery: { sql: (a) => `json_object('Query Parameters', ${queryParameters(a[0]!)})`, args: [S] },
  parse_path: { sql: (a) => parsePath(a[0]!), args: [S] },
  parse_command_line: { sql: "to_json(list_filter(regexp_extract_all({0}, '\"([^\"]*)\"|(\\S+)', 0), x -> x <> ''))", args: [S], ignores: 'the parser kind: "windows" is the only one Kusto has' },
  geo_info_from_ip_address: { sql: "CAST('{}' AS JSON)", args: [S], ignores: 'the address: no geolocation database is shipped, so every address is one it cannot place (an empty bag, as Kusto gives for those)' },
  new_guid: { sql: 'CAST(uuid() AS VARCHAR)' },
  tobool: { sql: '{0}', args: [B] }, toint: { sql: '{0}', args: ['int'] }, tolong: { sql: '{0}', args: [L] }, todouble: { sql: '{0}', args: [R] }, toreal: { sql: '{0}', args: [R] },
};

/**
 * A URL's query part (`k1=v1&k2=v2`) as a property bag, read as .NET's ParseQueryString does: names and
 * values URL-decoded with '+' as a space, a repeated name's values joined with ',', and a part without
 * '=' (which has no name there) left out.
 */
function queryParameters(query: string): string {
  const parts = `list_filter(string_split(${query}, '&'), p -> strpos(p, '=') > 0)`;
  const decode = (x: string) => `url_decode(replace(${x}, '+', ' '))`;
  const names = `list_transform(ps, p -> ${decode("split_part(p, '=', 1)")})`;
  const values = `list_transform(ps, p -> ${decode("substr(p, strpos(p, '=') + 1)")})`;
  const member = `to_json(ns[i]) || ':' || to_json(array_to_string(list_transform(list_filter(range(1, len(ns) + 1), j -> ns[j] = ns[i]), j -> vs[j]), ','))`;
  const firsts = `list_filter(range(1, len(ns) + 1), i -> list_position(ns, ns[i]) = i)`;
  const text = `'{' || array_to_string(list_transform(${firsts}, i -> ${member}), ',') || '}'`;
  return `CAST(list_transform([${parts}], ps -> list_transform([${names}], ns -> list_transform([${values}], vs -> ${text})[1])[1])[1] AS JSON)`;
}

/**
 * countof(source, search[, kind]): plain matches may overlap ("aaaa", "aa" is 3), regex matches do not. A
 * constant search no proper prefix of which is also its suffix cannot overlap itself, so it is counted
 * by what replace() removes; any other is tried at every position.
 */
function countof(a: string[], raw: RenderedArg[]): string {
  const [s, t] = [a[0]!, a[1]!];
  const regex = `len(regexp_extract_all(${s}, ${t}))`;
  const lit = raw[1]!.isLiteral && typeof raw[1]!.literal === 'string' ? raw[1]!.literal : null;
  const selfOverlaps = lit === null || [...Array(Math.max(lit.length - 1, 0)).keys()].some((i) => lit.slice(0, i + 1) === lit.slice(lit.length - i - 1));
  const plain = selfOverlaps
    ? `(CASE WHEN length(${t}) = 0 THEN 0 ELSE len(list_filter(range(0, greatest(length(${s}) - length(${t}) + 1, 0)), i -> substr(${s}, i + 1, length(${t})) = ${t})) END)`
    : `(CASE WHEN length(${t}) = 0 THEN 0 ELSE (length(${s}) - length(replace(${s}, ${t}, ''))) // length(${t}) END)`;
  // the binder takes only a constant kind
  return raw[2]?.isLiteral && String(raw[2].literal).toLowerCase() === 'regex' ? regex : plain;
}

function lc(r: RenderedArg): string {
  const u = unit(r);
  const m: Record<string, string> = { year: 'years', quarter: 'months', month: 'months', week: 'weeks', day: 'days', hour: 'hours', minute: 'minutes', second: 'seconds', millisecond: 'milliseconds', microsecond: 'microseconds' };
  return m[u] ?? 'days';
}
/** 32 hex digits reordered between a guid's text and .NET's byte order (the first 4, 2 and 2 bytes reversed); with dashes when `dashed`. */
function guidBytes(hex: string, dashed = false): string {
  const b = (i: number) => `substr(${hex}, ${2 * i + 1}, 2)`;
  const parts = [[3, 2, 1, 0], [5, 4], [7, 6], [8, 9], [10, 11, 12, 13, 14, 15]].map((g) => g.map(b).join(' || '));
  return parts.join(dashed ? ` || '-' || ` : ' || ');
}

/** `sql` where the zone `tz` is one ICU knows, else NULL. */
const inKnownZone = (tz: string, sql: string) => `(CASE WHEN ${tz} IN (SELECT name FROM pg_timezone_names()) THEN ${sql} END)`;

/** Kusto's datetime_part parts: week_of_year is the ISO week; sub-second parts count within the second. */
function datetimePart(part: string, dt: string): string {
  const inSecond = `(date_part('microsecond', ${dt}) % 1000000)`;
  const singular = part.replace(/s$/, '');
  switch (singular) {
    case 'week_of_year': case 'weekofyear': case 'week': return `date_part('week', ${dt})`;
    case 'dayofyear': return `date_part('doy', ${dt})`;
    case 'millisecond': return `(${inSecond} // 1000)`;
    case 'microsecond': return inSecond;
    case 'nanosecond': return `(${inSecond} * 1000)`;
    default: return `date_part(${q(singular)}, ${dt})`;
  }
}

function unit(r: RenderedArg): string {
  const s = String(r.literal ?? 'day').toLowerCase().replace(/s$/, '');
  return s === 'nanosecond' ? 'microsecond' : s;
}

export const AGGREGATES: Record<string, FnTemplate> = {
  count: { sql: (a) => (a.length ? `count(${a[0]})` : 'count(*)') },
  countif: { sql: 'count(*) FILTER (WHERE {0})', args: [B] },
  dcount: { sql: 'count(DISTINCT {0})', ignores: 'the accuracy level: the count is exact' },
  dcountif: { sql: 'count(DISTINCT {0}) FILTER (WHERE {1})', args: [null, B] },
  count_distinct: { sql: 'count(DISTINCT {0})' },
  count_distinctif: { sql: 'count(DISTINCT {0}) FILTER (WHERE {1})', args: [null, B] },
  sum: { sql: 'sum({0})' }, sumif: { sql: 'sum({0}) FILTER (WHERE {1})', args: [null, B] },
  avg: { sql: 'avg({0})' }, avgif: { sql: 'avg({0}) FILTER (WHERE {1})', args: [null, B] },
  min: { sql: 'min({0})' }, max: { sql: 'max({0})' },
  minif: { sql: 'min({0}) FILTER (WHERE {1})', args: [null, B] }, maxif: { sql: 'max({0}) FILTER (WHERE {1})', args: [null, B] },
  stdev: { sql: 'stddev_samp({0})' }, stdevp: { sql: 'stddev_pop({0})' }, variance: { sql: 'var_samp({0})' }, variancep: { sql: 'var_pop({0})' },
  stdevif: { sql: 'stddev_samp({0}) FILTER (WHERE {1})', args: [null, B] }, varianceif: { sql: 'var_samp({0}) FILTER (WHERE {1})', args: [null, B] },
  variancepif: { sql: 'var_pop({0}) FILTER (WHERE {1})', args: [null, B] },
  covariance: { sql: 'covar_samp({0}, {1})', args: [R, R] }, covariancep: { sql: 'covar_pop({0}, {1})', args: [R, R] },
  covarianceif: { sql: 'covar_samp({0}, {1}) FILTER (WHERE {2})', args: [R, R, B] },
  take_any: { sql: 'any_value({0})' }, any: { sql: 'any_value({0})' },
  // one column of take_any(a, b, …) / take_any(*): first() of every column of one aggregate reads the same row, nulls included
  take_any_row: { sql: 'first({0})' },
  take_anyif: { sql: 'any_value({0}) FILTER (WHERE {1})', args: [null, B] }, anyif: { sql: 'any_value({0}) FILTER (WHERE {1})', args: [null, B] },
  make_set: { sql: (a) => makeSet(a[0]!, `${a[0]} IS NOT NULL`, a[1]) },
  make_set_if: { sql: (a) => makeSet(a[0]!, `${a[0]} IS NOT NULL AND ${a[1]}`, a[2]), args: [null, B, L] },
  make_list: { sql: (a) => `coalesce(to_json(list(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL)${a[1] ? `[1:${a[1]}]` : ''}), CAST('[]' AS JSON))` },
  make_list_if: { sql: (a) => `coalesce(to_json(list(${a[0]}) FILTER (WHERE ${a[0]} IS NOT NULL AND ${a[1]})${a[2] ? `[1:${a[2]}]` : ''}), CAST('[]' AS JSON))`, args: [null, B, L] },
  make_list_with_nulls: { sql: "coalesce(to_json(list({0})), CAST('[]' AS JSON))" },
  make_bag_if: { sql: "coalesce(CAST(json_merge_patch('{}', list_reduce(list(CAST({0} AS JSON)) FILTER (WHERE json_type({0}) = 'OBJECT' AND {1}), (x, y) -> json_merge_patch(x, y))) AS JSON), CAST('{}' AS JSON))", args: [J, B] },
  make_bag: { sql: "coalesce(CAST(json_merge_patch('{}', list_reduce(list(CAST({0} AS JSON)) FILTER (WHERE json_type({0}) = 'OBJECT'), (x, y) -> json_merge_patch(x, y))) AS JSON), CAST('{}' AS JSON))", args: [J] },
  percentile: { sql: (a) => `quantile_disc(${a[0]}, ${a[1]} / 100.0)` },
  percentiles: { sql: (a) => `quantile_disc(${a[0]}, ${a[1]} / 100.0)` },
  binary_all_or: { sql: 'bit_or({0})' }, binary_all_and: { sql: 'bit_and({0})' }, binary_all_xor: { sql: 'bit_xor({0})' },
  hll: { sql: 'count(DISTINCT {0})' },
  // arg_max / arg_min: one aggregate per output column (rendered by the renderer)
  // when every key of the group is null, Kusto returns the group's first row
  arg_max: { sql: '(CASE WHEN max({1}) IS NULL THEN first({0}) ELSE arg_max_null({0}, {1}) END)' },
  arg_min: { sql: '(CASE WHEN min({1}) IS NULL THEN first({0}) ELSE arg_min_null({0}, {1}) END)' },
  arg_max_key: { sql: 'max({0})' }, arg_min_key: { sql: 'min({0})' },
  // make-series: a group's values as a SQL list ordered by bin number
  series_list: { sql: 'list({0} ORDER BY {1})' },
};
