// Executes a compiled query on the store's DuckDB, read-only, with Defender's limits: at most
// 100,000 rows (truncated says so), a timeout and cancellation. Values are decoded by the binder's
// result types and encoded as Defender's API encodes them.
import type { DuckDBConnection } from '@duckdb/node-api';
import { compileQuery, type Compiled, type Column, type Diagnostic } from '../compile.js';
import { formatDiagnostic } from '../frontend/kusto.js';
import { SUPPORT_SQL } from '../sql/duckdb/dialect.js';
import type { KType } from '../frontend/ast.js';
import { bindExternalData } from '../external/resolve.js';
import { ExternalDataError } from '../external/fetch.js';
import { externalDataOptions, type ExternalDataOptions } from '../external/options.js';
import { duckdb } from '../sql/duckdb/dialect.js';
import { resolveProbes, ProbeStopped } from './probe.js';
import { readJsonRows, parseJsonRows, type JsonRows } from './json-rows.js';
import { isOutOfMemory, MEMORY_ENV } from './limits.js';
import { dependsOnInputOrder } from './insertion-order.js';

export const MAX_ROWS = 100_000;

export interface RunOptions {
  /** The instant now() and ago() use (fixed once per query). Default: the current time. */
  now?: Date;
  maxRows?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Fetch typed values and check the SQL types against the binder's (slower; used by conformance tests). */
  typeCheck?: boolean;
  /** externaldata settings over the environment's (src/kql/external/options.ts). */
  externalData?: Partial<ExternalDataOptions>;
}

export interface SchemaField { Name: string; Type: string }

export interface QueryResult {
  schema: SchemaField[];
  columns: Column[];
  /** Rows as Defender's API returns them: objects keyed by column name, values JSON-encoded per type (parsed on first use). */
  readonly rows: Record<string, unknown>[];
  /** The same rows as the API's Results array text, JSON.stringify(rows), in pieces: write these where text is all a client needs. */
  readonly resultsJson: JsonRows;
  truncated: boolean;
  render: Compiled['render'];
  /** typeMismatches: result columns whose SQL type does not carry the binder's type (should be empty). */
  stats: { bindMs: number; compileMs: number; execMs: number; rowCount: number; sql: string; typeMismatches: string[] };
}

