// The DuckDB dialect: how Kusto types are stored (see src/store/types.ts) and how each catalog
// function renders. Functions and aggregates are data (src/kql/sql/duckdb/functions.ts).
import type { Dialect } from '../dialect.js';
import type { KType } from '../../ir/plan.js';
import { FUNCTIONS, AGGREGATES } from './functions.js';
import { OPERATOR_FUNCTIONS } from './operator-functions.js';
import { IPV6_MACROS } from './ipv6-functions.js';

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal; control characters (NUL included, which SQL text cannot carry) become chr(n). */
/** A datetime as Kusto prints it: ISO 8601 UTC with 7 fraction digits (DuckDB keeps 6, the 7th is 0). */
export function datetimeText(sql: string): string {
  return `strftime(${sql}, '%Y-%m-%dT%H:%M:%S.%f') || '0Z'`;
}

export function sqlString(s: string): string {
  if (!/[\x00-\x08\x0b\x0c\x0e-\x1f]/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  const parts = s.split(/([\x00-\x08\x0b\x0c\x0e-\x1f])/).filter((x) => x !== '');
  return '(' + parts.map((x) => (x.length === 1 && x.charCodeAt(0) < 0x20 && !/[\t\n\r]/.test(x) ? `chr(${x.charCodeAt(0)})` : `'${x.replace(/'/g, "''")}'`)).join(' || ') + ')';
}

const SQL_TYPES: Record<KType, string> = {
  bool: 'BOOLEAN', int: 'INTEGER', long: 'BIGINT', real: 'DOUBLE', decimal: 'DOUBLE', string: 'VARCHAR',
  datetime: 'TIMESTAMP', timespan: 'BIGINT', dynamic: 'JSON', guid: 'VARCHAR', type: 'VARCHAR', unknown: 'VARCHAR',
};

export function jsonPath(path: (string | number)[]): string {
  let p = '$';
  for (const s of path) {
    if (typeof s === 'number') p += s < 0 ? `[#${s}]` : `[${s}]`;
    else p += '."' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  }
  return p;
}

function literal(t: KType, v: unknown): string {
  if (v === null || v === undefined) return t === 'string' || t === 'guid' ? "''" : `CAST(NULL AS ${SQL_TYPES[t]})`;
  switch (t) {
    case 'string': case 'guid': case 'type': case 'unknown': return sqlString(String(v));
    case 'bool': return v ? 'TRUE' : 'FALSE';
    // a constant past the type's range is null, as a conversion of a column's value is (TRY_CAST)
    case 'int': {
      const n = Math.trunc(Number(v));
      return n >= -2147483648 && n <= 2147483647 ? `CAST(${n} AS INTEGER)` : 'CAST(NULL AS INTEGER)';
    }
    case 'long': case 'timespan': {
      // digits past 2^53 arrive as text or bigint; a number too large for digits (1e+30) is no long
      const n = typeof v === 'bigint' || (typeof v === 'string' && /^-?\d+$/.test(v)) ? String(v) : String(Math.trunc(Number(v)));
      return /^-?\d+$/.test(n) && BigInt(n) >= -(2n ** 63n) && BigInt(n) < 2n ** 63n ? `CAST(${n} AS BIGINT)` : 'CAST(NULL AS BIGINT)';
    }
    case 'real': case 'decimal': {
      const n = Number(v);
      if (Number.isNaN(n)) return "CAST('NaN' AS DOUBLE)";
      if (!Number.isFinite(n)) return n > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)";
      return `CAST(${String(n)} AS DOUBLE)`;
    }
    case 'datetime': return `make_timestamp(CAST(${Math.round(Number(v))} AS BIGINT))`;
    case 'dynamic': return `CAST(${sqlString(JSON.stringify(v))} AS JSON)`;
  }
}

const TO_LONG_FROM_TEXT = (x: string, ty: string) => `TRY_CAST(trunc(TRY_CAST(${x} AS DOUBLE)) AS ${ty})`;

