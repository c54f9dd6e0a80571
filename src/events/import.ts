// Defender rows exported from Defender itself, into their tables: JSON Lines (one row object per
// line), a JSON array of row objects, the advanced-hunting API's {"Schema":[…],"Results":[…]} (or
// Graph's {"schema","results"}), and the portal's CSV export (header row of column names).
// Values are converted by each column's Kusto type; a row that cannot be converted is reported with
// file:line and skipped; a column the table does not have is reported once and ignored.

import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { UserError } from '../cli/types.js';
import { TABLES, findTable, type ColumnDef, type TableDef } from '../store/types.js';
import type { BatchWriter, Cell, Store } from '../store/store.js';
import { hash53 } from './hash.js';

export type DefenderFormat = 'jsonl' | 'json' | 'csv';

export interface ImportOptions {
  /** Table name (required when it cannot be inferred from the columns or the file name). */
  table?: string;
  batchSize?: number;
  onMalformed?: (file: string, line: number, reason: string) => void;
  onBatch?: (rows: number) => void;
}

export interface ImportStats {
  file: string;
  table: string;
  format: DefenderFormat;
  rows: number;
  inserted: number;
  malformed: number;
}

/** Microseconds since the epoch for an ISO 8601 date (up to 7 fraction digits, Kusto-style), else NaN. */
export function parseDateTimeMicros(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v > 1e14 ? v : v > 1e11 ? v * 1000 : v * 1e6) : NaN;
  if (typeof v !== 'string' || v === '') return NaN;
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|[+-]\d{2}:?\d{2})?$/i.exec(v.trim());
  if (!m) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? NaN : t * 1000;
  }
  const base = Date.parse(`${m[1]}T${m[2]!.length === 5 ? m[2] + ':00' : m[2]}${m[4] ? (m[4].toUpperCase() === 'Z' ? 'Z' : m[4].length === 5 ? m[4].slice(0, 3) + ':' + m[4].slice(3) : m[4]) : 'Z'}`);
  if (Number.isNaN(base)) return NaN;
  const frac = m[3] ? Math.round(Number('0.' + m[3]) * 1e6) : 0;
  return base * 1000 + frac;
}

class BadValue extends Error {}

/** One value converted for a column of the given Kusto type (see Cell in store.ts). */
export function convertCell(col: ColumnDef, v: unknown): Cell {
  if (v === undefined || v === null) return null;
  switch (col.kustoType) {
    case 'string':
    case 'guid':
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
    case 'datetime': {
      if (v === '') return null;
      const t = parseDateTimeMicros(v);
      if (Number.isNaN(t)) throw new BadValue(`${col.name}: '${String(v).slice(0, 40)}' is not a datetime`);
      return t;
    }
    case 'long':
    case 'timespan':
    case 'int':
    case 'real':
    case 'decimal': {
      if (v === '') return null;
      if (typeof v === 'number') return v;
      if (typeof v === 'boolean') return v ? 1 : 0;
      if (typeof v === 'string') {
        const s = v.trim();
        if (col.kustoType === 'long' && /^-?\d+$/.test(s) && s.length > 15) return BigInt(s);
        const n = Number(s);
        if (s !== '' && Number.isFinite(n)) return n;
      }
      throw new BadValue(`${col.name}: '${String(v).slice(0, 40)}' is not a ${col.kustoType}`);
    }
    case 'bool': {
      if (typeof v === 'boolean') return v;
      if (v === '') return null;
      if (typeof v === 'number') return v !== 0;
      const s = String(v).toLowerCase();
      if (s === 'true' || s === '1') return true;
      if (s === 'false' || s === '0') return false;
      throw new BadValue(`${col.name}: '${String(v).slice(0, 40)}' is not a bool`);
    }
    case 'dynamic': {
      if (typeof v === 'string') {
        if (v === '') return null;
        try {
          JSON.parse(v);
          return v;
        } catch {
          return JSON.stringify(v);
        }
      }
      return JSON.stringify(v);
    }
  }
}

/** The table whose columns best cover `columns` (all must exist); undefined when none or a tie. */
export function inferTable(columns: readonly string[]): TableDef | undefined {
  let best: TableDef | undefined;
  let bestExtra = Infinity;
  let tie = false;
  for (const t of TABLES) {
    const names = new Set(t.columns.map((c) => c.name));
    if (!columns.every((c) => names.has(c))) continue;
    const extra = t.columns.length - columns.length;
    if (extra < bestExtra) {
      best = t;
      bestExtra = extra;
      tie = false;
    } else if (extra === bestExtra) tie = true;
  }
  return tie ? undefined : best;
}