/** A query that did not bind or compile; `diagnostics` are Kusto-style. */
export class KqlError extends Error {
  override name = 'KqlError';
  constructor(readonly diagnostics: Diagnostic[], message?: string) {
    super(message ?? diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n'));
  }
}

export const API_TYPES: Record<KType, string> = {
  string: 'String', datetime: 'DateTime', long: 'Int64', int: 'Int32', bool: 'Boolean', real: 'Double', decimal: 'Decimal',
  dynamic: 'Object', guid: 'Guid', timespan: 'TimeSpan', type: 'String', unknown: 'Object',
};

/** SQL result types that carry each Kusto type (NULL-only columns come back as "NULL"). */
const SQL_OK: Record<string, string[]> = {
  string: ['VARCHAR', '"NULL"'], guid: ['VARCHAR', '"NULL"'], type: ['VARCHAR'], unknown: ['VARCHAR', 'JSON', '"NULL"'],
  long: ['BIGINT', '"NULL"'], int: ['INTEGER', '"NULL"'], real: ['DOUBLE', '"NULL"'], decimal: ['DOUBLE', '"NULL"'],
  bool: ['BOOLEAN', '"NULL"'], datetime: ['TIMESTAMP', '"NULL"'], timespan: ['BIGINT', '"NULL"'], dynamic: ['JSON', '"NULL"'],
};

interface StoreLike { connection: DuckDBConnection }

const prepared = new WeakSet<DuckDBConnection>();

async function prepare(conn: DuckDBConnection): Promise<void> {
  if (prepared.has(conn)) return;
  for (const s of SUPPORT_SQL) await conn.run(s);
  prepared.add(conn);
}

const orderFreeOf = new WeakMap<Compiled, boolean>();

/** True when the query's result does not depend on the stored row order (see insertion-order.ts). */
function orderFree(c: Compiled): boolean {
  let v = orderFreeOf.get(c);
  if (v === undefined) orderFreeOf.set(c, (v = !!c.plan && !dependsOnInputOrder(c.plan)));
  return v;
}

export function nowSql(now: Date): string {
  return `make_timestamp(CAST(${now.getTime() * 1000} AS BIGINT))`;
}

export async function runQuery(store: StoreLike, text: string, opts: RunOptions = {}): Promise<QueryResult> {
  const c = compileQuery(text);
  if (!c.sql) throw new KqlError(c.diagnostics);
  return runCompiled(store.connection, c, opts);
}

export async function runCompiled(conn: DuckDBConnection, c: Compiled, opts: RunOptions = {}): Promise<QueryResult> {
  if (!c.sql) throw new KqlError(c.diagnostics);
  await prepare(conn);
  if (c.probe) {
    // the result columns depend on the data: resolve them, then run the query they complete
    const now = opts.now ?? new Date();
    const bindExternals = async (sql: string, cc: Compiled) => (await externalSql({ ...cc, sql, rowsSql: null }, opts))[0]!;
    const full = await resolveProbes(conn, c, nowSql(now), { ...opts, bindExternals }).catch((err: Error) => {
      throw err instanceof KqlError ? err : new KqlError([], err instanceof ProbeStopped ? err.message : `query failed: ${String(err.message).split('\n')[0]}`);
    });
    return runCompiled(conn, full, { ...opts, now });
  }
  const maxRows = opts.maxRows ?? MAX_ROWS;
  const nowText = nowSql(opts.now ?? new Date());
  const [baseSql, rowsSql] = c.externals?.length ? await externalSql(c, opts) : [c.sql, c.rowsSql];
  const sql = baseSql!.replaceAll('__WIREHUNT_NOW__', nowText);
  const jsonRows = !opts.typeCheck && rowsSql !== null;
  // at most maxRows + 1 rows are computed (the extra one says the result was truncated)
  const runSql = jsonRows ? rowsSql!.replaceAll('__WIREHUNT_NOW__', nowText).replaceAll('__WIREHUNT_LIMIT__', String(maxRows + 1)) : `SELECT * FROM (${sql}) LIMIT ${maxRows + 1}`;
  const t0 = performance.now();
  let timer: NodeJS.Timeout | null = null;
  let timedOut = false;
  const onAbort = () => conn.interrupt();
  if (opts.timeoutMs) timer = setTimeout(() => { timedOut = true; conn.interrupt(); }, opts.timeoutMs);
  opts.signal?.addEventListener('abort', onAbort);
  let text: JsonRows | null = null;
  let raw: unknown[][] = [];
  let sqlTypes: string[] = [];
  let truncated: boolean;
  const anyOrder = orderFree(c);
  try {
    if (opts.signal?.aborted) throw new Error('cancelled');
    // for this statement only (the connection may also serve writes, whose row order is kept)
    if (anyOrder) await conn.run('SET SESSION preserve_insertion_order = false');
    if (jsonRows) {
      // rows come back as JSON text encoded by DuckDB (vectorized, in parallel) and stay bytes
      const result = await conn.run(runSql);
      truncated = result.rowCount > maxRows;
      text = readJsonRows(result, maxRows);
    } else {
      const reader = await conn.runAndReadUntil(runSql, maxRows + 1);
      raw = reader.getRows() as unknown[][];
      sqlTypes = reader.columnTypes().map((t) => String((t as { alias?: string }).alias ?? t.toString()));
      truncated = raw.length > maxRows;
    }
  } catch (err) {
    const msg = String((err as Error).message ?? err).split('\n')[0];
    if (timedOut) throw new KqlError([], `query timed out after ${opts.timeoutMs} ms`);
    if (opts.signal?.aborted) throw new KqlError([], 'query cancelled');
    if (isOutOfMemory(msg)) throw new KqlError([], `query needs more memory than the cap allows (${msg.replace(/^Out of Memory Error:\s*/i, '')}); narrow it (a time range, fewer columns or groups) or raise the cap (--max-memory, ${MEMORY_ENV})`);
    throw new KqlError([], `query failed: ${msg}`);
  } finally {
    if (timer) clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
    if (anyOrder) await conn.run('RESET SESSION preserve_insertion_order').catch(() => {}); // an interrupted connection may refuse it: a later query still sets its own
  }
  const cols = c.columns;
  const typeMismatches: string[] = [];
  let rows: Record<string, unknown>[] | null = null;
  if (!text) {
    if (sqlTypes.length !== c.columns.length && c.columns.length) typeMismatches.push(`${sqlTypes.length} SQL columns for ${c.columns.length} result columns`);
    else c.columns.forEach((col, i) => { if (!SQL_OK[col.type]?.includes(sqlTypes[i]!)) typeMismatches.push(`${col.name}: ${col.type} came back as ${sqlTypes[i]}`); });
    if (truncated) raw = raw.slice(0, maxRows);
    rows = raw.map((r) => {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < cols.length; i++) o[cols[i]!.name] = encodeValue(r[i], cols[i]!.type);
      return o;
    });
  }
  const rowCount = text ? text.count : rows!.length;
  return {
    schema: cols.map((x) => ({ Name: x.name, Type: API_TYPES[x.type] })),
    columns: cols,
    get rows() { return (rows ??= parseJsonRows(text!)); },
    get resultsJson() { return (text ??= jsonOf(rows!)); },
    truncated,
    render: c.render,
    stats: { bindMs: c.timings.bindMs, compileMs: c.timings.compileMs, execMs: performance.now() - t0, rowCount, sql, typeMismatches },
  };
}

