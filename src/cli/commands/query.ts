// `wirehunt query`: runs KQL against the store (read-only). Diagnostics are printed Kusto-style
// (severity, code, line:column, message) with a non-zero exit, never a stack trace.
import { readFileSync } from 'node:fs';
import { UserError, type Command } from '../types.js';
import { dirname, join } from 'node:path';
import { openStore, resolveStorePath, StoreBusy, type Store } from '../../store/index.js';
import { compileQuery, runCompiled, formatDiagnostic, KqlError, API_TYPES, type QueryResult } from '../../kql/index.js';
import { applyMemoryCap, parseMemorySize, queryMemoryCap, MEMORY_ENV } from '../../kql/exec/limits.js';
import { parseAllowList, type ExternalDataOptions } from '../../kql/external/options.js';
import { lint } from '../../lint/index.js';

const USAGE = `usage: wirehunt query [--db <file>] [--format table|json|csv] [--now <iso>] [--dry-run] [--max-rows <n>] [--timeout <s>] [--max-memory <size>] [--sql] [--externaldata-* …] (<kql> | -f <file.kql>)

Runs a KQL hunting query (Defender advanced-hunting dialect) against the store.

  --db <file>       store file (default: $WIREHUNT_DB, else the per-user data folder)
  --format <f>      table (default), json (Defender API: {"Schema":[…],"Results":[…]}) or csv
  --now <iso>       the instant now() and ago() use (default: the current time)
  --dry-run         parse, bind and compile only; non-zero exit with diagnostics on error
  --max-rows <n>    at most n result rows (default and maximum 100000, as Defender)
  --timeout <s>     stop the query after s seconds (default 600)
  --max-memory <size>  memory cap for the query, e.g. 512MiB or 8GB (default: $WIREHUNT_QUERY_MEMORY, else 4GiB)
  --sql             print the generated SQL (with --dry-run: instead of running)
  -f <file.kql>     read the query from a file ('-' for standard input)

externaldata (defaults from WIREHUNT_EXTERNALDATA_ALLOW, _TIMEOUT_MS, _MAX_BYTES, _CACHE_DIR, _CACHE_TTL_S):
  --externaldata-allow <list>   URL prefixes (https://host/path/) or hosts (host, *.host) that may be
                                fetched, comma-separated; '*' = any, 'none' = no fetching (default:
                                https://raw.githubusercontent.com/, https://gist.githubusercontent.com/)
  --externaldata-timeout <s>    per document (default 30)
  --externaldata-max-bytes <n>  per document (default 67108864, 64 MiB)
  --externaldata-cache <dir>    fetched documents are kept here ('none': no cache;
                                default ~/.cache/wirehunt/externaldata)
  --externaldata-ttl <s>        how long a cached document is reused (default 3600)`;

interface Args { db?: string; format: 'table' | 'json' | 'csv'; now?: Date; dryRun: boolean; maxRows: number; timeoutS: number; maxMemory?: string; sql: boolean; text?: string; externalData: Partial<ExternalDataOptions> }

