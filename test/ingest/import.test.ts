import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, query, tableDigest, withTempDir } from './helpers.js';
import { parseDateTimeMicros, inferTable, sniffDefenderFormat } from '../../src/events/import.js';

const withDir = withTempDir('wh-import-');

const ROWS = [
  { Timestamp: '2024-03-01T10:00:00.1234567Z', DeviceId: 'd1', DeviceName: 'ws1.contoso.local', ActionType: 'ConnectionSuccess', RemoteIP: '1.2.3.4', RemotePort: 443, LocalIP: '10.0.0.5', LocalPort: 50000, Protocol: 'Tcp', ReportId: 11, InitiatingProcessFileName: 'chrome.exe', InitiatingProcessId: 4242, AdditionalFields: null },
  { Timestamp: '2024-03-01T10:00:01Z', DeviceId: 'd1', DeviceName: 'ws1.contoso.local', ActionType: 'HttpConnectionInspected', RemoteIP: '1.2.3.4', RemotePort: 80, LocalIP: '10.0.0.5', LocalPort: 50001, Protocol: 'Tcp', ReportId: 12, InitiatingProcessFileName: '', InitiatingProcessId: null, AdditionalFields: '{"direction":"Out","user_agent":"TrickXYZ"}' },
];

const SELECT = `SELECT strftime(Timestamp, '%Y-%m-%dT%H:%M:%S.%f') t, DeviceId, ActionType, RemotePort, ReportId, InitiatingProcessFileName, InitiatingProcessId, AdditionalFields, InitiatingProcessAccountName FROM DeviceNetworkEvents ORDER BY ReportId`;
const EXPECT = [
  { t: '2024-03-01T10:00:00.123457', DeviceId: 'd1', ActionType: 'ConnectionSuccess', RemotePort: 443, ReportId: 11n, InitiatingProcessFileName: 'chrome.exe', InitiatingProcessId: 4242n, AdditionalFields: '', InitiatingProcessAccountName: '' },
  { t: '2024-03-01T10:00:01.000000', DeviceId: 'd1', ActionType: 'HttpConnectionInspected', RemotePort: 80, ReportId: 12n, InitiatingProcessFileName: '', InitiatingProcessId: null, AdditionalFields: '{"direction":"Out","user_agent":"TrickXYZ"}', InitiatingProcessAccountName: '' },
];

