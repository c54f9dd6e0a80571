// Loads Microsoft's Kusto language service (Kusto.Language compiled to JS by Bridge.NET) and builds
// the GlobalState the binder resolves names against. Nothing outside src/kql/frontend/ sees these objects.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Bridged = any;

let loaded: { Kusto: Bridged; System: Bridged } | null = null;

/** Loads bridge.js then Kusto.Language.Bridge.js once (they define globals `Bridge`, `System`, `Kusto`). */
export function kusto(): { Kusto: Bridged; System: Bridged } {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const dir = require.resolve('@kusto/language-service-next/package.json').replace(/package\.json$/, '');
  require(dir + 'bridge.min.js');
  require(dir + 'Kusto.Language.Bridge.min.js');
  const g = globalThis as Bridged;
  loaded = { Kusto: g.Kusto, System: g.System };
  return loaded;
}

export interface ColumnDef { name: string; type: string }
export type TableDefs = Record<string, ColumnDef[]>;

let defaultTables: TableDefs | null = null;
/** The Defender schema shipped with the project (../shared/schema/defender-tables.json relative to the repo). */
export function defenderTables(): TableDefs {
  if (defaultTables) return defaultTables;
  const candidates = [
    process.env.WIREHUNT_SCHEMA,
    new URL('../../../../../shared/schema/defender-tables.json', import.meta.url).pathname,
    new URL('../../../../shared/schema/defender-tables.json', import.meta.url).pathname,
  ];
  for (const p of candidates) {
    if (!p) continue;
    try {
      const j = JSON.parse(readFileSync(p, 'utf8')) as { tables: Record<string, { name: string; type: string }[]> };
      defaultTables = {};
      for (const [t, cols] of Object.entries(j.tables)) defaultTables[t] = cols.map((c) => ({ name: c.name, type: c.type }));
      return defaultTables;
    } catch { /* try next */ }
  }
  defaultTables = {};
  return defaultTables;
}

const globalsCache = new Map<string, CachedGlobals>();

function quoteName(n: string): string {
  return '[' + JSON.stringify(n) + ']';
}

/** A GlobalState with one database holding `tables`; cached by the table set. */
const globalsByObject = new WeakMap<TableDefs, CachedGlobals>();
export function globalsFor(tables: TableDefs): Bridged {
  const same = globalsByObject.get(tables);
  if (same) return cachedGlobals(same);
  const key = Object.keys(tables).sort().map((t) => t + ':' + tables[t]!.map((c) => c.name + ':' + c.type).join(',')).join(';');
  const hit = globalsCache.get(key);
  if (hit) { globalsByObject.set(tables, hit); return cachedGlobals(hit); }
  const { Kusto } = kusto();
  const S = Kusto.Language.Symbols;
  const syms = Object.entries(tables).map(
    ([name, cols]) => new S.TableSymbol.$ctor7(name, '(' + cols.map((c) => quoteName(c.name) + ':' + c.type).join(', ') + ')', null),
  );
  const db = new S.DatabaseSymbol.$ctor2('wirehunt', null, syms);
  let gs = Kusto.Language.GlobalState.Default.WithDatabase(db);
  // ParseAndAnalyze derives a state with these options, and the binder one with a KustoCache, from
  // whatever it is given; a state that has both already is used as it is, so its lookup maps (of
  // ~800 functions, the operators) and its binding cache are built once instead of per query.
  gs = gs.WithParseOptions(gs.ParseOptions.WithAlwaysProduceEndTokens(true));
  gs.GetFunction('strlen'); gs.GetAggregate('count'); gs.GetPlugIn('pivot'); gs.GetOperator(0);
  const state: CachedGlobals = { base: gs, cached: gs.WithCache(), uses: 0 };
  if (globalsCache.size >= 256) globalsCache.delete(globalsCache.keys().next().value as string);
  globalsCache.set(key, state);
  globalsByObject.set(tables, state);
  return cachedGlobals(state);
}

// The KustoCache keeps entries keyed by the symbols of each query bound against it (unions'
// unified tables, call-site expansions), so a long-running server renews it now and then.
export const CACHE_RENEW_AFTER = 1000;
interface CachedGlobals { base: Bridged; cached: Bridged; uses: number }
function cachedGlobals(state: CachedGlobals): Bridged {
  if (++state.uses > CACHE_RENEW_AFTER) {
    state.cached = state.base.WithCache();
    state.uses = 1;
  }
  return state.cached;
}

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning' | 'suggestion' | 'information';
  message: string;
  start: number;
  length: number;
  line: number;
  column: number;
}

export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1, col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) { line++; col = 1; } else col++;
  }
  return { line, column: col };
}

export function makeDiagnostic(text: string, code: string, message: string, start: number, length: number, severity: Diagnostic['severity'] = 'error'): Diagnostic {
  const { line, column } = lineCol(text, start);
  return { code, severity, message, start, length, line, column };
}

export interface Analyzed { code: Bridged; diagnostics: Diagnostic[] }

export function parseAndAnalyze(text: string, tables: TableDefs = defenderTables()): Analyzed {
  const { Kusto } = kusto();
  const gs = globalsFor(tables);
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, gs);
  const ds = code.GetDiagnostics();
  const diagnostics: Diagnostic[] = [];
  for (let i = 0; i < ds.Count; i++) {
    const d = ds.getItem(i);
    const sev = String(d.Severity ?? 'Error').toLowerCase() as Diagnostic['severity'];
    diagnostics.push(makeDiagnostic(text, d.Code, d.Message, d.Start, d.Length, sev));
  }
  return { code, diagnostics };
}

/** Formats as Kusto's editor does: `KS142 (3:5): The name 'x' does not refer to any known column...`. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity}: ${d.code} (${d.line}:${d.column}): ${d.message}`;
}