function tableFor(file: string, columns: readonly string[], flag: string | undefined): TableDef {
  if (flag) {
    const t = findTable(flag);
    if (!t) throw new UserError(`unknown table '${flag}'`);
    return t;
  }
  const byName = findTable(basename(file).replace(/(\.gz)?$/, '').replace(/\.(csv|jsonl?|ndjson)$/i, ''));
  if (byName) return byName;
  const t = inferTable(columns);
  if (!t) throw new UserError(`${file}: cannot tell which table these rows belong to; pass --table <Name>`);
  return t;
}

/** A streaming row sink for one file: columns are fixed by the first row (or the header). */
class RowImporter {
  private writer: BatchWriter | undefined;
  private cols: ColumnDef[] = [];
  private srcIndex: number[] = [];
  private reportIdAt = -1;
  private readonly row: Cell[] = [];
  stats: ImportStats;
  private warnedUnknown = new Set<string>();

  constructor(private readonly store: Store, private readonly file: string, format: DefenderFormat, private readonly opts: ImportOptions) {
    this.stats = { file, table: '', format, rows: 0, inserted: 0, malformed: 0 };
  }

  get ready(): boolean {
    return this.writer !== undefined;
  }

  async start(columns: readonly string[]): Promise<void> {
    const table = tableFor(this.file, columns, this.opts.table);
    this.stats.table = table.name;
    const byName = new Map(table.columns.map((c) => [c.name, c]));
    const cols: ColumnDef[] = [];
    const idx: number[] = [];
    columns.forEach((name, i) => {
      const c = byName.get(name) ?? table.columns.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (!c) {
        if (!this.warnedUnknown.has(name)) {
          this.warnedUnknown.add(name);
          process.stderr.write(`wirehunt: ${this.file}: ${table.name} has no column '${name}'; ignored\n`);
        }
        return;
      }
      if (cols.includes(c)) return;
      cols.push(c);
      idx.push(i);
    });
    const reportId = table.columns.find((c) => c.name === 'ReportId');
    if (reportId && !cols.includes(reportId)) {
      cols.push(reportId);
      idx.push(-1);
      this.reportIdAt = cols.length - 1;
    }
    this.cols = cols;
    this.srcIndex = idx;
    this.row.length = cols.length;
    this.writer = await this.store.writer(table.name, cols.map((c) => c.name), { batchSize: this.opts.batchSize });
  }

  /** Adds one row given as values in the source column order. */
  add(values: readonly unknown[], line: number): void | Promise<void> {
    const row = this.row;
    try {
      for (let i = 0; i < this.cols.length; i++) {
        const si = this.srcIndex[i]!;
        row[i] = si < 0 ? null : convertCell(this.cols[i]!, values[si]);
      }
    } catch (err) {
      if (!(err instanceof BadValue)) throw err;
      this.bad(line, err.message);
      return;
    }
    if (this.reportIdAt >= 0) row[this.reportIdAt] = hash53(JSON.stringify(row, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    this.writer!.appendRow(row);
    this.stats.rows++;
    if (this.writer!.full) return this.flush();
  }

  bad(line: number, reason: string): void {
    this.stats.malformed++;
    (this.opts.onMalformed ?? ((f, l, r) => process.stderr.write(`wirehunt: ${f}:${l}: ${r}; row skipped\n`)))(this.file, line, reason);
  }

  async flush(): Promise<void> {
    if (!this.writer) return;
    const n = this.writer.pending;
    await this.writer.flush();
    this.opts.onBatch?.(n);
  }

  async finish(): Promise<ImportStats> {
    if (this.writer) {
      const n = this.writer.pending;
      this.stats.inserted = await this.writer.close();
      this.opts.onBatch?.(n);
    }
    return this.stats;
  }
}

/** The file as a UTF-8 text stream (multi-byte characters never split across chunks). */
function open(file: string): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const s = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  s.setEncoding('utf8');
  return s;
}

async function* lines(stream: Readable): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = carry + chunk;
    const parts = text.split('\n');
    carry = parts.pop()!;
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  }
  if (carry) yield carry;
}

