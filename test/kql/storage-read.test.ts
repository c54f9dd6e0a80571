// KQL reads the storage tables with the views' column expressions (cold columns unpacked after the filters),
// and adds a text prefilter to tostring(json.path) == "literal". Both must give what the view and the plain
// JSON comparison give, whatever the values.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, getTable, type Store } from '../../src/store/index.js';
import { compileQuery, runQuery } from '../../src/kql/index.js';

let store: Store;
const now = new Date('2024-05-01T12:00:00Z');
const us = (iso: string) => Date.parse(iso) * 1000;

before(async () => {
  store = await openStore(':memory:');
  const def = getTable('DeviceNetworkEvents')!;
  const cols = def.columns.map((c) => c.name);
  // row 1: every column set (the cold ones too); row 2: only the key and a few hot columns; row 3: odd values
  const full: Record<string, unknown> = {};
  def.columns.forEach((c, i) => {
    switch (c.kustoType) {
      case 'string': case 'guid': full[c.name] = `${c.name}-v "q" \\ é`; break;
      case 'long': case 'int': full[c.name] = 1000 + i; break;
      case 'datetime': full[c.name] = us('2024-05-01T10:00:00.123456Z') + i; break;
      case 'bool': full[c.name] = true; break;
      case 'real': full[c.name] = i + 0.5; break;
      case 'dynamic': full[c.name] = '{"a":[1,2.5]}'; break;
    }
  });
  full['AdditionalFields'] = '{"q":"TXT","n":1.50,"o":{"x":1}}';
  full['ReportId'] = 1;
  const rows = [
    full,
    { Timestamp: us('2024-05-01T11:00:00Z'), DeviceId: 'D2', ActionType: 'DnsConnectionInspected', AdditionalFields: '{"q":"T\\u0058T","n":2}', ReportId: 2 },
    { Timestamp: us('2024-05-01T11:00:01Z'), DeviceId: 'D3', ActionType: 'DnsConnectionInspected', AdditionalFields: '{"q":"AAAA","w":"TXT"}', ReportId: 3, InitiatingProcessId: 9007199254740993n, InitiatingProcessFileName: 'tab\there' },
    { Timestamp: us('2024-05-01T11:00:02Z'), DeviceId: 'D4', ActionType: 'DnsConnectionInspected', AdditionalFields: '', ReportId: 4 },
  ];
  const w = await store.writer('DeviceNetworkEvents', cols);
  for (const r of rows) w.appendRow(cols.map((c) => r[c] as never));
  await w.close();
});
after(() => store.close());

