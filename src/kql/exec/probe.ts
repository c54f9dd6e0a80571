// Runs the probes of a query whose result columns depend on the data (see src/kql/ir/probe.ts):
// each probe's answer becomes the plugin's output schema in the query text, which is compiled
// again, until no probe is left.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Compiled } from '../compile.js';
import type { KType } from '../ir/plan.js';
import type { ProbeSpec } from '../ir/probe.js';
import { formatDiagnostic } from '../frontend/kusto.js';

/** At most this many columns from data (Kusto's own limits are of the same order). */
export const MAX_DATA_COLUMNS = 5000;
const MAX_ROUNDS = 16;

export class ProbeError extends Error {}
/** The probe ran out of the query's time, or was cancelled: the message is the whole story. */
export class ProbeStopped extends ProbeError {}

/** `['name']` as a Kusto column name in a schema. */
function quoteName(n: string): string {
  return `['${n.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/** The Kusto type of a bag property from the JSON types of its values: one kind → that type, else dynamic. */
export function propertyType(jsonTypes: string[]): KType {
  const ts = new Set(jsonTypes.filter((t) => t !== 'NULL'));
  if (!ts.size) return 'dynamic';
  if ([...ts].every((t) => t === 'BIGINT' || t === 'UBIGINT')) return 'long';
  if ([...ts].every((t) => t === 'BIGINT' || t === 'UBIGINT' || t === 'DOUBLE')) return 'real';
  if (ts.size === 1 && ts.has('VARCHAR')) return 'string';
  if (ts.size === 1 && ts.has('BOOLEAN')) return 'bool';
  return 'dynamic';
}

/** The output schema text for a probe's rows. */
export function schemaText(spec: ProbeSpec, rows: unknown[][]): string {
  if (spec.kind === 'bag_unpack') {
    const ignored = new Set(spec.ignored);
    const sources = new Set(spec.inputColumns);
    // a replaced source column comes first among the bag's columns (Kusto keeps it in place; the
    // schema form can only put it after the source columns)
    const replaced: string[] = [];
    const added: string[] = [];
    const props = rows.map((r) => ({ key: String(r[0]), types: (r[1] as { items?: unknown[] } | unknown[]) }))
      .map((p) => ({ key: p.key, types: (Array.isArray(p.types) ? p.types : (p.types as { items?: unknown[] }).items ?? []).map(String) }))
      .filter((p) => !ignored.has(p.key) && !/[\u0000-\u001f]/.test(p.key))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    if (props.length > MAX_DATA_COLUMNS) throw new ProbeError(`evaluate bag_unpack: the bags hold ${props.length} distinct properties, more than ${MAX_DATA_COLUMNS} columns`);
    for (const p of props) {
      const name = spec.prefix + p.key;
      if (sources.has(name)) {
        if (spec.conflict === 'error') throw new ProbeError(`evaluate bag_unpack: the property '${p.key}' conflicts with the column '${name}' (use columnsConflict='replace_source' or 'keep_source')`);
        if (spec.conflict === 'keep_source') continue;
        replaced.push(`${quoteName(name)}:${propertyType(p.types)}`);
        continue;
      }
      added.push(`${quoteName(name)}:${propertyType(p.types)}`);
    }
    return ['*', ...replaced, ...added].join(', ');
  }
  const keyNames = new Set(spec.keys.map((k) => k.name));
  const values = rows.map((r) => String(r[0])).filter((v) => v !== '' && !keyNames.has(v) && !/[\u0000-\u001f]/.test(v));
  if (values.length > MAX_DATA_COLUMNS) throw new ProbeError(`evaluate pivot: ${values.length} distinct values, more than ${MAX_DATA_COLUMNS} columns`);
  const parts = [...spec.keys.map((k) => `${quoteName(k.name)}:${k.type}`), ...values.map((v) => `${quoteName(v)}:${spec.valueType}`)];
  if (!parts.length) throw new ProbeError('evaluate pivot: no rows, so no columns');
  return parts.join(', ');
}

/** The probe's SQL around the plan's rows. */
function probeSql(spec: ProbeSpec & { sql: string }): string {
  if (spec.kind === 'bag_unpack') {
    return `SELECT k, list(DISTINCT json_type(json_extract(bag, '$."' || replace(k, '"', '\\"') || '"'))) AS types
      FROM (SELECT bag, unnest(CASE WHEN json_type(bag) = 'OBJECT' THEN json_keys(bag) ELSE [] END) AS k FROM (${spec.sql}) AS p) AS q GROUP BY k`;
  }
  return `SELECT DISTINCT v FROM (${spec.sql}) AS p WHERE v IS NOT NULL ORDER BY v`;
}

export interface ProbeLimits {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Binds the query's externaldata sources into a probe's SQL (their rows are fetched when the query runs). */
  bindExternals?: (sql: string, c: Compiled) => Promise<string>;
}

/** The query with every data-dependent column resolved; throws ProbeError with a one-line reason. */
export async function resolveProbes(conn: DuckDBConnection, c: Compiled, nowText: string, limits: ProbeLimits = {}): Promise<Compiled> {
  let timedOut = false;
  const onAbort = () => conn.interrupt();
  const timer = limits.timeoutMs ? setTimeout(() => { timedOut = true; conn.interrupt(); }, limits.timeoutMs) : null;
  limits.signal?.addEventListener('abort', onAbort);
  try {
    return await resolve(conn, c, nowText, limits.bindExternals);
  } catch (err) {
    if (timedOut) throw new ProbeStopped(`query timed out after ${limits.timeoutMs} ms`);
    if (limits.signal?.aborted) throw new ProbeStopped('query cancelled');
    throw err;
  } finally {
    if (timer) clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
  }
}

async function resolve(conn: DuckDBConnection, c: Compiled, nowText: string, bindExternals: ProbeLimits['bindExternals']): Promise<Compiled> {
  let cur = c;
  for (let round = 0; cur.probe && round < MAX_ROUNDS; round++) {
    const p = cur.probe;
    let sql = probeSql(p);
    if (cur.externals.length && bindExternals) sql = await bindExternals(sql, cur);
    const reader = await conn.runAndReadAll(sql.replaceAll('__WIREHUNT_NOW__', nowText));
    const text = `${cur.text.slice(0, p.insertAt)} : (${schemaText(p, reader.getRows() as unknown[][])})${cur.text.slice(p.insertAt)}`;
    const next = p.recompile(text);
    const errors = next.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length || !next.sql) throw new ProbeError(`evaluate ${p.kind} with the data's columns: ${errors.map(formatDiagnostic).join('; ') || 'no SQL'}`);
    cur = next;
  }
  if (cur.probe) throw new ProbeError(`more than ${MAX_ROUNDS} data-dependent plugins`);
  return cur;
}
