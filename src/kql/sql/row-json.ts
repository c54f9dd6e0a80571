// The SELECT that encodes result rows as Defender's API JSON inside DuckDB (exec/json-rows.ts reads it).
// The text must be byte for byte what JavaScript's JSON.stringify of the parsed row gives (the API has always
// served that): where DuckDB writes a value differently and SQL cannot cheaply fix it, "recode" is true and the
// row is re-encoded in JS.
//
// A row is one concat() of constant key texts and each value's JSON text, not a json_object(): json_object
// builds a document per row and re-parses every dynamic value. In the seed queries that return whole rows with
// a dynamic column that was a fifth of DuckDB's CPU (Q6 1605 → 1260 ms, Q13 1713 → 1409, Q12 1312 → 1049; same
// bytes); rows without one cost the same either way (Q1, Q2).
import type { Column, KType } from '../ir/plan.js';
import { datetimeText } from './duckdb/dialect.js';

/** SQL of the value Defender's API writes: datetimes ISO 8601 with 7 digits, timespans d.hh:mm:ss, NaN as a string. */
function encodeJson(v: string, t: 'datetime' | 'timespan' | 'real' | 'decimal' | 'dynamic'): string {
  switch (t) {
    case 'datetime': return datetimeText(v);
    case 'timespan': return `kql_timespan_str(${v})`;
    // whole numbers as integers: DuckDB writes 3.0 where JavaScript writes 3
    case 'real': case 'decimal': return `CASE WHEN isnan(${v}) THEN to_json('NaN') WHEN isinf(${v}) THEN to_json(CASE WHEN ${v} > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN ${v} = trunc(${v}) AND abs(${v}) < 1e15 THEN to_json(CAST(${v} AS BIGINT)) ELSE to_json(${v}) END`;
    // dynamic text that is not spliced in as it is (SPLICE_UNSAFE), before json() rewrites it:
    // 300.0 → 300 in numbers (strings are skipped whole), as DuckDB would write 300.0 where JavaScript writes 300.
    // After the cheap contains, the anchored walk that skips strings decides (an unanchored search for any zero
    // fraction ran slower in RE2, and "Mozilla/5.0" in user agents passed it anyway). When no string holds ".0",
    // every ".0" is in a number: a replace that need not skip strings is 6x cheaper.
    case 'dynamic': {
      const text = `CAST(${v} AS VARCHAR)`;
      return `CASE WHEN NOT contains(${text}, '.0') OR NOT regexp_matches(${text}, '${HAS_ZERO_FRACTION}') THEN ${v} WHEN NOT regexp_matches(${text}, '${STRING_WITH_DOT_ZERO}') THEN CAST(regexp_replace(${text}, '${NUMBER_ZERO_FRACTION}', '\\1', 'g') AS JSON) ELSE CAST(regexp_replace(${text}, '${ZERO_FRACTION}', '\\1\\2\\3', 'g') AS JSON) END`;
    }
  }
}

/** JSON text with a number (outside strings) whose fraction is zeros: "Mozilla/5.0" in a string does not count. */
const HAS_ZERO_FRACTION = String.raw`^(?:[^"]|"(?:[^"\\]|\\.)*")*?[0-9]\.0+(?:[^0-9eE]|$)`;
/** A JSON string (kept as is) or a number's zero fraction not followed by an exponent (dropped). */
const ZERO_FRACTION = String.raw`("(?:[^"\\]|\\.)*")|([0-9])\.0+([^0-9eE]|$)`;
/** JSON text with a string (or key) holding ".0". */
const STRING_WITH_DOT_ZERO = String.raw`^(?:[^"]|"(?:[^"\\]|\\.)*")*"(?:[^"\\]|\\.)*\.0`;
/** A number's zero fraction not followed by an exponent, where no string holds ".0" (outside strings "." is in numbers only). */
const NUMBER_ZERO_FRACTION = String.raw`\.0+([^0-9eE]|$)`;

/**
 * JSON text (outside strings) that JSON.parse + JSON.stringify would write differently from DuckDB: exponents,
 * 16+ digit numbers (past double precision), integer keys (V8 orders them first), minus zero (JavaScript writes 0).
 */
const DYNAMIC_NOT_CANONICAL = String.raw`^(?:[^"]|"(?:[^"\\]|\\.)*")*?(?:[0-9][eE]|[0-9](?:\.?[0-9]){15}|"(?:0|[1-9][0-9]*)"\s*:|-0(?:\.0*)?(?:[^.0-9eE]|$))`;

