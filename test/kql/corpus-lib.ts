// Shared by the corpus test and bench: runs the real-world queries of shared/corpus/kql against a
// store and classifies each one.
import { readFileSync } from 'node:fs';
import { compileQuery, runCompiled } from '../../src/kql/index.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sampleDocument, type ExternalServer } from './external-server.js';

export interface CorpusRecord { id: string; query: string }
export interface CorpusOutcome {
  total: number;
  /** the official binder reports no error */
  bound: number;
  /** bound, but reads data from outside (externaldata) and no local server stands in for it */
  outside: number;
  /** bound externaldata queries served by the local server (counted inside) */
  external: number;
  /** of those, ran without error */
  externalRan: number;
  /** bound, needs nothing from outside, ran without error */
  ran: number;
  /** of those that ran, result columns equal the binder's result type and the SQL types carry it */
  typesOk: number;
  failures: { id: string; reason: string }[];
}

export function loadCorpus(shared: URL, name: 'network' | 'defender'): CorpusRecord[] {
  return readFileSync(new URL(`corpus/kql/${name}.jsonl`, shared), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CorpusRecord);
}

/** `server`: externaldata URLs are served by it, with documents generated from each source's declared schema. */
export async function runCorpus(conn: DuckDBConnection, recs: CorpusRecord[], now: Date, server?: ExternalServer): Promise<CorpusOutcome> {
  const out: CorpusOutcome = { total: recs.length, bound: 0, outside: 0, external: 0, externalRan: 0, ran: 0, typesOk: 0, failures: [] };
  for (const r of recs) {
    const c = compileQuery(r.query);
    if (c.diagnostics.some((d) => d.severity === 'error' && !d.code.startsWith('WH'))) continue;
    out.bound++;
    const external = /\bexternaldata\b/i.test(r.query.replace(/\/\/.*$/gm, ''));
    if (external && !server) { out.outside++; continue; }
    if (external) out.external++;
    if (!c.sql) { out.failures.push({ id: r.id, reason: c.diagnostics.find((d) => d.code.startsWith('WH'))!.message }); continue; }
    try {
      if (server) for (const src of c.externals) for (const u of src.urls) server.docs.set(u, sampleDocument(src));
      const externalData = server ? { allow: [server.base], rewrite: server.rewrite, cacheDir: null } : undefined;
      const res = await runCompiled(conn, c, { now, timeoutMs: 30_000, typeCheck: true, externalData });
      out.ran++;
      if (external) out.externalRan++;
      const names = res.schema.map((s) => s.Name).join(',');
      const expected = c.columns.map((x) => x.name).join(',');
      // data-dependent columns (bag_unpack, pivot): the binder states only some columns; those must be there
      const columnsOk = c.probe ? statedColumnsIn(c.columns, res.columns) : names === expected;
      if (!res.stats.typeMismatches.length && columnsOk) out.typesOk++;
      else out.failures.push({ id: r.id, reason: `types: ${res.stats.typeMismatches.join('; ')}` });
    } catch (err) {
      out.failures.push({ id: r.id, reason: `run: ${(err as Error).message.slice(0, 160)}` });
    }
  }
  return out;
}

/**
 * For a query whose columns depend on the data: the binder's columns appear in the result in the same
 * order (others may sit between them), with the binder's type wherever it states one.
 */
export function statedColumnsIn(stated: { name: string; type: string }[], got: { name: string; type: string }[]): boolean {
  let j = 0;
  for (const s of stated) {
    while (j < got.length && got[j]!.name !== s.name) j++;
    if (j === got.length) return false;
    if (s.type !== 'unknown' && s.type !== got[j]!.type) return false;
    j++;
  }
  return true;
}

export function topReasons(o: CorpusOutcome, n = 10): string[] {
  const m = new Map<string, number>();
  for (const f of o.failures) {
    const k = f.reason.replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"').slice(0, 100);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${v} × ${k}`);
}
