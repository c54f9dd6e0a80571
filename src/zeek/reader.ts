// Reads Zeek logs as an existing deployment keeps them: the ASCII writer's TSV with its `#` headers,
// JSON lines (LogAscii::use_json=T), either one gzip-compressed, and rotated names such as
// conn.2024-01-01-00-00-00.log.gz or conn.00:00:00-01:00:00.log.gz. Records come out as the
// ZeekRecords the sensor emits (byte strings, numbers, booleans, arrays; unset fields absent), so
// both paths feed the event model identically.
//
// A malformed line (wrong field count, a value that does not parse as its type, bad JSON) is
// reported with file:line and skipped. A btest banner line (`### BTest baseline data …`) and any
// other unknown `#` line are ignored. A masked timestamp (`XXXXXXXXXX.XXXXXX`, what btest's
// canonifier leaves in Zeek's test baselines) never occurs in a real log: by default such a record
// is skipped and counted (`maskedTime: 'skip'`); `maskedTime: 'zero'` keeps it with time 0.

import { createReadStream, readdirSync, statSync, openSync, readSync, closeSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { LogField, LogSchema, ZeekRecord, ZeekType, ZeekValue } from './types.js';

export interface ReadOptions {
  /** Called once per malformed line; the line is skipped. Default: print a warning on stderr. */
  onMalformed?: (file: string, line: number, reason: string) => void;
  /** What to do with a btest-masked timestamp: skip the record (default) or read it as 0. */
  maskedTime?: 'skip' | 'zero';
  /** Read only bytes [start, end) of an uncompressed file (a TsvChunk); line numbers count from it. */
  start?: number;
  end?: number;
  /** Header lines read before the range (a TsvChunk's preamble); not counted as lines. */
  preamble?: string;
}

export interface ReadStats {
  file: string;
  path: string;
  format: 'tsv' | 'json';
  records: number;
  malformed: number;
  masked: number;
  /** Largest `ts` seen (seconds), NaN when none. */
  maxTs: number;
  bytes: number;
  /** Lines read (header lines included). */
  lines: number;
}

export type RecordCallback = (schema: LogSchema, rec: ZeekRecord, line: number) => void | Promise<void>;

const MASKED = /^X{10}\.X{6}$/;

/** The log path a file holds, from its name: `conn.2024-01-01-00-00-00.log.gz` → `conn`. */
export function logPathOf(file: string): string {
  let b = basename(file);
  if (b.endsWith('.gz')) b = b.slice(0, -3);
  const dot = b.indexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}

/** True for names Zeek gives its logs (TSV or JSON alike): `x.log`, `x.log.gz`, `x.<stamp>.log[.gz]`. */
export function isZeekLogName(file: string): boolean {
  return /\.log(\.gz)?$/.test(basename(file)) && !basename(file).startsWith('.');
}

/** Logs whose records others depend on come first (x509 before ssl: ssl rows take the leaf cert's subject). */
const ORDER: Record<string, number> = { x509: 0, dhcp: 1 };

/**
 * Expands folders (recursively) to the Zeek log files in them, in a deterministic order: by log
 * path (x509 and dhcp first), then by name (rotated files sort by their time stamp).
 */
export function listZeekLogFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string, top: boolean) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      if (top) out.push(p); // reported when opened
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) walk(join(p, name), false);
    } else if (top || isZeekLogName(p)) out.push(p);
  };
  for (const p of paths) walk(p, true);
  const rank = (f: string) => ORDER[logPathOf(f)] ?? 2;
  return out.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map((x) => x.f);
}

