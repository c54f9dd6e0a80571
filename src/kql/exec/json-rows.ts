// Reads the rows DuckDB encoded as JSON text (the renderer's rowsSql: "row" = one row's JSON object and a
// comma, "recode" = true where JavaScript would encode the row differently) into the bytes of the API's
// Results array, without making a JS string per row.
//
// DuckDB keeps the strings of a result chunk one after the other in memory: a run of adjacent rows becomes
// one Buffer (the adjacency is checked, never assumed), copied out of DuckDB's memory in one native call.
import duckdb from '@duckdb/node-bindings';
import type { DuckDBMaterializedResult } from '@duckdb/node-api';

export interface JsonRows {
  /** The Results array text, `[{…},{…}]`, in pieces to write or concatenate in order. */
  parts: Buffer[];
  byteLength: number;
  count: number;
}

/** The rows of a Results array text as objects. Parsed piece by piece: the whole text may exceed V8's longest string. */
export function parseJsonRows(text: JsonRows): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  const { parts } = text;
  for (let i = 0; i < parts.length; i++) {
    let p = parts[i]!;
    // pieces hold whole rows, each followed by a comma (but the last); the first and last pieces hold the brackets
    if (i === 0) p = p.subarray(1);
    if (i === parts.length - 1) p = p.subarray(0, p.length - 1);
    if (p.length && p[p.length - 1] === 0x2c) p = p.subarray(0, p.length - 1);
    if (!p.length) continue;
    for (const r of JSON.parse(`[${p.toString('utf8')}]`) as Record<string, unknown>[]) rows.push(r);
  }
  return rows;
}

const BACKSLASH_U = Buffer.from('\\u');
const OPEN = Buffer.from('[');
const CLOSE = Buffer.from(']');

/** The row re-encoded as the API writes it (JSON.stringify of the parsed row), followed by a comma. */
function recode(row: Uint8Array): Buffer {
  const text = Buffer.from(row.buffer, row.byteOffset, row.byteLength - 1).toString('utf8');
  return Buffer.from(JSON.stringify(JSON.parse(text)) + ',');
}

/** Reads at most `maxRows` rows of a (row VARCHAR, recode BOOLEAN) result. */
export function readJsonRows(result: DuckDBMaterializedResult, maxRows: number): JsonRows {
  const parts: Buffer[] = [OPEN];
  let count = 0;
  const chunkCount = result.chunkCount;
  for (let ci = 0; ci < chunkCount && count < maxRows; ci++) {
    const chunk = result.getChunk(ci).chunk;
    const n = Math.min(duckdb.data_chunk_get_size(chunk), maxRows - count);
    if (n <= 0) continue;
    const strings = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 0), n * 16);
    const view = new DataView(strings.buffer, strings.byteOffset, strings.byteLength);
    const flags = duckdb.vector_get_data(duckdb.data_chunk_get_vector(chunk, 1), n);
    // a run: rows start..i-1 whose texts are adjacent in DuckDB's memory
    let start = 0;
    let runBytes = 0;
    let next = -1;
    const flush = (end: number): void => {
      if (end > start) for (const p of runParts(strings, view, start, end, runBytes)) parts.push(p);
      start = end;
      runBytes = 0;
    };
    for (let i = 0; i < n; i++) {
      const len = view.getUint32(i * 16, true);
      if (len <= 12 || flags[i]) {
        // inlined in the vector (short) or to re-encode: on its own, copied
        flush(i);
        const bytes = len <= 12 ? Buffer.from(strings.buffer, strings.byteOffset + i * 16 + 4, len) : rowBytes(strings, i, len);
        parts.push(flags[i] ? recode(bytes) : Buffer.from(bytes));
        start = i + 1;
        next = -1;
        continue;
      }
      const addr = view.getUint32(i * 16 + 8, true) + view.getUint32(i * 16 + 12, true) * 4294967296;
      if (addr !== next) flush(i);
      runBytes += len;
      next = addr + len;
    }
    flush(n);
    count += n;
  }
  if (count > 0) {
    const last = parts[parts.length - 1]!;
    parts[parts.length - 1] = last.subarray(0, last.length - 1); // the last row's comma
  }
  parts.push(CLOSE);
  let byteLength = 0;
  for (const p of parts) byteLength += p.length;
  return { parts, byteLength, count };
}

/** The text of row i (`len` bytes, or the run of adjacent rows starting there), copied out of DuckDB's memory. */
function rowBytes(strings: Uint8Array, i: number, len: number): Buffer {
  return duckdb.get_data_from_pointer(strings.buffer as ArrayBuffer, strings.byteOffset + i * 16 + 8, len) as Buffer;
}

/**
 * Rows start..end-1 (adjacent in memory, `bytes` long in all) as pieces. Rows holding a \u escape are
 * re-encoded: DuckDB writes some control characters as \u001F where JavaScript writes \u001f.
 */
function runParts(strings: Uint8Array, view: DataView, start: number, end: number, bytes: number): Buffer[] {
  const run = rowBytes(strings, start, bytes);
  if (run.indexOf(BACKSLASH_U) < 0) return [run];
  const out: Buffer[] = [];
  let from = 0;
  let pos = 0;
  for (let i = start; i < end; i++) {
    const len = view.getUint32(i * 16, true);
    const row = run.subarray(pos, pos + len);
    if (row.indexOf(BACKSLASH_U) >= 0) {
      if (pos > from) out.push(run.subarray(from, pos));
      out.push(recode(row));
      from = pos + len;
    }
    pos += len;
  }
  if (pos > from) out.push(run.subarray(from, pos));
  return out;
}
