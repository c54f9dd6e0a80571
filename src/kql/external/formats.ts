// Reads an externaldata document as Kusto's ingestion formats do, into rows of the declared
// schema. Values come out as text in a canonical form per Kusto type (or null), which the SQL
// side casts: long "42", real "1.5"/"NaN", bool "true", datetime "2024-05-01 12:00:00.000000",
// timespan as ticks, dynamic as JSON text.
import type { Column, KType } from '../frontend/ast.js';
import { ExternalDataError } from './fetch.js';

export const FORMATS = ['csv', 'tsv', 'tsve', 'psv', 'scsv', 'sohsv', 'txt', 'raw', 'json', 'multijson', 'singlejson'] as const;
const SEPARATORS: Record<string, string> = { csv: ',', tsv: '\t', tsve: '\t', psv: '|', scsv: ';', sohsv: '\x01' };

export interface JsonMapping { column: string; path: (string | number)[] }

export interface DocumentSpec { format: string; ignoreFirstRecord: boolean; columns: Column[]; mapping: JsonMapping[] | null }

/** Format named in `with (format=…)`, else by the URL's extension, else csv (as Kusto does). */
export function formatOf(explicit: string | undefined, urls: string[]): string {
  if (explicit) return explicit.toLowerCase();
  const path = (urls[0] ?? '').replace(/[?#].*$/, '').toLowerCase();
  const ext = /\.([a-z]+)$/.exec(path)?.[1] ?? '';
  return (FORMATS as readonly string[]).includes(ext) ? ext : 'csv';
}

/** `$`, `$.a.b`, `$['a b'][0]` → path segments. */
export function parseJsonPath(p: string): (string | number)[] | null {
  const s = p.trim();
  if (!s.startsWith('$')) return null;
  const out: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[\s*(\d+)\s*\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < s.length) {
    const m = re.exec(s);
    if (!m) return null;
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[4])!));
  }
  return out;
}

/** `ingestionMapping='[{"Column":"x","Properties":{"Path":"$.x"}}]'` (also `{"column":"x","path":"$.x"}`). */
export function parseMapping(text: string | undefined): JsonMapping[] | null {
  if (!text) return null;
  let arr: unknown;
  try { arr = JSON.parse(text); } catch { throw new ExternalDataError('externaldata: ingestionMapping is not valid JSON'); }
  if (!Array.isArray(arr)) throw new ExternalDataError('externaldata: ingestionMapping must be a JSON array');
  return arr.map((m: Record<string, unknown>) => {
    const props = (m.Properties ?? m.properties ?? {}) as Record<string, unknown>;
    const column = String(m.Column ?? m.column ?? '');
    const pathText = String(props.Path ?? props.path ?? m.Path ?? m.path ?? '$.' + column);
    const path = parseJsonPath(pathText);
    if (!column || !path) throw new ExternalDataError(`externaldata: ingestionMapping entry ${JSON.stringify(m)} has no column or a bad path`);
    return { column, path };
  });
}

/** RFC 4180 records (quotes double themselves; quoted fields may hold separators and newlines). */
export function splitDelimited(text: string, sep: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let quoted = false;
  let any = false;
  while (i < n) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"' && field === '') { quoted = true; any = true; i++; continue; }
    if (ch === sep) { row.push(field); field = ''; any = true; i++; continue; }
    if (ch === '\r' || ch === '\n') {
      if (any || field !== '' || row.length) { row.push(field); rows.push(row); }
      row = []; field = ''; any = false;
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      continue;
    }
    field += ch; any = true; i++;
  }
  if (any || field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

function lines(text: string): string[] {
  const out = text.split(/\r?\n/);
  if (out.length && out[out.length - 1] === '') out.pop();
  return out;
}

/** JSON records: one array of objects, one object, JSON lines, or objects one after another. */
function jsonRecords(text: string, url: string): unknown[] {
  const t = text.replace(/^\uFEFF/, '').trim();
  if (!t) return [];
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch { /* not one document */ }
  const out: unknown[] = [];
  // concatenated values: scan for each top-level value's end (strings and nesting aware)
  let depth = 0, start = -1, inStr = false;
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (inStr) { if (c === '\\') i++; else if (c === '"') inStr = false; continue; }
    if (c === '"') { inStr = true; continue; }
    if (c === '{' || c === '[') { if (depth++ === 0) start = i; continue; }
    if (c === '}' || c === ']') {
      if (--depth === 0) {
        try { out.push(JSON.parse(t.slice(start, i + 1))); } catch (err) { throw new ExternalDataError(`externaldata: ${url} is not valid JSON (${(err as Error).message})`); }
      }
      if (depth < 0) break;
      continue;
    }
    if (depth === 0 && !/\s|,/.test(c)) throw new ExternalDataError(`externaldata: ${url} is not valid JSON (unexpected '${c}' at offset ${i})`);
  }
  if (depth !== 0) throw new ExternalDataError(`externaldata: ${url} is not valid JSON (unterminated value)`);
  return out;
}

