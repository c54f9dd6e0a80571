// A local HTTP server standing in for externaldata's URLs in tests: each URL of a query is rewritten
// to this server, which answers with a document generated from the source's declared schema.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Column, KType } from '../../src/kql/frontend/ast.js';
import type { ExternalSource } from '../../src/kql/external/resolve.js';
import { parseJsonPath } from '../../src/kql/external/formats.js';

export interface ExternalServer {
  base: string;
  /** Documents served, by the query's URL. */
  docs: Map<string, string>;
  /** Requests received, by the query's URL. */
  hits: Map<string, number>;
  rewrite(url: string): string;
  close(): Promise<void>;
}

export async function startExternalServer(): Promise<ExternalServer> {
  const docs = new Map<string, string>();
  const hits = new Map<string, number>();
  const srv = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '').replace(/^\/doc\//, ''));
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const body = docs.get(url);
    if (body === undefined) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
  return {
    base, docs, hits,
    rewrite: (url) => `${base}doc/${encodeURIComponent(url)}`,
    close: () => new Promise((r) => srv.close(() => r())),
  };
}

/** Row k's value of a column type, as a JSON value. */
export function sampleValue(t: KType, k: number): unknown {
  switch (t) {
    case 'long': case 'int': return k;
    case 'real': case 'decimal': return k + 0.5;
    case 'bool': return k % 2 === 0;
    case 'datetime': return `2024-04-30T0${k}:00:00Z`;
    case 'timespan': return `0${k}:00:00`;
    case 'guid': return `0000000${k}-0000-0000-0000-000000000000`;
    case 'dynamic': return [`item${k}`, k];
    default: return `value${k}.example.com`;
  }
}

function csvField(v: unknown, sep: string): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.includes(sep) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function setPath(obj: Record<string, unknown>, path: (string | number)[], v: unknown): Record<string, unknown> {
  if (!path.length) return v && typeof v === 'object' && !Array.isArray(v) ? { ...obj, ...(v as object) } : obj;
  let cur: Record<string | number, unknown> = obj;
  path.forEach((seg, i) => {
    if (i === path.length - 1) cur[seg] = v;
    else cur = (cur[seg] ??= typeof path[i + 1] === 'number' ? [] : {}) as Record<string | number, unknown>;
  });
  return obj;
}

const SEP: Record<string, string> = { csv: ',', tsv: '\t', tsve: '\t', psv: '|', scsv: ';', sohsv: '\x01' };

/** A document of `rows` rows of the source's columns, in its format (header first when ignoreFirstRecord). */
export function sampleDocument(src: Pick<ExternalSource, 'format' | 'ignoreFirstRecord' | 'mapping'> & { columns: Column[] }, rows = 3): string {
  const ks = Array.from({ length: rows }, (_, i) => i + 1);
  const f = src.format;
  if (f === 'txt' || f === 'raw') {
    const t = src.columns[0]?.type ?? 'string';
    const lines = ks.map((k) => { const v = sampleValue(t, k); return typeof v === 'string' ? v : JSON.stringify(v); });
    return (src.ignoreFirstRecord ? '# header\n' : '') + lines.join('\n') + '\n';
  }
  if (SEP[f] !== undefined) {
    const sep = SEP[f]!;
    const lines = ks.map((k) => src.columns.map((c) => csvField(sampleValue(c.type, k), sep)).join(sep));
    if (src.ignoreFirstRecord) lines.unshift(src.columns.map((c) => c.name).join(sep));
    return lines.join('\n') + '\n';
  }
  const mapping = src.mapping ? (JSON.parse(src.mapping) as Record<string, unknown>[]).map((m) => {
    const props = (m.Properties ?? m.properties ?? {}) as Record<string, unknown>;
    const column = String(m.Column ?? m.column);
    return { column, path: parseJsonPath(String(props.Path ?? props.path ?? m.Path ?? m.path ?? '$.' + column)) ?? [] };
  }) : null;
  const recs = ks.map((k) => {
    let o: Record<string, unknown> = {};
    for (const c of src.columns) {
      const path = mapping ? mapping.find((m) => m.column === c.name)?.path : [c.name];
      if (path) o = setPath(o, path, sampleValue(c.type, k));
    }
    return o;
  });
  return f === 'multijson' ? recs.map((r) => JSON.stringify(r, null, 2)).join('\n') : recs.map((r) => JSON.stringify(r)).join('\n');
}