test('every column reads as the view shows it, cold columns included', async () => {
  const r = await runQuery(store, 'DeviceNetworkEvents | sort by ReportId asc', { now });
  const sql = compileQuery('DeviceNetworkEvents | sort by ReportId asc').sql!;
  assert.match(sql, /FROM store\."DeviceNetworkEvents"/, 'reads the storage table');
  assert.match(sql, /json_transform\(/, 'cold columns from one struct');
  // the view's rows through the typed path (values encoded one by one in JS) are the reference
  const names = getTable('DeviceNetworkEvents')!.columns.map((c) => c.name);
  const view = (await store.connection.runAndReadAll(`SELECT * FROM main."DeviceNetworkEvents" ORDER BY ReportId`)).getRowObjectsJson();
  assert.equal(r.rows.length, 4);
  for (let i = 0; i < view.length; i++) {
    for (const n of names) {
      const got = r.rows[i]![n];
      const want = view[i]![n];
      if (n === 'Timestamp' || /CreationTime$/.test(n)) assert.equal(got === null ? null : Date.parse(String(got).replace(/0Z$/, 'Z')), want === null ? null : Date.parse(String(want).replace(' ', 'T') + 'Z'), `${n} row ${i}`);
      else if (typeof got === 'number') assert.equal(got, Number(want), `${n} row ${i}`);
      else if (typeof got === 'object' && got !== null) assert.deepEqual(got, JSON.parse(String(want)), `${n} row ${i}`);
      else assert.equal(got, want ?? (typeof got === 'string' ? '' : null), `${n} row ${i}`);
    }
  }
  assert.equal(r.rows[0]!['InitiatingProcessFileName'], 'InitiatingProcessFileName-v "q" \\ é');
  assert.equal(r.rows[0]!['IsInitiatingProcessRemoteSession'], true);
  assert.equal(r.rows[2]!['InitiatingProcessFileName'], 'tab\there');
  assert.equal(r.rows[1]!['InitiatingProcessFileName'], '');
  assert.equal(r.rows[1]!['InitiatingProcessId'], null);
});

test('a filter on a cold column and on a JSON path finds the same rows as through the view', async () => {
  const q = `DeviceNetworkEvents | where InitiatingProcessId > 100 or isempty(InitiatingProcessFileName) | project ReportId | sort by ReportId asc`;
  const r = await runQuery(store, q, { now });
  assert.deepEqual(r.rows.map((x) => x['ReportId']), [1, 2, 3, 4]);
  const r2 = await runQuery(store, `DeviceNetworkEvents | where InitiatingProcessFileName startswith "InitiatingProcess" | project ReportId`, { now });
  assert.deepEqual(r2.rows.map((x) => x['ReportId']), [1]);
});

test('tostring(json.path) == "literal" gets a text prefilter that keeps escaped and re-written values', async () => {
  const q = `DeviceNetworkEvents | extend j = todynamic(AdditionalFields) | where tostring(j.q) == "TXT" | project ReportId | sort by ReportId asc`;
  assert.match(compileQuery(q).sql!, /contains\(.*'TXT'\) OR contains\(/, 'the prefilter is there');
  // row 1 holds TXT as is, row 2 as T\u0058T (no "TXT" in its text), row 3 holds TXT in another key only
  assert.deepEqual((await runQuery(store, q, { now })).rows.map((x) => x['ReportId']), [1, 2]);
  // literals a number or an object could be re-written as get no prefilter (1.50 comes back as 1.5)
  const num = `DeviceNetworkEvents | where tostring(todynamic(AdditionalFields).n) == "1.5" | project ReportId`;
  assert.doesNotMatch(compileQuery(num).sql!, /contains\(/);
  assert.deepEqual((await runQuery(store, num, { now })).rows.map((x) => x['ReportId']), [1]);
  const obj = `DeviceNetworkEvents | where tostring(todynamic(AdditionalFields).o) == '{"x":1}' | project ReportId`;
  assert.doesNotMatch(compileQuery(obj).sql!, /contains\(/);
  assert.deepEqual((await runQuery(store, obj, { now })).rows.map((x) => x['ReportId']), [1]);
  // dynamic == string compares the same way (Q1's form)
  const dyn = `DeviceNetworkEvents | extend AdditionalFields = todynamic(AdditionalFields) | where AdditionalFields.q == "TXT" | project ReportId | sort by ReportId asc`;
  assert.match(compileQuery(dyn).sql!, /contains\(/);
  assert.deepEqual((await runQuery(store, dyn, { now })).rows.map((x) => x['ReportId']), [1, 2]);
});

test('keys the store keeps as columns are read from them, with the answers of parsing the JSON text', async () => {
  const s = await openStore(':memory:');
  try {
    const afs = [
      '{"direction":"Out","uri":200,"qtype_name":"TXT"}',
      '{"direction":"In","uri":"404","qtype_name":"A"}',
      '{"direction":"O\\u0075t","uri":2.5e2,"qtype_name":null}',
      '{"direction":["Out"],"uri":true}',
      '{"uri":{"a":1}}',
      'not json',
      '',
    ];
    const w = await s.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ReportId', 'AdditionalFields']);
    afs.forEach((af, i) => w.appendRow([us('2024-05-01T11:00:00Z') + i, 'D1', i, af]));
    await w.close();
    const body = (af: string) => `| extend j = todynamic(${af}) | extend d = tostring(j.direction), n = toint(j.uri), q = tostring(j['qtype_name'])
      | where d == "Out" or n > 100 or isempty(q) | project ReportId, d, n, q, t = gettype(j.direction) | sort by ReportId asc`;
    const shredded = `DeviceNetworkEvents ${body('AdditionalFields')}`;
    // the same text, but not the stored column: its JSON is parsed
    const parsed = `DeviceNetworkEvents ${body('strcat(AdditionalFields, "")')}`;
    assert.match(compileQuery(shredded).sql!, /"__AdditionalFields\.direction"/);
    assert.doesNotMatch(compileQuery(shredded).sql!, /json_extract_string\([^)]*'\$\."(?:direction|uri|qtype_name)"'/);
    assert.doesNotMatch(compileQuery(parsed).sql!, /__AdditionalFields/);
    const a = await runQuery(s, shredded, { now });
    const b = await runQuery(s, parsed, { now });
    assert.deepEqual(a.rows, b.rows);
    assert.deepEqual(a.rows.map((r) => [r['ReportId'], r['d'], r['n'], r['q']]), [
      [0, 'Out', 200, 'TXT'], [1, 'In', 404, 'A'], [2, 'Out', 250, ''], [3, '["Out"]', null, ''], [4, '', null, ''], [5, '', null, ''], [6, '', null, ''],
    ]);
  } finally {
    s.close();
  }
});