function parse(argv: string[]): Args {
  const a: Args = { format: 'table', dryRun: false, maxRows: 100_000, timeoutS: 600, sql: false, externalData: {} };
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i]!;
    const val = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UserError(`${f} needs a value`);
      return v;
    };
    const nonNegative = (): number => {
      const v = val();
      if (!/^\d+(\.\d+)?$/.test(v)) throw new UserError(`${f}: expected a non-negative number, got '${v}'`);
      return Number(v);
    };
    switch (f) {
      case '--db': a.db = val(); break;
      case '--format': {
        const v = val();
        if (v !== 'table' && v !== 'json' && v !== 'csv') throw new UserError(`--format: expected table, json or csv, got '${v}'`);
        a.format = v;
        break;
      }
      case '--now': {
        const v = val();
        const ms = Date.parse(v);
        if (!Number.isFinite(ms)) throw new UserError(`--now: not a date/time: ${v}`);
        a.now = new Date(ms);
        break;
      }
      case '--dry-run': a.dryRun = true; break;
      case '--sql': a.sql = true; break;
      case '--max-rows': {
        const v = val();
        if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 100_000) throw new UserError(`--max-rows: expected 1..100000, got '${v}'`);
        a.maxRows = Number(v);
        break;
      }
      case '--timeout': {
        const v = Number(val());
        if (!(v > 0)) throw new UserError('--timeout: expected a positive number of seconds');
        a.timeoutS = v;
        break;
      }
      case '--max-memory': {
        const v = val();
        if (parseMemorySize(v) === null) throw new UserError(`--max-memory: expected a size such as 512MiB or 8GB, got '${v}'`);
        a.maxMemory = v;
        break;
      }
      case '--externaldata-allow': a.externalData.allow = parseAllowList(val()); break;
      case '--externaldata-timeout': a.externalData.timeoutMs = nonNegative() * 1000; break;
      case '--externaldata-max-bytes': a.externalData.maxBytes = nonNegative(); break;
      case '--externaldata-cache': { const v = val(); a.externalData.cacheDir = v.toLowerCase() === 'none' ? null : v; break; }
      case '--externaldata-ttl': a.externalData.cacheTtlMs = nonNegative() * 1000; break;
      case '-f': case '--file': {
        const p = val();
        try {
          a.text = p === '-' ? readFileSync(0, 'utf8') : readFileSync(p, 'utf8');
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new UserError(`cannot read ${p}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder, not a file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`);
        }
        break;
      }
      default:
        if (f.startsWith('--')) throw new UserError(`unknown option ${f}\n${USAGE}`);
        pos.push(f);
    }
  }
  if (pos.length > 1) throw new UserError('give the query as one argument (quote it) or with -f <file>');
  if (pos.length === 1) {
    if (a.text !== undefined) throw new UserError('give the query either as an argument or with -f, not both');
    a.text = pos[0];
  }
  if (a.text === undefined || !a.text.trim()) throw new UserError(`no query given\n${USAGE}`);
  return a;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function csvCell(v: unknown): string {
  const s = cell(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatTable(r: Pick<QueryResult, 'schema' | 'rows'>): string {
  const names = r.schema.map((s) => s.Name);
  const rows = r.rows.map((row) => names.map((n) => cell(row[n]).replace(/\s*\n\s*/g, ' ')));
  const widths = names.map((n, i) => Math.min(60, Math.max(n.length, ...rows.map((x) => x[i]!.length))));
  const fmt = (xs: string[]) => xs.map((x, i) => (x.length > widths[i]! ? x.slice(0, widths[i]! - 1) + '…' : x.padEnd(widths[i]!))).join('  ').trimEnd();
  const lines = [fmt(names), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
  return lines.join('\n');
}

export const command: Command = {
  name: 'query',
  summary: 'run a KQL query against the store',
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const a = parse(argv);
    const c = compileQuery(a.text!);
    const errors = c.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length || !c.sql) {
      for (const d of errors) console.error(formatDiagnostic(d));
      // the usual cause of "The name 'x' does not refer to …" in a pasted query: AdditionalFields.x on the JSON text
      if (errors.some((d) => d.code === 'KS142')) for (const f of lint(a.text!).findings) if (f.code === 'WHL002') console.error(`hint: ${f.message}`);
      return 1;
    }
    if (a.dryRun) {
      if (a.sql) console.log(c.sql);
      // --format json: the columns as the Schema a run would print
      else if (a.format === 'json') console.log(JSON.stringify({ Schema: c.columns.map((x) => ({ Name: x.name, Type: API_TYPES[x.type] })) }));
      else console.log(`ok: ${c.columns.length} columns (${c.columns.map((x) => `${x.name}:${x.type}`).join(', ')})`);
      return 0;
    }
    if (a.sql) console.error(c.sql);
    let store: Store;
    try {
      store = await openStore(resolveStorePath(a.db), { readOnly: true });
    } catch (err) {
      if (!(err instanceof StoreBusy) || !throughServerAllowed(a)) throw err;
      const r = await runThroughServer(err, a.text!);
      console.error(`wirehunt: the store is in use by wirehunt serve (PID ${err.holder.pid}); ran the query through it at ${err.holder.url}`);
      printResult(a, r);
      return 0;
    }
    let r: QueryResult;
    try {
      const cap = queryMemoryCap(a.maxMemory);
      await applyMemoryCap(store.connection, cap).catch((err: Error) => { throw new UserError(`${err.message} (from ${MEMORY_ENV})`); });
      r = await runCompiled(store.connection, c, { now: a.now, maxRows: a.maxRows, timeoutMs: a.timeoutS * 1000, externalData: a.externalData });
    } catch (err) {
      if (err instanceof KqlError) throw new UserError(err.message, 1);
      throw err;
    } finally {
      store.close();
    }
    printResult(a, { schema: r.schema, rows: r.rows, truncated: r.truncated, resultsParts: r.resultsJson.parts });
    return 0;
  },
};

interface Printable { schema: QueryResult['schema']; rows: Record<string, unknown>[]; truncated: boolean; resultsParts: (string | Uint8Array)[] }

function printResult(a: Args, r: Printable): void {
  if (a.format === 'json') {
    // the engine's Results text as is (no parse and re-serialize)
    process.stdout.write(`{"Schema":${JSON.stringify(r.schema)},"Results":`);
    for (const p of r.resultsParts) process.stdout.write(p);
    process.stdout.write('}\n');
  } else if (a.format === 'csv') {
    const names = r.schema.map((s) => s.Name);
    const lines = [names.map(csvCell).join(','), ...r.rows.map((row) => names.map((n) => csvCell(row[n])).join(','))];
    process.stdout.write(lines.join('\n') + '\n');
  } else {
    console.log(formatTable(r));
    console.error(`${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ` (truncated at ${a.maxRows})` : ''}`);
  }
  if (r.truncated && a.format !== 'table') console.error(`warning: results truncated at ${a.maxRows} rows`);
}

/** The server runs queries with its own settings: only a query that asks for none of its own can go through it. */
function throughServerAllowed(a: Args): boolean {
  return a.now === undefined && a.maxRows === 100_000 && a.timeoutS === 600 && a.maxMemory === undefined && Object.keys(a.externalData).length === 0;
}

/** Runs the query through the `wirehunt serve` that holds the store (its Defender API endpoint). */
async function runThroughServer(busy: StoreBusy, text: string): Promise<Printable> {
  const base = busy.holder.url.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = process.env.WIREHUNT_TOKEN ?? readTokenFile(join(dirname(busy.path), 'api-token'));
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${base}/api/advancedqueries/run`, { method: 'POST', headers, body: JSON.stringify({ Query: text }) });
  } catch (err) {
    throw new UserError(`${busy.message}\n(could not reach it: ${(err as Error).message})`);
  }
  const body = await res.text();
  let parsed: { Schema?: QueryResult['schema']; Results?: Record<string, unknown>[]; error?: { message?: string } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new UserError(`wirehunt serve at ${base} answered ${res.status} with something that is not JSON`);
  }
  if (!res.ok || !parsed.Schema || !parsed.Results) throw new UserError(parsed.error?.message ?? `wirehunt serve at ${base} answered ${res.status}`, 1);
  const start = body.indexOf('"Results":') + '"Results":'.length;
  return { schema: parsed.Schema, rows: parsed.Results, truncated: res.headers.get('x-wirehunt-truncated') === 'true', resultsParts: [body.slice(start, body.lastIndexOf('}'))] };
}

function readTokenFile(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