/** Sniffs a file's Defender format from its first bytes (and name). */
export function sniffDefenderFormat(file: string, head: string): DefenderFormat {
  const t = head.replace(/^\uFEFF/, '').trimStart();
  if (/\.csv(\.gz)?$/i.test(file)) return 'csv';
  if (t.startsWith('[')) return 'json';
  if (t.startsWith('{')) {
    // {"Schema": …} / {"schema": …} on the first line, or pretty-printed JSON → whole-document JSON
    if (/^\{\s*"(Schema|schema|Results|results|value)"/.test(t)) return 'json';
    const nl = t.indexOf('\n');
    const first = nl < 0 ? t : t.slice(0, nl);
    try {
      JSON.parse(first);
      return 'jsonl';
    } catch {
      return 'json';
    }
  }
  return 'csv';
}

export async function importDefenderFile(store: Store, file: string, head: string, opts: ImportOptions = {}): Promise<ImportStats> {
  const format = sniffDefenderFormat(file, head);
  const imp = new RowImporter(store, file, format, opts);
  if (format === 'jsonl') {
    let lineNo = 0;
    let names: string[] = [];
    for await (const line of lines(open(file))) {
      lineNo++;
      if (!line.trim()) continue;
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        imp.bad(lineNo, 'not a JSON object');
        continue;
      }
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
        imp.bad(lineNo, 'not a JSON object');
        continue;
      }
      const o = obj as Record<string, unknown>;
      if (!imp.ready) {
        names = Object.keys(o);
        await imp.start(names);
      }
      const r = imp.add(names.map((n) => o[n]), lineNo);
      if (r) await r;
    }
  } else if (format === 'json') {
    const size = statSync(file).size;
    if (size > 1 << 30) throw new UserError(`${file}: a JSON document over 1 GB; export as JSON Lines or CSV instead`);
    let doc: unknown;
    try {
      const buf = readFileSync(file);
      const text = (file.endsWith('.gz') ? (await import('node:zlib')).gunzipSync(buf) : buf).toString('utf8').replace(/^\uFEFF/, '');
      doc = JSON.parse(text);
    } catch (err) {
      throw new UserError(`${file}: not valid JSON (${(err as Error).message.split('\n')[0]})`);
    }
    let rows: unknown[];
    let names: string[] | undefined;
    if (Array.isArray(doc)) rows = doc;
    else if (doc && typeof doc === 'object') {
      const d = doc as Record<string, unknown>;
      const results = d.Results ?? d.results ?? d.value;
      if (!Array.isArray(results)) throw new UserError(`${file}: expected {"Schema":[…],"Results":[…]} or an array of rows`);
      rows = results;
      const schema = d.Schema ?? d.schema;
      if (Array.isArray(schema)) names = schema.map((s) => String((s as Record<string, unknown>).Name ?? (s as Record<string, unknown>).name ?? ''));
    } else throw new UserError(`${file}: expected {"Schema":[…],"Results":[…]} or an array of rows`);
    for (let i = 0; i < rows.length; i++) {
      const o = rows[i];
      if (!o || typeof o !== 'object' || Array.isArray(o)) {
        imp.bad(i + 1, 'row is not an object');
        continue;
      }
      const rec = o as Record<string, unknown>;
      if (!imp.ready) {
        names ??= Object.keys(rec);
        await imp.start(names);
      }
      const r = imp.add(names!.map((n) => rec[n]), i + 1);
      if (r) await r;
    }
  } else {
    await importCsv(file, imp);
  }
  return imp.finish();
}

/** RFC 4180 CSV (quotes, doubled quotes, newlines inside quotes), streaming. */
async function importCsv(file: string, imp: RowImporter): Promise<void> {
  let header: string[] | undefined;
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let afterQuote = false;
  let lineNo = 1;
  let rowLine = 1;
  const MAX_FIELD = 16 << 20;
  const endRow = async () => {
    fields.push(field);
    field = '';
    const f = fields;
    fields = [];
    if (f.length === 1 && f[0] === '') return;
    if (!header) {
      header = f.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
      await imp.start(header);
      return;
    }
    if (f.length !== header.length) {
      imp.bad(rowLine, `${f.length} fields where the header has ${header.length}`);
      return;
    }
    const r = imp.add(f, rowLine);
    if (r) await r;
  };
  for await (const s of open(file) as AsyncIterable<string>) {
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (inQuotes) {
        if (c === '"') {
          if (s[i + 1] === '"') { field += '"'; i++; }
          else if (i + 1 === s.length) { inQuotes = false; afterQuote = true; } // a quote at a chunk edge: decided below
          else { inQuotes = false; afterQuote = true; }
        } else {
          if (c === '\n') lineNo++;
          field += c;
          if (field.length > MAX_FIELD) throw new UserError(`${file}:${rowLine}: a field over ${MAX_FIELD} bytes (unterminated quote?)`);
        }
        continue;
      }
      if (c === '"' && afterQuote) { field += '"'; inQuotes = true; afterQuote = false; continue; } // "" split across chunks
      afterQuote = false;
      if (c === '"' && field === '') inQuotes = true;
      else if (c === ',') { fields.push(field); field = ''; }
      else if (c === '\n') {
        if (field.endsWith('\r')) field = field.slice(0, -1);
        await endRow();
        lineNo++;
        rowLine = lineNo;
      } else {
        field += c;
        if (field.length > MAX_FIELD) throw new UserError(`${file}:${rowLine}: a field over ${MAX_FIELD} bytes; not a CSV export?`);
      }
    }
  }
  if (field !== '' || fields.length) await endRow();
}
