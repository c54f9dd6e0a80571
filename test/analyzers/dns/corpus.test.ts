// dns.log rows for every DNS case of the Zeek corpus, produced by the DNS analyzer alone (test harness
// standing in for the sensor), compared row for row with Zeek's baselines (ts masked as btest does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync } from 'node:fs';
import { specs } from '../../../src/analyzers/dns/index.js';
import { dnsSchema } from '../../../src/zeek/schemas/dns.js';
import { baselineRows, caseIgnoresChecksums, corpusDir, renderRow, runPcap } from './harness.js';

const dir = corpusDir('dns');
for (const name of readdirSync(dir)) {
  const caseDir = new URL(`${name}/`, dir);
  const files = readdirSync(caseDir);
  const pcap = files.find((f) => /\.pcap(ng)?$/.test(f));
  if (!pcap || !existsSync(new URL('dns.log', caseDir))) continue;
  test(`dns corpus ${name}`, () => {
    const base = baselineRows(new URL('dns.log', caseDir));
    assert.deepEqual(base.fields, dnsSchema.fields.map((f) => f.name));
    const { records } = runPcap(new URL(pcap, caseDir), specs, { ignoreChecksums: caseIgnoresChecksums(caseDir) });
    const ours = records.filter((r) => r.schema.path === 'dns').map((r) => renderRow(r.schema, r.rec));
    assert.deepEqual(ours, base.rows);
  });
}
