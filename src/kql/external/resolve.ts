// Runs a query's externaldata sources before its SQL: fetches each document, reads it into the
// declared schema, writes the rows as JSON lines and substitutes the placeholder the renderer left
// in the SQL with a typed read of that file.
import { createHash } from 'node:crypto';
import { readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../../cli/dirs.js';
import { tmpdir } from 'node:os';
import type { Plan } from '../ir/plan.js';
import type { Dialect } from '../sql/dialect.js';
import { sqlString } from '../sql/duckdb/dialect.js';
import { fetchDocument, ExternalDataError } from './fetch.js';
import { normalize, parseMapping, readRecords } from './formats.js';
import type { ExternalDataOptions } from './options.js';

export type ExternalSource = Extract<Plan, { op: 'external' }>;

/** The text the renderer puts where the source's rows go. */
export function placeholder(id: number): string {
  return `__WIREHUNT_EXT_${id}__`;
}

/** Every externaldata source of a plan (each id once). */
export function externalSources(plan: Plan | null): ExternalSource[] {
  const out = new Map<number, ExternalSource>();
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) { v.forEach(walk); return; }
    const o = v as Record<string, unknown>;
    if (o.op === 'external' && typeof o.id === 'number') { out.set(o.id, o as unknown as ExternalSource); return; }
    for (const x of Object.values(o)) walk(x);
  };
  walk(plan);
  return [...out.values()];
}

/** Rows of one source as JSON lines {"c0": text|null, …} (values in formats.ts's canonical text). */
export async function sourceRows(src: ExternalSource, o: ExternalDataOptions, cancel?: AbortSignal): Promise<string> {
  const mapping = parseMapping(src.mapping ?? undefined);
  const parts: string[] = [];
  for (const url of src.urls) {
    const body = await fetchDocument(url, o, cancel);
    const text = body.toString('utf8');
    for (const rec of readRecords(text, { format: src.format, ignoreFirstRecord: src.ignoreFirstRecord, columns: src.columns, mapping }, url)) {
      const row: Record<string, string | null> = {};
      src.columns.forEach((c, i) => { row[`c${i}`] = normalize(rec[i], c.type); });
      parts.push(JSON.stringify(row));
    }
  }
  return parts.length ? parts.join('\n') + '\n' : '';
}

const ROWS_KEEP_MS = 24 * 60 * 60 * 1000;
const lastPrune = new Map<string, number>();

/** Removes rows files and cached documents unused for a day (or the cache TTL if longer); at most every ten minutes. */
function prune(dir: string, now: number, keepMs: number): void {
  if (now - (lastPrune.get(dir) ?? 0) < 10 * 60 * 1000) return;
  lastPrune.set(dir, now);
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.rows.ndjson') && !f.endsWith('.body')) continue;
    try { if (now - statSync(join(dir, f)).mtimeMs > keepMs) unlinkSync(join(dir, f)); } catch { /* in use or gone */ }
  }
}

function writeRows(o: ExternalDataOptions, rows: string): string {
  const dir = o.cacheDir ?? join(tmpdir(), `wirehunt-externaldata-${process.getuid?.() ?? 0}`);
  makeDirectory(dir);
  const file = join(dir, createHash('sha256').update(rows).digest('hex').slice(0, 32) + '.rows.ndjson');
  const now = Date.now();
  if (existsSync(file)) utimesSync(file, now / 1000, now / 1000);
  else {
    const tmp = `${file}.${process.pid}.${now}.tmp`;
    writeFileSync(tmp, rows);
    renameSync(tmp, file);
  }
  prune(dir, now, Math.max(ROWS_KEEP_MS, o.cacheTtlMs));
  return file;
}

/** SQL reading the rows file with the source's column types (columns c0…cN). */
function readSql(src: ExternalSource, file: string, d: Dialect): string {
  const cols = src.columns.map((_, i) => `'c${i}': 'VARCHAR'`).join(', ');
  const sel = src.columns.map((c, i) => (c.type === 'string' || c.type === 'guid' ? `coalesce(c${i}, '')` : `TRY_CAST(c${i} AS ${d.sqlType(c.type)})`) + ` AS c${i}`);
  return `(SELECT ${sel.join(', ') || '1 AS c0'} FROM read_json(${sqlString(file)}, format = 'newline_delimited', columns = {${cols || "'c0': 'VARCHAR'"}}))`;
}

/** Fetches every source and returns the SQL with its placeholders replaced. */
export async function bindExternalData(sqls: (string | null)[], sources: ExternalSource[], o: ExternalDataOptions, d: Dialect, cancel?: AbortSignal): Promise<(string | null)[]> {
  const subst = new Map<string, string>();
  for (const src of sources) {
    const rows = await sourceRows(src, o, cancel);
    let file: string;
    try { file = writeRows(o, rows); } catch (err) { throw new ExternalDataError(`externaldata: cannot write the rows of ${src.urls[0]} (${(err as Error).message.split('\n')[0]})`); }
    subst.set(placeholder(src.id), readSql(src, file, d));
  }
  return sqls.map((s) => (s === null ? null : s.replace(/__WIREHUNT_EXT_\d+__/g, (m) => subst.get(m) ?? m)));
}