/** SQL true when a value's JSON text may differ from JavaScript's encoding of it. */
function notCanonical(v: string, t: KType): string | null {
  switch (t) {
    case 'long': return `(${v} > 9007199254740991 OR ${v} < -9007199254740991)`;
    case 'real': case 'decimal': return `(${v} = trunc(${v}) AND abs(${v}) >= 1e15 AND NOT isinf(${v}) AND NOT isnan(${v}))`;
    case 'dynamic': return `regexp_matches(CAST(${v} AS VARCHAR), '${DYNAMIC_NOT_CANONICAL}')`;
    case 'unknown': return `${v} IS NOT NULL`;
    default: return null;
  }
}

/** Column names JSON.parse would reorder (array indices go first) or merge (duplicates): every row is re-encoded. */
function namesNotCanonical(names: string[]): boolean {
  return names.some((n) => /^(?:0|[1-9][0-9]*)$/.test(n)) || new Set(names).size !== names.length;
}

/**
 * Dynamic JSON text that DuckDB's json() (what json_object did to it) would rewrite, outside strings: whitespace,
 * a fraction ending in 0 (2.50, 3.0), a number under 1e-6 (JavaScript writes 1e-7); or a "\/" in a string. Any
 * other text is spliced in as it is; the rules of DYNAMIC_NOT_CANONICAL and the \u check in JS still apply to it.
 */
const SPLICE_UNSAFE = String.raw`^(?:[^"]|"(?:[^"\\]|\\[^/])*")*?(?:[ \t\n\r]|\.[0-9]*0(?:[^0-9]|$)|0\.0{6}|"(?:[^"\\]|\\[^/])*\\/)`;

/** SQL text of one value as JSON (never NULL: a null is the text null). */
function valueText(v: string, t: KType): string {
  switch (t) {
    case 'bool': return `CASE WHEN ${v} THEN 'true' WHEN NOT ${v} THEN 'false' ELSE 'null' END`;
    case 'int': case 'long': return `coalesce(CAST(${v} AS VARCHAR), 'null')`;
    // digits, signs, '.', ':', 'T' and 'Z' only: nothing to escape
    case 'datetime': case 'timespan': return `coalesce('"' || ${encodeJson(v, t)} || '"', 'null')`;
    case 'real': case 'decimal': return `coalesce(CAST(${encodeJson(v, t)} AS VARCHAR), 'null')`;
    case 'string': case 'guid': return `CASE WHEN ${v} IS NULL OR ${v} = '' THEN '""' ELSE CAST(to_json(${v}) AS VARCHAR) END`;
    case 'dynamic': {
      const text = `CAST(${v} AS VARCHAR)`;
      return `CASE WHEN ${v} IS NULL THEN 'null' WHEN NOT regexp_matches(${text}, '${SPLICE_UNSAFE}') THEN ${text} ELSE CAST(json(${encodeJson(v, t)}) AS VARCHAR) END`;
    }
    default: return `coalesce(CAST(to_json(${v}) AS VARCHAR), 'null')`;
  }
}

/**
 * Rows of `inner` (columns c0…cN, of the SQL types of their Kusto types) as "row" (the JSON object and a comma)
 * and "recode", at most __WIREHUNT_LIMIT__ (the caller substitutes it).
 */
export function rowsJsonSql(columns: Column[], inner: string, sqlString: (text: string) => string): string {
  const pieces: string[] = [];
  const checks: string[] = [];
  columns.forEach((c, i) => {
    pieces.push(sqlString(`${i ? ',' : '{'}${JSON.stringify(c.name)}:`), valueText(`q.c${i}`, c.type));
    const check = notCanonical(`q.c${i}`, c.type);
    if (check) checks.push(check);
  });
  pieces.push(sqlString(columns.length ? '},' : '{},'));
  const recode = namesNotCanonical(columns.map((c) => c.name)) ? 'TRUE' : checks.length ? `coalesce(${checks.join(' OR ')}, FALSE)` : 'FALSE';
  // a LIMIT on the outer SELECT streams (rows are encoded in parallel, the scan stops at the limit); inside the
  // subquery it became a blocking step before the encoding and ran 2.7x slower (Q2, measured)
  return `SELECT concat(${pieces.join(', ')}) AS row, ${recode} AS recode FROM (${inner}) AS q LIMIT __WIREHUNT_LIMIT__`;
}
