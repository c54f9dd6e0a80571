// http.log rows for every HTTP case of the Zeek corpus, produced by the HTTP analyzer alone (test
// harness standing in for the sensor), compared with Zeek's baselines (ts masked, fuids not compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { specs } from '../../../src/analyzers/http/index.js';
import { optionsFromZeekScript } from '../../../src/analyzers/ftp/index.js';
import { httpSchema } from '../../../src/zeek/schemas/http.js';
import { baselineRows, caseIgnoresChecksums, corpusDir, renderRow, runPcap } from '../dns/harness.js';

const FUID_COLS = httpSchema.fields.map((f, i) => (/fuids$/.test(f.name) ? i : -1)).filter((i) => i >= 0);
const maskFuids = (row: string): string => row.split('\t').map((v, i) => (FUID_COLS.includes(i) && v !== '-' ? 'F' : v)).join('\t');

export function httpCaseRows(name: string): { ours: string[]; base: string[]; fields: string[] } {
  const caseDir = new URL(`${name}/`, corpusDir('http'));
  const pcap = readdirSync(caseDir).find((f) => /\.pcap(ng)?$/.test(f))!;
  const script = (JSON.parse(readFileSync(new URL('case.json', caseDir), 'utf8')) as { test_script: string }).test_script;
  const base = baselineRows(new URL('http.log', caseDir));
  const { records } = runPcap(new URL(pcap, caseDir), specs, {
    ignoreChecksums: caseIgnoresChecksums(caseDir), services: { ...optionsFromZeekScript(script) },
  });
  const ours = records.filter((r) => r.schema.path === 'http').map((r) => maskFuids(renderRow(r.schema, r.rec)));
  return { ours, base: base.rows.map(maskFuids), fields: base.fields };
}

const dir = corpusDir('http');
for (const name of readdirSync(dir)) {
  if (!existsSync(new URL(`${name}/http.log`, dir))) continue;
  test(`http corpus ${name}`, () => {
    const { ours, base, fields } = httpCaseRows(name);
    assert.deepEqual(fields, httpSchema.fields.map((f) => f.name));
    assert.deepEqual(ours, base);
  });
}