function convert(sql: string, from: KType, to: KType): string {
  if (from === to) return sql;
  switch (to) {
    case 'string': case 'guid':
      switch (from) {
        case 'dynamic': return `coalesce(json_extract_string(${sql}, '$'), '')`;
        case 'datetime': return `coalesce(${datetimeText(sql)}, '')`;
        case 'timespan': return `coalesce(kql_timespan_str(${sql}), '')`;
        case 'real': case 'decimal': return `coalesce(CASE WHEN ${sql} = trunc(${sql}) AND abs(${sql}) < 1e15 THEN CAST(CAST(${sql} AS BIGINT) AS VARCHAR) ELSE CAST(${sql} AS VARCHAR) END, '')`;
        case 'string': case 'guid': return sql;
        default: return `coalesce(CAST(${sql} AS VARCHAR), '')`;
      }
    case 'long': case 'int': {
      const ty = to === 'long' ? 'BIGINT' : 'INTEGER';
      switch (from) {
        case 'dynamic': return TO_LONG_FROM_TEXT(`json_extract_string(${sql}, '$')`, ty);
        case 'string': case 'guid': return TO_LONG_FROM_TEXT(sql, ty);
        case 'real': case 'decimal': return `TRY_CAST(trunc(${sql}) AS ${ty})`;
        case 'bool': return `CAST(${sql} AS ${ty})`;
        case 'datetime': return `(epoch_us(${sql}) * 10 + 621355968000000000)`;
        default: return `TRY_CAST(${sql} AS ${ty})`;
      }
    }
    case 'real': case 'decimal':
      switch (from) {
        case 'dynamic': return `TRY_CAST(json_extract_string(${sql}, '$') AS DOUBLE)`;
        case 'datetime': return `CAST(epoch_us(${sql}) * 10 + 621355968000000000 AS DOUBLE)`;
        default: return `TRY_CAST(${sql} AS DOUBLE)`;
      }
    case 'bool':
      switch (from) {
        case 'dynamic': return `TRY_CAST(json_extract_string(${sql}, '$') AS BOOLEAN)`;
        case 'string': return `TRY_CAST(${sql} AS BOOLEAN)`;
        default: return `(${sql} <> 0)`;
      }
    case 'datetime':
      switch (from) {
        case 'dynamic': return `TRY_CAST(replace(json_extract_string(${sql}, '$'), 'Z', '') AS TIMESTAMP)`;
        case 'string': return `coalesce(TRY_CAST(replace(${sql}, 'Z', '') AS TIMESTAMP), try_strptime(${sql}, '%m/%d/%Y %H:%M:%S'), try_strptime(${sql}, '%m/%d/%Y'), try_strptime(${sql}, '%m-%d-%Y %H:%M:%S'), try_strptime(${sql}, '%m-%d-%Y'))`;
        case 'long': case 'int': return `make_timestamp(CAST((${sql} - 621355968000000000) // 10 AS BIGINT))`;
        default: return `TRY_CAST(${sql} AS TIMESTAMP)`;
      }
    case 'timespan':
      switch (from) {
        case 'long': case 'int': case 'real': return `CAST(${sql} AS BIGINT)`;
        case 'dynamic': return `kql_parse_timespan(json_extract_string(${sql}, '$'))`;
        case 'string': return `kql_parse_timespan(${sql})`;
        default: return `CAST(NULL AS BIGINT)`;
      }
    case 'dynamic':
      switch (from) {
        case 'string': return `TRY_CAST(NULLIF(${sql}, '') AS JSON)`;
        case 'datetime': return `to_json(${convert(sql, 'datetime', 'string')})`;
        default: return `to_json(${sql})`;
      }
  }
  return sql;
}

function dynPath(base: string, path: (string | number)[], as: KType | 'json', text = false, extracted?: string): string {
  const p = sqlString(jsonPath(path));
  // JSON text that does not parse reads as null, as todynamic() of it is (try() costs nothing when it parses)
  const safe = (sql: string) => (text ? `try(${sql})` : sql);
  if (as === 'json' || as === 'dynamic') return path.length ? safe(`json_extract(${base}, ${p})`) : text ? `TRY_CAST(${base} AS JSON)` : base;
  const str = extracted ?? safe(`json_extract_string(${base}, ${p})`);
  if (as === 'string' || as === 'guid') return `coalesce(${str}, '')`;
  return convert(str, 'string', as);
}

export const duckdb: Dialect = {
  name: 'duckdb',
  caps: { qualify: true, semiAntiJoin: true, selectUnnest: true },
  quoteIdent,
  literal,
  sqlType: (t) => SQL_TYPES[t],
  convert,
  dynPath,
  functions: { ...FUNCTIONS, ...OPERATOR_FUNCTIONS },
  aggregates: AGGREGATES,
};

/** Macros the dialect's templates rely on; created as TEMP macros on the query connection. */
export const SUPPORT_SQL = [
  ...IPV6_MACROS,
  `CREATE OR REPLACE TEMP MACRO kql_timespan_str(t) AS CASE WHEN t IS NULL THEN NULL ELSE
     (CASE WHEN t < 0 THEN '-' ELSE '' END) ||
     (CASE WHEN abs(t) >= 864000000000 THEN CAST(abs(t) // 864000000000 AS VARCHAR) || '.' ELSE '' END) ||
     lpad(CAST((abs(t) // 36000000000) % 24 AS VARCHAR), 2, '0') || ':' ||
     lpad(CAST((abs(t) // 600000000) % 60 AS VARCHAR), 2, '0') || ':' ||
     lpad(CAST((abs(t) // 10000000) % 60 AS VARCHAR), 2, '0') ||
     (CASE WHEN abs(t) % 10000000 <> 0 THEN '.' || lpad(CAST(abs(t) % 10000000 AS VARCHAR), 7, '0') ELSE '' END) END`,
  `CREATE OR REPLACE TEMP MACRO kql_parse_timespan(s) AS CASE
     WHEN regexp_matches(s, '^\\s*-?\\d+(\\.\\d+)?\\s*(d|h|m|s|ms|microsecond|tick)s?\\s*$') THEN NULL
     WHEN regexp_matches(s, '^\\s*-?(\\d+\\.)?\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d+)?)?\\s*$') THEN
       CAST(round(epoch(TRY_CAST(regexp_replace(trim(s), '^-?(\\d+)\\.(\\d{1,2}:)', '\\2') AS INTERVAL)) * 10000000) AS BIGINT)
       + coalesce(TRY_CAST(regexp_extract(s, '^\\s*-?(\\d+)\\.\\d{1,2}:', 1) AS BIGINT), 0) * 864000000000
     ELSE NULL END`,
];