/** The query's SQL with its externaldata sources fetched and bound; failures are one-line KqlErrors. */
async function externalSql(c: Compiled, opts: RunOptions): Promise<(string | null)[]> {
  try {
    return await bindExternalData([c.sql, c.rowsSql], c.externals, externalDataOptions(opts.externalData), duckdb, opts.signal);
  } catch (err) {
    if (opts.signal?.aborted) throw new KqlError([], 'query cancelled');
    if (err instanceof ExternalDataError) throw new KqlError([], err.message);
    throw new KqlError([], `externaldata: ${String((err as Error).message ?? err).split('\n')[0]}`);
  }
}

function jsonOf(rows: Record<string, unknown>[]): JsonRows {
  const all = Buffer.from(JSON.stringify(rows));
  return { parts: [all], byteLength: all.length, count: rows.length };
}

/** ISO 8601 UTC with 7 fraction digits, as Defender prints datetimes. */
export function formatDatetime(micros: bigint): string {
  const ms = micros / 1000n;
  let frac = micros % 1000000n;
  let d = new Date(Number(ms));
  if (frac < 0n) { frac += 1000000n; }
  d = new Date(Number((micros - frac) / 1000n));
  const base = d.toISOString().slice(0, 19);
  return `${base}.${frac.toString().padStart(6, '0')}0Z`;
}

export function formatTimespan(ticks: bigint): string {
  const neg = ticks < 0n;
  let t = neg ? -ticks : ticks;
  const days = t / 864000000000n; t %= 864000000000n;
  const h = t / 36000000000n; t %= 36000000000n;
  const m = t / 600000000n; t %= 600000000n;
  const s = t / 10000000n; t %= 10000000n;
  const p2 = (x: bigint) => x.toString().padStart(2, '0');
  return `${neg ? '-' : ''}${days ? `${days}.` : ''}${p2(h)}:${p2(m)}:${p2(s)}${t ? '.' + t.toString().padStart(7, '0') : ''}`;
}

function toBig(v: unknown): bigint | null {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (v && typeof v === 'object' && 'micros' in v) return (v as { micros: bigint }).micros;
  return null;
}

export function encodeValue(v: unknown, t: KType): unknown {
  if (v === null || v === undefined) return t === 'string' || t === 'guid' ? '' : null;
  switch (t) {
    case 'datetime': {
      if (v && typeof v === 'object' && 'micros' in v) return formatDatetime((v as { micros: bigint }).micros);
      return String(v);
    }
    case 'long': case 'int': {
      const b = toBig(v);
      if (b === null) return typeof v === 'boolean' ? (v ? 1 : 0) : Number(v);
      return Number(b);
    }
    case 'real': case 'decimal': {
      const n = typeof v === 'number' ? v : Number(String(v));
      return Number.isFinite(n) ? n : String(n);
    }
    case 'bool': return typeof v === 'boolean' ? v : v === 'true' || v === 1;
    case 'timespan': {
      const b = toBig(v);
      return b === null ? null : formatTimespan(b);
    }
    case 'dynamic': {
      if (typeof v === 'string') {
        try { return JSON.parse(v); } catch { return v; }
      }
      if (typeof v === 'bigint') return Number(v);
      return typeof v === 'object' ? JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x))) : v;
    }
    default: return typeof v === 'string' ? v : String(v);
  }
}
