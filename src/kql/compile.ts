// compileQuery: KQL text → (diagnostics, result columns, SQL). Parse and bind with the official
// Kusto language service, convert once to our AST, lower to the IR, render with a dialect.
// Compiled plans are cached by text.
import { parseAndAnalyze, makeDiagnostic, type Diagnostic, type TableDefs } from './frontend/kusto.js';
import { Converter } from './frontend/convert.js';
import { Unsupported, InvalidQuery, type Column, type Script } from './frontend/ast.js';
import { Lowerer } from './ir/lower.js';
import type { Plan } from './ir/plan.js';
import { NeedsProbe, type ProbeSpec } from './ir/probe.js';
import { SqlRenderer, type TableNames } from './sql/render.js';
import { duckdb } from './sql/duckdb/dialect.js';
import type { Dialect } from './sql/dialect.js';
import { TABLES, getTable, quoteIdent } from '../store/types.js';
import { columnReadSql, storageTable, shreddedKeys, shreddedColumn } from '../store/store.js';
import { externalSources, type ExternalSource } from './external/resolve.js';

export type { Diagnostic } from './frontend/kusto.js';
export type { Column } from './frontend/ast.js';

export interface Compiled {
  text: string;
  /** Binder and engine diagnostics; any of severity 'error' means there is no SQL. */
  diagnostics: Diagnostic[];
  /** The binder's result columns (names and Kusto types). */
  columns: Column[];
  plan: Plan | null;
  sql: string | null;
  /** The same query returning one VARCHAR column: each row as a JSON object in Defender's API encoding. */
  rowsSql: string | null;
  render: Script['render'];
  /** externaldata sources: fetched when the query runs; their rows replace placeholders in the SQL. */
  externals: ExternalSource[];
  /**
   * Set when the result columns depend on the data (evaluate bag_unpack / pivot without an output
   * schema): `sql` is then this probe's SQL, `columns` the columns the binder states, and running
   * the query first runs the probe (src/kql/exec/probe.ts).
   */
  probe?: ProbeSpec & { sql: string; recompile(text: string): Compiled };
  /** Milliseconds spent in parse+bind, and in conversion+lowering+rendering. */
  timings: { bindMs: number; compileMs: number };
}

let storeTables: TableDefs | null = null;
/** The store's tables as Kusto sees them (from src/store/types.ts, i.e. shared/schema/defender-tables.json). */
export function storeTableDefs(): TableDefs {
  if (storeTables) return storeTables;
  storeTables = {};
  for (const t of TABLES) storeTables[t.name] = t.columns.map((c) => ({ name: c.name, type: c.kustoType }));
  return storeTables;
}

const storeNames: TableNames = {
  hasTable: (t) => !!getTable(t),
  sqlName: (t, c) => getTable(t)?.columns.find((x) => x.name === c)?.sqlName ?? c,
  // the storage tables with the views' column expressions: cold columns are unpacked after the filters
  storage: (t) => {
    const def = getTable(t);
    if (!def) return null;
    return {
      from: storageTable(def),
      column: (name, alias) => {
        const c = def.columns.find((x) => x.name === name);
        return c ? columnReadSql(def, c, alias) : `${alias}.${quoteIdent(name)}`;
      },
      extracted: (name, key, alias) => (shreddedKeys(def.name, name).includes(key) ? `${alias}.${quoteIdent(shreddedColumn(name, key))}` : null),
    };
  },
};

const cache = new Map<string, Compiled>();
const CACHE_MAX = 500;

export interface CompileOptions { tables?: TableDefs; dialect?: Dialect; names?: TableNames; noCache?: boolean }

export function compileQuery(text: string, opts: CompileOptions = {}): Compiled {
  const custom = !!(opts.tables || opts.dialect || opts.names);
  if (!custom && !opts.noCache) {
    const hit = cache.get(text);
    if (hit) return hit;
  }
  const t0 = performance.now();
  const { code, diagnostics } = parseAndAnalyze(text, opts.tables ?? storeTableDefs());
  const t1 = performance.now();
  const out: Compiled = { text, diagnostics, columns: [], plan: null, sql: null, rowsSql: null, render: null, externals: [], timings: { bindMs: t1 - t0, compileMs: 0 } };
  if (!diagnostics.some((d) => d.severity === 'error')) {
    let script: Script | null = null;
    try {
      script = new Converter(text).script(code.Syntax);
      const compiled = new Lowerer(opts.tables ?? storeTableDefs()).lowerScript(script);
      out.columns = compiled.columns;
      out.plan = compiled.plan;
      out.render = compiled.render;
      out.sql = new SqlRenderer(opts.dialect ?? duckdb, opts.names ?? storeNames).render(compiled.plan);
      out.rowsSql = new SqlRenderer(opts.dialect ?? duckdb, opts.names ?? storeNames).render(compiled.plan, true);
      out.externals = externalSources(compiled.plan);
    } catch (caught) {
      let err = caught;
      if (err instanceof NeedsProbe && script) {
        try {
          const sql = new SqlRenderer(opts.dialect ?? duckdb, opts.names ?? storeNames).render(err.spec.plan);
          out.columns = script.query.schema;
          out.render = script.render;
          out.sql = `-- the result columns depend on the data: this probe runs first\n${sql}`;
          out.externals = externalSources(err.spec.plan);
          out.probe = { ...err.spec, sql, recompile: (t) => compileQuery(t, opts) };
        } catch (e) {
          err = e;
        }
      }
      if (out.probe) { /* runnable: the probe comes first */ } else if (err instanceof InvalidQuery) {
        out.diagnostics = [...diagnostics, makeDiagnostic(text, 'WH002', err.message, err.span.start, err.span.length)];
      } else if (err instanceof Unsupported) {
        out.diagnostics = [...diagnostics, makeDiagnostic(text, 'WH001', `Not supported yet by wirehunt: ${err.feature}`, err.span.start, err.span.length)];
      } else {
        const msg = err instanceof Error ? err.message : String(err);
        out.diagnostics = [...diagnostics, makeDiagnostic(text, 'WH000', `Internal compiler error: ${msg}`, 0, 0)];
      }
      out.plan = null;
      if (!out.probe) out.sql = null;
      out.rowsSql = null;
      if (!out.probe) out.externals = [];
    }
  }
  out.timings.compileMs = performance.now() - t1;
  if (!custom && !opts.noCache) {
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(text, out);
  }
  return out;
}