function atPath(v: unknown, path: (string | number)[]): unknown {
  let cur = v;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/** Rows of raw field values (text, or JSON values for the JSON formats) in schema order. */
export function readRecords(text: string, spec: DocumentSpec, url: string): unknown[][] {
  const f = spec.format;
  let rows: unknown[][];
  if (f === 'txt') rows = lines(text).map((l) => [l]);
  else if (f === 'raw') rows = [[text]];
  else if (SEPARATORS[f] !== undefined) rows = splitDelimited(text.replace(/^\uFEFF/, ''), SEPARATORS[f]!);
  else if (f === 'json' || f === 'multijson' || f === 'singlejson') {
    const recs = jsonRecords(text, url);
    const mapping = spec.mapping;
    rows = recs.map((r) => spec.columns.map((c) => {
      const m = mapping?.find((x) => x.column === c.name);
      if (mapping) return m ? atPath(r, m.path) : undefined;
      return r !== null && typeof r === 'object' ? (r as Record<string, unknown>)[c.name] : undefined;
    }));
  } else throw new ExternalDataError(`externaldata: format '${f}' is not supported (supported: ${FORMATS.join(', ')})`);
  return spec.ignoreFirstRecord ? rows.slice(1) : rows;
}

const UNIT_TICKS: Record<string, number> = { d: 864e9, h: 36e9, m: 6e8, s: 1e7, ms: 1e4, microsecond: 10, tick: 1 };

function ticksOf(s: string): string | null {
  let m = /^(-)?(?:(\d+)\.)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$/.exec(s);
  if (m) {
    const t = (BigInt(m[2] ?? 0) * 86400n + BigInt(m[3]!) * 3600n + BigInt(m[4]!) * 60n + BigInt(m[5] ?? 0)) * 10_000_000n + BigInt((m[6] ?? '').padEnd(7, '0'));
    return String(m[1] ? -t : t);
  }
  m = /^(-)?(\d+(?:\.\d+)?)\s*(d|h|m|s|ms|microsecond|tick)$/i.exec(s);
  if (m) return String(Math.round(Number(m[2]) * UNIT_TICKS[m[3]!.toLowerCase()]!) * (m[1] ? -1 : 1));
  return null;
}

function datetimeOf(s: string): string | null {
  const frac = /[T ]\d{1,2}:\d{2}:\d{2}\.(\d+)/.exec(s)?.[1];
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2}|GMT|UTC)$/i.test(s);
  const iso = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.test(s);
  const ms = Date.parse(iso && !hasZone ? s.replace(' ', 'T') + (s.length > 10 ? 'Z' : 'T00:00:00Z') : s);
  if (!Number.isFinite(ms)) return null;
  const d = new Date(ms);
  const micros = frac ? frac.padEnd(6, '0').slice(0, 6) : String(d.getUTCMilliseconds() * 1000).padStart(6, '0');
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 19)}.${micros}`;
}

/** One field in the canonical text of its column's type (null = Kusto null). */
export function normalize(v: unknown, t: KType): string | null {
  if (v === undefined || v === null) return t === 'string' || t === 'guid' ? '' : null;
  const jsonValue = typeof v !== 'string';
  const text = typeof v === 'string' ? v : JSON.stringify(v);
  switch (t) {
    case 'string': case 'guid': case 'unknown': case 'type': return text;
    case 'dynamic': {
      if (jsonValue) return text;
      if (text.trim() === '') return null;
      try { JSON.parse(text); return text.trim(); } catch { return JSON.stringify(text); }
    }
    case 'long': case 'int': {
      const s = text.trim();
      if (/^[-+]?\d+$/.test(s)) return s.replace(/^\+/, '');
      if (typeof v === 'boolean') return v ? '1' : '0';
      const n = Number(s);
      return s !== '' && Number.isFinite(n) && Number.isInteger(n) ? String(n) : null;
    }
    case 'real': case 'decimal': {
      const s = text.trim();
      if (/^nan$/i.test(s)) return 'NaN';
      if (/^[-+]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? '-Infinity' : 'Infinity';
      const n = Number(s);
      return s !== '' && Number.isFinite(n) ? String(n) : null;
    }
    case 'bool': {
      const s = text.trim().toLowerCase();
      return s === 'true' || s === '1' ? 'true' : s === 'false' || s === '0' ? 'false' : null;
    }
    case 'datetime': return datetimeOf(text.trim());
    case 'timespan': return ticksOf(text.trim());
  }
}
