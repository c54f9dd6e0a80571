// The SELECT that encodes result rows as Defender's API JSON inside DuckDB (exec/json-rows.ts reads it).
// The text must be byte for byte what JavaScript's JSON.stringify of the parsed row gives (the API has always
// served that): where DuckDB writes a value differently and SQL cannot cheaply fix it, "recode" is true and the
// row is re-encoded in JS.
import type { Column, KType } from '../ir/plan.js';
import { datetimeText } from './duckdb/dialect.js';

/** SQL encoding one value for Defender's API: datetimes ISO 8601 with 7 digits, timespans d.hh:mm:ss, NaN as a string. */
function encodeJson(v: string, t: KType): string {
  switch (t) {
    case 'datetime': return datetimeText(v);
    case 'timespan': return `kql_timespan_str(${v})`;
    // whole numbers as integers: DuckDB writes 3.0 where JavaScript writes 3
    case 'real': case 'decimal': return `CASE WHEN isnan(${v}) THEN to_json('NaN') WHEN isinf(${v}) THEN to_json(CASE WHEN ${v} > 0 THEN 'Infinity' ELSE '-Infinity' END) WHEN ${v} = trunc(${v}) AND abs(${v}) < 1e15 THEN to_json(CAST(${v} AS BIGINT)) ELSE to_json(${v}) END`;
    case 'string': case 'guid': return `coalesce(${v}, '')`;
    // 300.0 → 300 in numbers (strings are skipped whole): DuckDB would write 300.0 where JavaScript writes 300.
    // Half the texts of a capture hold ".0" (an rtt of 0.00075) but almost none a zero fraction: after the cheap
    // contains, one anchored walk that skips strings settles them (measured on 100k DNS rows: 1 in 400 went
    // further). An unanchored search for any zero fraction first cost more: RE2 runs it slower than the anchored
    // walk, and "Mozilla/5.0" in every user agent sent HTTP rows on to the walk anyway (Q6: 1464 → 1319 CPU ms).
    // When no string holds ".0", every ".0" is in a number: a replace that need not skip strings is 6x cheaper.
    case 'dynamic': {
      const text = `CAST(${v} AS VARCHAR)`;
      return `CASE WHEN NOT contains(${text}, '.0') OR NOT regexp_matches(${text}, '${HAS_ZERO_FRACTION}') THEN ${v} WHEN NOT regexp_matches(${text}, '${STRING_WITH_DOT_ZERO}') THEN CAST(regexp_replace(${text}, '${NUMBER_ZERO_FRACTION}', '\\1', 'g') AS JSON) ELSE CAST(regexp_replace(${text}, '${ZERO_FRACTION}', '\\1\\2\\3', 'g') AS JSON) END`;
    }
    default: return v;
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

/** Rows of `inner` (columns c0…cN) as "row" (the JSON object and a comma) and "recode", at most __WIREHUNT_LIMIT__ (the caller substitutes it). */
export function rowsJsonSql(columns: Column[], inner: string, nameLiteral: (name: string) => string): string {
  const pairs: string[] = [];
  const checks: string[] = [];
  columns.forEach((c, i) => {
    pairs.push(`${nameLiteral(c.name)}, ${encodeJson(`q.c${i}`, c.type)}`);
    const check = notCanonical(`q.c${i}`, c.type);
    if (check) checks.push(check);
  });
  const recode = namesNotCanonical(columns.map((c) => c.name)) ? 'TRUE' : checks.length ? `coalesce(${checks.join(' OR ')}, FALSE)` : 'FALSE';
  // a LIMIT on the outer SELECT streams (rows are encoded in parallel, the scan stops at the limit); inside the
  // subquery it became a blocking step before the encoding and ran 2.7x slower (Q2, measured)
  return `SELECT CAST(json_object(${pairs.join(', ')}) AS VARCHAR) || ',' AS row, ${recode} AS recode FROM (${inner}) AS q LIMIT __WIREHUNT_LIMIT__`;
}
