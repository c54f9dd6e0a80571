// DuckDB templates for the parse-kv lowering (src/kql/ir/parse-kv.ts) and for range(start, stop, step).
import type { FnTemplate, RenderedArg } from '../dialect.js';
import { sqlString, datetimeText } from './dialect.js';

const S = 'string' as const;

/** Kusto caps range() arrays at 1,048,576 elements. */
const RANGE_MAX = 1_048_576;

function text(a: RenderedArg | undefined): string {
  return a && a.isLiteral && a.literal !== null && a.literal !== undefined ? String(a.literal) : '';
}

/** range(start, stop, step) as a JSON array: start + i·step for i = 0 … ⌊(stop − start) / step⌋; null if an argument is null or the step 0. */
function rangeSql(a: string[], raw: RenderedArg[]): string {
  const t = raw[0]?.t;
  const step = a[2] ?? (t === 'datetime' || t === 'timespan' ? 'CAST(36000000000 AS BIGINT)' : '1'); // default step: 1, or 1h for datetime and timespan
  const guard = `${a[0]} IS NULL OR ${a[1]} IS NULL OR (${step}) IS NULL OR (${step}) = 0`;
  const isReal = [0, 1, 2].some((i) => raw[i]?.t === 'real' || raw[i]?.t === 'decimal');
  if (t !== 'datetime' && t !== 'timespan' && !isReal) {
    // integers: DuckDB's range() (no lambda, so the arguments may be subqueries); the stop is capped first
    const last = `TRY_CAST(CASE WHEN (${step}) > 0 THEN least(CAST(${a[1]} AS DOUBLE), ${a[0]} + (${step}) * ${RANGE_MAX - 1}.0) ELSE greatest(CAST(${a[1]} AS DOUBLE), ${a[0]} + (${step}) * ${RANGE_MAX - 1}.0) END AS BIGINT)`;
    return `(CASE WHEN ${guard} THEN NULL ELSE to_json(range(CAST(${a[0]} AS BIGINT), ${last} + sign(CAST(${step} AS BIGINT)), CAST(${step} AS BIGINT))) END)`;
  }
  let n: string, item: string;
  if (t === 'datetime') {
    n = `floor((epoch_us(${a[1]}) - epoch_us(${a[0]})) * 10 / (${step}))`;
    item = datetimeText(`make_timestamp(epoch_us(${a[0]}) + i * (${step}) // 10)`);
  } else if (t === 'timespan') {
    n = `floor((${a[1]} - ${a[0]}) / (${step}))`;
    item = `kql_timespan_str(${a[0]} + i * (${step}))`;
  } else {
    n = `floor((${a[1]} - ${a[0]}) / (${step}))`;
    item = `CAST(${a[0]} AS DOUBLE) + i * (${step})`;
  }
  return `(CASE WHEN ${guard} THEN NULL ELSE to_json(list_transform(range(0, CAST(least(${n}, ${RANGE_MAX - 1}) AS BIGINT) + 1), i -> ${item})) END)`;
}

/** A parse-kv value: quotes stripped (and escapes undone) when it is quoted, else trimmed. Args: value, open, close, escape (literals). */
function kvUnquote(a: string[], raw: RenderedArg[]): string {
  const v = a[0]!;
  const open = text(raw[1]), close = text(raw[2]), esc = text(raw[3]);
  if (!open) return `trim(${v})`;
  let inner = `substr(${v}, 2, length(${v}) - 2)`;
  if (esc) inner = `regexp_replace(${inner}, ${sqlString(esc.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&') + '(.)')}, '\\1', 'g')`;
  return `(CASE WHEN length(${v}) >= 2 AND starts_with(${v}, ${sqlString(open)}) AND ends_with(${v}, ${sqlString(close)}) THEN ${inner} ELSE trim(${v}) END)`;
}

export const OPERATOR_FUNCTIONS: Record<string, FnTemplate> = {
  range: { sql: rangeSql },
  kv_unquote: { sql: kvUnquote, args: [S, S, S, S] },
  // parse-kv with regex=: the value of the first pair (group 1 = key, group 2 = value) whose key is {2}
  kv_lookup: { sql: "coalesce(list_extract(regexp_extract_all({0}, {1}, 2), list_position(regexp_extract_all({0}, {1}, 1), {2})), '')", args: [S, S, S] },
};