/** Whether a file starts with gzip's magic bytes. */
export function isGzip(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Opens a log (gzip or not, by its magic bytes) as a byte stream; `start`/`end`: a byte range of an uncompressed file. */
export function openLogStream(file: string, start?: number, end?: number): Readable {
  if (start !== undefined || end !== undefined) {
    return createReadStream(file, { highWaterMark: 1 << 20, start: start ?? 0, end: end === undefined ? undefined : end - 1 });
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  return isGzip(file) ? raw.pipe(createGunzip({ chunkSize: 1 << 20 })) : raw;
}

/** Header keys that change how the lines after them are read. */
export const SCHEMA_KEYS = ['#separator', '#set_separator', '#empty_field', '#unset_field', '#path', '#fields', '#types'];

/** Parts of one uncompressed TSV log that can be read independently (readZeekLog's start/end/preamble). */
export interface TsvChunks {
  /** The log path its header names (else the file name's). */
  path: string;
  /** The header lines before the first record, to read before a chunk that does not start the file. */
  preamble: string;
  /** Byte ranges [start, end), in file order, each ending after a newline (the last at the file's end). */
  ranges: { start: number; end: number }[];
}

/**
 * Splits an uncompressed TSV log into about `parts` byte ranges of at least `minBytes` at line
 * boundaries. Undefined when the file cannot be split that way: compressed, JSON, or its header
 * changes after the first record (a chunk would need the header in force where it starts).
 */
export function planTsvChunks(file: string, parts: number, minBytes: number): TsvChunks | undefined {
  if (isGzip(file)) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = statSync(file).size;
    const block = Buffer.alloc(1 << 22);
    // The header: '#' lines before the first record.
    let got = readSync(fd, block, 0, block.length, 0);
    if (got === 0 || block[0] !== 35) return undefined;
    let pos = 0;
    let path = '';
    while (pos < got && block[pos] === 35) {
      const nl = block.indexOf(10, pos);
      if (nl < 0) return undefined; // a header longer than a block: read it whole instead
      const line = block.toString('latin1', pos, nl);
      if (line.startsWith('#path')) path = line.slice(6).trim();
      pos = nl + 1;
    }
    if (pos >= got) return undefined;
    const preamble = block.toString('latin1', 0, pos);
    const dataStart = pos;
    // No schema line after the first record: look at every "\n#" (blocks overlap by 16 bytes).
    const NLHASH = Buffer.from('\n#');
    for (let off = dataStart - 1; off < size - 1; off += block.length - 16) {
      const n = readSync(fd, block, 0, block.length, off);
      if (n <= 1) break;
      const view = block.subarray(0, n);
      for (let at = view.indexOf(NLHASH); at >= 0; at = view.indexOf(NLHASH, at + 1)) {
        if (at + 16 > n && off + n < size) break; // seen whole in the next block
        const head = view.toString('latin1', at + 1, Math.min(n, at + 17));
        if (SCHEMA_KEYS.some((k) => head.startsWith(k))) return undefined;
      }
      if (off + n >= size) break;
    }
    const n = Math.max(1, Math.min(parts, Math.floor((size - dataStart) / Math.max(1, minBytes))));
    const ranges: { start: number; end: number }[] = [];
    let start = 0;
    const probe = Buffer.alloc(1 << 16);
    for (let k = 1; k < n; k++) {
      let at = dataStart + Math.floor(((size - dataStart) * k) / n);
      if (at <= start) continue;
      // The boundary goes after the next newline.
      for (;;) {
        const r = readSync(fd, probe, 0, probe.length, at);
        if (r <= 0) { at = size; break; }
        const nl = probe.indexOf(10);
        if (nl >= 0 && nl < r) { at += nl + 1; break; }
        at += r;
      }
      if (at >= size) break;
      ranges.push({ start, end: at });
      start = at;
    }
    ranges.push({ start, end: size });
    return { path: path || logPathOf(file), preamble, ranges };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const TSV_HEX = /\\x([0-9a-fA-F]{2})/g;

/** Undoes the ASCII writer's `\xNN` escapes (byte strings: one char per byte). */
export function unescapeZeek(s: string): string {
  if (s.indexOf('\\x') < 0) return s;
  return s.replace(TSV_HEX, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

interface TsvHeader {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  path: string;
  fields: string[];
  types: string[];
}

function headerValue(v: string): string {
  return unescapeZeek(v);
}

const INT_RE = /^-?\d+$/;
const NUM_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

class Malformed extends Error {}

/** Marks an unset column among a line's parsed values. */
const UNSET: unknown = Symbol('unset');

type RecordBuilder = (vals: readonly unknown[], unset: unknown) => ZeekRecord;

/**
 * A function building the record of one TSV schema from a line's parsed values, leaving unset
 * columns out. Generated per header so that each property store names its field: measured ~4x
 * faster than storing through computed keys (which go megamorphic across a log's 20-odd fields).
 * The field names enter the code only as JSON string literals.
 */
function recordBuilder(names: readonly string[]): RecordBuilder {
  let body = 'const r = {};\nlet x;\n';
  names.forEach((n, i) => {
    // A repeated name keeps the last value, as the computed-key stores did; __proto__ must stay a plain key.
    const key = JSON.stringify(n);
    body += n === '__proto__' ? `x = v[${i}]; if (x !== u) Object.defineProperty(r, ${key}, { value: x, enumerable: true, writable: true, configurable: true });\n` : `x = v[${i}]; if (x !== u) r[${key}] = x;\n`;
  });
  return new Function('v', 'u', body + 'return r;') as RecordBuilder;
}

/** How a TSV column is parsed: numbers and strings take a fast path; the rest go through parseScalar. */
const K_OTHER = 0;
const K_NUMBER = 1;
const K_INTEGER = 2;
const K_STRING = 3;
const K_CONTAINER = 4;

function scalarKind(type: string): number {
  switch (type) {
    case 'time': case 'interval': case 'double': return K_NUMBER;
    case 'count': case 'int': case 'port': return K_INTEGER;
    case 'bool': return K_OTHER;
    default: return K_STRING;
  }
}

/** Matches INT_RE (an optional '-', then digits) without a regex. */
function isInteger(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Plain decimals (-?digits[.digits]) without a regex; other forms (exponents, .5, nan) go to parseScalar. */
function isDecimal(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  const start = i;
  let dot = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (dot || i === start) return false;
      dot = true;
    } else if (c < 48 || c > 57) return false;
  }
  return i > start;
}

function parseScalar(type: string, s: string): string | number | boolean {
  switch (type) {
    case 'time':
    case 'interval':
    case 'double':
      if (!NUM_RE.test(s)) {
        if (s === 'nan' || s === 'inf' || s === '-inf') return s === 'nan' ? NaN : s === 'inf' ? Infinity : -Infinity;
        throw new Malformed(`'${s}' is not a ${type}`);
      }
      return +s;
    case 'count':
    case 'int':
    case 'port':
      if (!INT_RE.test(s)) throw new Malformed(`'${s}' is not a ${type}`);
      return +s;
    case 'bool':
      if (s === 'T') return true;
      if (s === 'F') return false;
      throw new Malformed(`'${s}' is not a bool`);
    default:
      return unescapeZeek(s);
  }
}

function containerElement(type: string): string | undefined {
  if (type.startsWith('set[') || type.startsWith('vector[')) return type.slice(type.indexOf('[') + 1, -1);
  return undefined;
}

/** Reads one log file, calling `onRecord` for every record (awaited when it returns a promise). */
export async function readZeekLog(file: string, onRecord: RecordCallback, opts: ReadOptions = {}): Promise<ReadStats> {
  const onMalformed = opts.onMalformed ?? ((f, l, r) => process.stderr.write(`wirehunt: ${f}:${l}: ${r}; line skipped\n`));
  const maskedZero = opts.maskedTime === 'zero';
  const stats: ReadStats = { file, path: logPathOf(file), format: 'tsv', records: 0, malformed: 0, masked: 0, maxTs: NaN, bytes: 0, lines: 0 };
  let stream: Readable;
  try {
    statSync(file);
    stream = openLogStream(file, opts.start, opts.end);
  } catch (err) {
    throw new ReaderError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }

  let format: 'tsv' | 'json' | undefined;
  let header: TsvHeader = { separator: '\t', setSeparator: ',', emptyField: '(empty)', unsetField: '-', path: stats.path, fields: [], types: [] };
  let schema: LogSchema | undefined;
  let elemTypes: (string | undefined)[] = [];
  let jsonSchemas = new Map<string, LogSchema>();
  let lineNo = 0;
  let noHeaderReported = false;

  const bad = (reason: string) => {
    stats.malformed++;
    onMalformed(file, lineNo, reason);
  };

  // Per column of the current schema: its name, how to parse it (K_*), and its container element type.
  let kinds: Uint8Array = new Uint8Array(0);
  let tsIdx = -1;
  let build: RecordBuilder = () => ({});
  const vals: unknown[] = [];
  const buildSchema = () => {
    const fields: LogField[] = header.fields.map((name, i) => ({ name, type: (header.types[i] ?? 'string') as ZeekType }));
    schema = { path: header.path || stats.path, fields };
    elemTypes = header.types.map(containerElement);
    build = recordBuilder(fields.map((f) => f.name));
    kinds = Uint8Array.from(fields, (f, i) => (elemTypes[i] !== undefined ? K_CONTAINER : scalarKind(f.type)));
    tsIdx = fields.findIndex((f) => f.name === 'ts');
  };

  const handleTsv = (line: string): ZeekRecord | undefined => {
    if (line.charCodeAt(0) === 35 /* # */) {
      const sp = line.indexOf(line.startsWith('#separator') ? ' ' : header.separator);
      const key = sp < 0 ? line : line.slice(0, sp);
      const val = sp < 0 ? '' : line.slice(sp + 1);
      switch (key) {
        case '#separator': header.separator = headerValue(val); break;
        case '#set_separator': header.setSeparator = headerValue(val); break;
        case '#empty_field': header.emptyField = headerValue(val); break;
        case '#unset_field': header.unsetField = headerValue(val); break;
        case '#path': header.path = val; break;
        case '#fields': header.fields = val.split(header.separator); schema = undefined; break;
        case '#types': header.types = val.split(header.separator); schema = undefined; break;
        default: break; // #open, #close, btest banner, comments
      }
      return undefined;
    }
    if (!schema) {
      if (!header.fields.length) {
        // e.g. zeek-cut output: say so once per file, count the rest
        if (noHeaderReported) stats.malformed++;
        else {
          noHeaderReported = true;
          bad('data before a #fields header (zeek-cut output?); further such lines are not reported');
        }
        return undefined;
      }
      if (header.types.length !== header.fields.length) header.types = header.fields.map((f, i) => header.types[i] ?? (f === 'ts' ? 'time' : 'string'));
      buildSchema();
    }
    const parts = line.split(header.separator);
    const fields = schema!.fields;
    if (parts.length !== fields.length) {
      bad(`${parts.length} fields where the header has ${fields.length}`);
      return undefined;
    }
    const unset = header.unsetField;
    const empty = header.emptyField;
    let i = 0;
    try {
      for (; i < parts.length; i++) {
        const s = parts[i]!;
        if (s === unset) {
          vals[i] = UNSET;
          continue;
        }
        const k = kinds[i]!;
        let v: ZeekValue;
        if (i === tsIdx && s.charCodeAt(0) === 88 /* X */ && MASKED.test(s)) {
          stats.masked++;
          if (!maskedZero) return undefined;
          v = 0;
        } else if (k === K_NUMBER) {
          v = s === empty ? '' : isDecimal(s) ? +s : parseScalar(fields[i]!.type, s);
        } else if (k === K_INTEGER) {
          v = s === empty ? '' : isInteger(s) ? +s : parseScalar(fields[i]!.type, s);
        } else if (k === K_STRING) {
          v = s === empty ? '' : s.indexOf('\\x') < 0 ? s : unescapeZeek(s);
        } else if (k === K_CONTAINER) {
          const et = elemTypes[i]!;
          if (s === empty) v = [];
          else v = s.split(header.setSeparator).map((e) => parseScalar(et, e) as string | number);
        } else {
          v = s === empty ? '' : parseScalar(fields[i]!.type, s);
        }
        vals[i] = v;
      }
    } catch (err) {
      if (!(err instanceof Malformed)) throw err;
      bad(`${fields[i]!.name}: ${err.message}`);
      return undefined;
    }
    return build(vals, UNSET);
  };

  const handleJson = (line: string): { schema: LogSchema; rec: ZeekRecord } | undefined => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch {
      bad('not a JSON object');
      return undefined;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      bad('not a JSON object');
      return undefined;
    }
    const src = obj as Record<string, unknown>;
    const rec: ZeekRecord = {};
    let path = stats.path;
    for (const k in src) {
      const v = src[k];
      if (k === '_path') {
        if (typeof v === 'string') path = v;
        continue;
      }
      if (k === '_write_ts') continue;
      if (k === 'ts') {
        if (typeof v === 'number') rec.ts = v;
        else if (typeof v === 'string') {
          if (MASKED.test(v)) {
            stats.masked++;
            if (!maskedZero) return undefined;
            rec.ts = 0;
          } else {
            const t = Date.parse(v);
            if (Number.isNaN(t)) { bad(`'ts' is not a time: ${v.slice(0, 40)}`); return undefined; }
            rec.ts = t / 1000;
          }
        } else { bad("'ts' is not a time"); return undefined; }
        continue;
      }
      if (v === null || v === undefined) continue;
      if (typeof v === 'string') rec[k] = toBytes(v);
      else if (typeof v === 'number' || typeof v === 'boolean') rec[k] = v;
      else if (Array.isArray(v)) rec[k] = v.map((e) => (typeof e === 'string' ? toBytes(e) : typeof e === 'number' ? e : String(e)));
      else if (typeof v === 'object') flattenInto(rec, k, v as Record<string, unknown>);
    }
    let schema = jsonSchemas.get(path);
    if (!schema) {
      schema = { path, fields: Object.keys(rec).map((name) => ({ name, type: inferType(rec[name]) })) };
      jsonSchemas.set(path, schema);
    }
    if (path !== stats.path && stats.records === 0) stats.path = path;
    return { schema, rec };
  };

  const emit = (line: string): void | Promise<void> => {
    if (line.length === 0) return;
    if (format === undefined) format = stats.format = line.charCodeAt(0) === 123 /* { */ ? 'json' : 'tsv';
    let rec: ZeekRecord | undefined;
    let sch: LogSchema;
    if (format === 'tsv') {
      rec = handleTsv(line);
      if (!rec) return;
      sch = schema!;
    } else {
      const x = handleJson(line);
      if (!x) return;
      rec = x.rec;
      sch = x.schema;
    }
    const ts = rec.ts;
    if (typeof ts === 'number' && !(ts <= stats.maxTs)) stats.maxTs = ts;
    stats.records++;
    return onRecord(sch, rec, lineNo);
  };

  if (opts.preamble) {
    for (const line of opts.preamble.split('\n')) {
      const r = emit(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (r) await r;
    }
  }

  // Split into lines on raw bytes; TSV lines are decoded as latin1 (byte strings), JSON as UTF-8.
  let carry: Buffer | undefined;
  let skipping = false; // inside an overlong line, dropping bytes up to its newline
  const MAX_LINE = 64 << 20;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      stats.bytes += chunk.length;
      let buf = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = undefined;
      let start = 0;
      if (skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0) continue;
        skipping = false;
        start = nl + 1;
      }
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0) break;
        lineNo++;
        let end = nl;
        if (end > start && buf[end - 1] === 13) end--;
        const isJson = format === 'json' || (format === undefined && buf[start] === 123);
        const r = emit(buf.toString(isJson ? 'utf8' : 'latin1', start, end));
        if (r) await r;
        start = nl + 1;
      }
      if (start < buf.length) {
        if (buf.length - start > MAX_LINE) {
          lineNo++;
          bad(`line longer than ${MAX_LINE} bytes`);
          skipping = true;
        } else carry = buf === chunk ? Buffer.from(buf.subarray(start)) : buf.subarray(start);
      }
    }
    if (carry && carry.length) {
      lineNo++;
      const isJson = format === 'json' || (format === undefined && carry[0] === 123);
      const r = emit(carry.toString(isJson ? 'utf8' : 'latin1'));
      if (r) await r;
    }
  } catch (err) {
    if (err instanceof ReaderError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'Z_DATA_ERROR' || e.code === 'Z_BUF_ERROR' || /unexpected end of file|incorrect header/i.test(e.message)) {
      bad(`gzip data is corrupt or truncated (${e.message})`);
    } else if (e.code && e.code.startsWith('E')) {
      throw new ReaderError(`cannot read ${file}: ${e.message}`);
    } else throw err;
  } finally {
    stream.destroy();
  }
  stats.lines = lineNo;
  return stats;
}

