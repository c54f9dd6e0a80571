// ftp.log rows for every FTP case of the Zeek corpus, produced by the FTP and FTP_DATA analyzers
// alone (test harness standing in for the sensor; expected data connections attach FTP_DATA),
// compared with Zeek's baselines (ts masked, fuid not compared). Script redefs of the case
// (FTP::logged_commands, FTP::default_capture_password) are passed as analyzer options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, readFileSync } from 'node:fs';
import { specs, optionsFromZeekScript } from '../../../src/analyzers/ftp/index.js';
import { ftpSchema } from '../../../src/zeek/schemas/ftp.js';
import { baselineRows, caseIgnoresChecksums, corpusDir, renderRow, runPcap } from '../dns/harness.js';

const FUID = ftpSchema.fields.findIndex((f) => f.name === 'fuid');
const mask = (row: string): string => row.split('\t').map((v, i) => (i === FUID && v !== '-' ? 'F' : v)).join('\t');

export function ftpCaseRows(name: string): { ours: string[]; base: string[]; fields: string[]; services: string[][] } {
  const caseDir = new URL(`${name}/`, corpusDir('ftp'));
  const pcap = readdirSync(caseDir).find((f) => /\.pcap(ng)?$/.test(f))!;
  const script = (JSON.parse(readFileSync(new URL('case.json', caseDir), 'utf8')) as { test_script: string }).test_script;
  const base = baselineRows(new URL('ftp.log', caseDir));
  const { records, flows } = runPcap(new URL(pcap, caseDir), specs, {
    ignoreChecksums: caseIgnoresChecksums(caseDir), services: { ...optionsFromZeekScript(script) },
  });
  const ours = records.filter((r) => r.schema.path === 'ftp').map((r) => mask(renderRow(r.schema, r.rec)));
  return { ours, base: base.rows.map(mask), fields: base.fields, services: flows.map((f) => f.ctx.confirmed) };
}

const dir = corpusDir('ftp');
for (const name of readdirSync(dir)) {
  if (!existsSync(new URL(`${name}/ftp.log`, dir))) continue;
  test(`ftp corpus ${name}`, () => {
    const { ours, base, fields } = ftpCaseRows(name);
    assert.deepEqual(fields, ftpSchema.fields.map((f) => f.name));
    assert.deepEqual(ours, base);
  });
}

test('ftp-data connections are confirmed as ftp-data (ipv4 active and passive)', () => {
  const { services } = ftpCaseRows('ipv4-active-passive');
  assert.equal(services.filter((s) => s.includes('ftp-data')).length, 4);
  assert.ok(services[0]!.includes('ftp'));
});