test('JSON Lines, the API {Schema, Results} and portal CSV give the same DeviceNetworkEvents rows; re-import changes nothing', withDir(async (dir) => {
  const jsonl = join(dir, 'rows.jsonl');
  writeFileSync(jsonl, ROWS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const api = join(dir, 'api.json');
  const names = Object.keys(ROWS[0]!);
  writeFileSync(api, JSON.stringify({ Schema: names.map((n) => ({ Name: n, Type: 'String' })), Results: ROWS }, null, 2));
  const csv = join(dir, 'export.csv');
  const q = (v: unknown) => (v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
  writeFileSync(csv, '\uFEFF' + [names.join(','), ...ROWS.map((r) => names.map((n) => q((r as Record<string, unknown>)[n])).join(','))].join('\r\n') + '\r\n');

  const digests = [];
  for (const [f, table] of [[jsonl, undefined], [api, undefined], [csv, 'DeviceNetworkEvents']] as const) {
    const db = join(dir, `${f.split('/').pop()}.duckdb`);
    const r = cli(['ingest', f, '--db', db, ...(table ? ['--table', table] : [])]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /DeviceNetworkEvents: 2 rows \(2 new\)/);
    assert.deepEqual(await query(db, SELECT), EXPECT, f);
    digests.push(await tableDigest(db, 'DeviceNetworkEvents'));
    const again = cli(['ingest', f, '--db', db, ...(table ? ['--table', table] : [])]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /DeviceNetworkEvents: 2 rows \(0 new\)/);
    assert.deepEqual(await tableDigest(db, 'DeviceNetworkEvents'), digests.at(-1));
  }
  assert.deepEqual(digests[1], digests[0]);
  assert.deepEqual(digests[2], digests[0]);
}));

test('a bad row is reported with file:line and skipped; unknown columns are reported once; other tables by --table', withDir(async (dir) => {
  const f = join(dir, 'rows.jsonl');
  writeFileSync(f, [
    JSON.stringify(ROWS[0]),
    JSON.stringify({ ...ROWS[1], RemotePort: 'eighty' }),
    '{"broken',
    JSON.stringify({ ...ROWS[1], ReportId: 13, Bogus: 1 }),
  ].join('\n') + '\n');
  const db = join(dir, 'a.duckdb');
  const r = cli(['ingest', f, '--db', db, '--table', 'DeviceNetworkEvents']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /rows\.jsonl:2: RemotePort: 'eighty' is not a int; row skipped/);
  assert.match(r.stderr, /rows\.jsonl:3: not a JSON object; row skipped/);
  assert.deepEqual((await query(db, 'SELECT ReportId FROM DeviceNetworkEvents ORDER BY 1')).map((x) => x.ReportId), [11n, 13n]);

  // a table without ReportId (dedupe on the whole row), chosen by --table, from CSV
  const tvm = join(dir, 'tvm.csv');
  writeFileSync(tvm, 'DeviceId,DeviceName,OSPlatform,SoftwareVendor,SoftwareName,SoftwareVersion\nd1,ws1,Windows11,google,chrome,"120.0"\nd1,ws1,Windows11,google,chrome,"120.0"\n');
  const t1 = cli(['ingest', tvm, '--db', db, '--table', 'DeviceTvmSoftwareInventory']);
  assert.equal(t1.status, 0, t1.stderr);
  const t2 = cli(['ingest', tvm, '--db', db, '--table', 'DeviceTvmSoftwareInventory']);
  assert.equal(t2.status, 0, t2.stderr);
  assert.deepEqual(await query(db, 'SELECT DeviceId, SoftwareName, SoftwareVersion, EndOfSupportStatus FROM DeviceTvmSoftwareInventory'), [
    { DeviceId: 'd1', SoftwareName: 'chrome', SoftwareVersion: '120.0', EndOfSupportStatus: '' },
  ]);
  const unknown = cli(['ingest', tvm, '--db', db, '--table', 'NoSuchTable']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /^wirehunt: unknown table 'NoSuchTable'/);
}));

test('datetime parsing, table inference and format sniffing', () => {
  assert.equal(parseDateTimeMicros('2024-03-01T10:00:00.1234567Z'), Date.UTC(2024, 2, 1, 10) * 1000 + 123457);
  assert.equal(parseDateTimeMicros('2024-03-01 10:00:00'), Date.UTC(2024, 2, 1, 10) * 1000);
  assert.equal(parseDateTimeMicros('2024-03-01T12:00:00+02:00'), Date.UTC(2024, 2, 1, 10) * 1000);
  assert.ok(Number.isNaN(parseDateTimeMicros('yesterday-ish')));
  assert.equal(inferTable(['Timestamp', 'DeviceId', 'ActionType', 'RemoteIP', 'RemotePort', 'LocalIP'])?.name, 'DeviceNetworkEvents');
  assert.equal(inferTable(['Timestamp', 'DeviceId', 'NetworkAdapterName', 'MacAddress'])?.name, 'DeviceNetworkInfo');
  assert.equal(inferTable(['NoSuchColumn']), undefined);
  assert.equal(sniffDefenderFormat('x.json', '{"Schema":[{"Name":"a"}],"Results":[]}'), 'json');
  assert.equal(sniffDefenderFormat('x.json', '{"a":1}\n{"a":2}\n'), 'jsonl');
  assert.equal(sniffDefenderFormat('x.json', '[{"a":1}]'), 'json');
  assert.equal(sniffDefenderFormat('x.txt', 'a,b\n1,2\n'), 'csv');
});