/** Reading failed as a whole (missing file, I/O error): one line for the user. */
export class ReaderError extends Error {
  override name = 'ReaderError';
}

/** Unicode text (JSON strings, lines DuckDB read) as the byte strings records hold (UTF-8 bytes as latin1 chars). */
export function toBytes(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 127) return Buffer.from(s, 'utf8').toString('latin1');
  }
  return s;
}

function flattenInto(rec: ZeekRecord, prefix: string, o: Record<string, unknown>): void {
  for (const k in o) {
    const v = o[k];
    const key = `${prefix}.${k}`;
    if (v === null || v === undefined) continue;
    if (typeof v === 'string') rec[key] = toBytes(v);
    else if (typeof v === 'number' || typeof v === 'boolean') rec[key] = v;
    else if (Array.isArray(v)) rec[key] = v.map((e) => (typeof e === 'string' ? toBytes(e) : typeof e === 'number' ? e : String(e)));
    else if (typeof v === 'object') flattenInto(rec, key, v as Record<string, unknown>);
  }
}

function inferType(v: ZeekValue): ZeekType {
  if (typeof v === 'number') return Number.isInteger(v) ? 'count' : 'double';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return typeof v[0] === 'number' ? 'vector[count]' : 'vector[string]';
  return 'string';
}

/** Reads every log under `paths` (files or folders) in listZeekLogFiles order. */
export async function readZeekLogs(paths: readonly string[], onRecord: RecordCallback, opts: ReadOptions = {}): Promise<ReadStats[]> {
  const out: ReadStats[] = [];
  for (const f of listZeekLogFiles(paths)) out.push(await readZeekLog(f, onRecord, opts));
  return out;
}
