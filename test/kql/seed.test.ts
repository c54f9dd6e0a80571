// Every query of shared/seed/queries.kql runs unchanged on the fixture (fixture.ts); the expected
// rows below were worked out by hand from the fixture's rows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { runQuery, compileQuery, type QueryResult } from '../../src/kql/index.js';
import { seedStore, NOW } from './fixture.js';
import type { Store } from '../../src/store/index.js';

const shared = new URL('../../../../shared/', import.meta.url);
const text = readFileSync(new URL('seed/queries.kql', shared), 'utf8');
const blocks = new Map<number, string>();
for (const b of text.split(/\n(?=\/\/ Q\d+:)/)) {
  const m = /^\/\/ Q(\d+):/.exec(b);
  if (m) blocks.set(Number(m[1]), b);
}

let store: Store;
before(async () => { store = await seedStore(); });
after(() => store.close());

async function run(n: number): Promise<QueryResult> {
  const q = blocks.get(n);
  assert.ok(q, `Q${n} is in the seed file`);
  return runQuery(store, q, { now: NOW });
}
const pick = (rows: Record<string, unknown>[], ...cols: string[]) => rows.map((r) => cols.map((c) => r[c]));
const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
const schemaOf = (r: QueryResult) => r.schema.map((s) => `${s.Name}:${s.Type}`);

test('the seed file has 14 queries and all compile', () => {
  assert.equal(blocks.size, 14);
  for (const [n, q] of blocks) {
    const c = compileQuery(q);
    assert.ok(c.sql, `Q${n}: ${c.diagnostics.map((d) => d.message).join('; ')}`);
  }
});

test('Q1: legacy SSH signature rows, AdditionalFields becomes dynamic', async () => {
  const r = await run(1);
  assert.deepEqual(pick(r.rows, 'ReportId'), [[1]]);
  assert.deepEqual(r.rows[0]!['AdditionalFields'], { SignatureName: 'SSH', SignatureMatchedContent: 'SSH-2.0' });
  assert.equal(r.schema.find((s) => s.Name === 'AdditionalFields')?.Type, 'Object');
  assert.equal(r.schema.length, 46);
});

test('Q2: all 11 SSH rows with the table schema', async () => {
  const r = await run(2);
  assert.equal(r.rows.length, 11);
  assert.deepEqual(sorted(pick(r.rows, 'ReportId').flat()), sorted([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]));
  assert.equal(r.schema[0]!.Name, 'Timestamp');
  assert.equal(r.schema[0]!.Type, 'DateTime');
  assert.equal(r.rows.find((x) => x['ReportId'] === 3)!['Timestamp'], '2024-05-01T09:10:00.0000000Z');
});

test('Q3: distinct inspected action types (contains is case-insensitive)', async () => {
  const r = await run(3);
  assert.deepEqual(schemaOf(r), ['ActionType:String']);
  assert.deepEqual(sorted(pick(r.rows, 'ActionType').flat()), ['DnsConnectionInspected', 'HttpConnectionInspected', 'IcmpConnectionInspected', 'SshConnectionInspected', 'SslConnectionInspected']);
});

test('Q4: rare user agents, dcount by user agent sorted ascending', async () => {
  const r = await run(4);
  assert.deepEqual(schemaOf(r), ['user_agent:String', 'Devices:Int64']);
  assert.deepEqual(pick(r.rows, 'user_agent', 'Devices'), [['TrickXYZ', 1], ['curl/8.0', 2], ['Mozilla/5.0', 3]]);
});

test('Q5: inner join on four keys including the 5-minute bin', async () => {
  const r = await run(5);
  assert.deepEqual(schemaOf(r), ['DeviceId:String', 'ActionType:String', 'AdditionalFields:String', 'LocalIP:String', 'LocalPort:Int32', 'RemoteIP:String', 'RemotePort:Int32', 'InitiatingProcessId:Int64', 'InitiatingProcessFileName:String', 'TimeKey:DateTime']);
  assert.deepEqual(sorted(pick(r.rows, 'DeviceId', 'ActionType', 'LocalIP', 'LocalPort', 'RemoteIP', 'RemotePort', 'InitiatingProcessId', 'InitiatingProcessFileName', 'TimeKey')), [
    ['D1', 'HttpConnectionInspected', '10.0.0.5', 50000, '198.51.100.7', 80, 4242, 'powershell.exe', '2024-05-01T11:50:00.0000000Z'],
    ['D1', 'HttpConnectionInspected', '10.0.0.5', 50000, '198.51.100.7', 80, 4343, 'rundll32.exe', '2024-05-01T11:50:00.0000000Z'],
  ]);
  assert.match(String(r.rows[0]!['AdditionalFields']), /TrickXYZ/);
});

test('Q5: ago() follows --now (an hour later nothing is recent)', async () => {
  const r = await runQuery(store, blocks.get(5)!, { now: new Date(NOW.getTime() + 3600_000) });
  assert.equal(r.rows.length, 0);
});

test('Q6: downloads by URI regex (case-sensitive, any direction)', async () => {
  const r = await run(6);
  assert.deepEqual(sorted(pick(r.rows, 'uri', 'direction', 'user_agent')), [['/a.ps1', 'Out', 'curl/8.0'], ['/in.exe', 'In', 'InOnly'], ['/payload.exe', 'Out', 'TrickXYZ']]);
  assert.deepEqual(schemaOf(r).slice(-4), ['json:Object', 'direction:String', 'user_agent:String', 'uri:String']);
});

test('Q7: SSH brute force pairs with more than 4 failed sessions', async () => {
  const r = await run(7);
  assert.deepEqual(schemaOf(r), ['LocalIP:String', 'RemoteIP:String', 'count_:Int64']);
  assert.deepEqual(pick(r.rows, 'LocalIP', 'RemoteIP', 'count_'), [['10.0.0.5', '203.0.113.9', 5]]);
});

test('Q8: distinct SSH server/client pairs, missing client is the empty string', async () => {
  const r = await run(8);
  assert.deepEqual(schemaOf(r), ['Server:String', 'Client:String']);
  assert.deepEqual(sorted(pick(r.rows, 'Server', 'Client')), [['SSH-2.0-OpenSSH_7.4', ''], ['SSH-2.0-OpenSSH_7.4', 'SSH-2.0-paramiko_2.11'], ['SSH-2.0-OpenSSH_8.9', 'SSH-2.0-libssh_0.9.6']]);
});

test('Q9: ICMP upload, top 10 with format_bytes', async () => {
  const r = await run(9);
  assert.deepEqual(schemaOf(r), ['RemoteIP:String', 'LocalIP:String', 'Upload:String', 'Download:String', 'Direction:String', 'Duration:Int64', 'Timestamp:DateTime', 'DeviceId:String', 'DeviceName:String']);
  assert.deepEqual(pick(r.rows, 'RemoteIP', 'Upload', 'Download', 'Duration', 'Timestamp'), [['8.8.8.8', '3 MB', '0 MB', 200, '2024-05-01T07:00:00.0000000Z']]);
});

test('Q10: ping sweep, make_set of more than 5 private addresses per 10 minutes', async () => {
  const r = await run(10);
  assert.deepEqual(schemaOf(r), ['DeviceId:String', 'Timestamp:DateTime', 'IpsList:Object']);
  assert.equal(r.rows.length, 1);
  assert.equal(r.rows[0]!['DeviceId'], 'D1');
  assert.equal(r.rows[0]!['Timestamp'], '2024-05-01T10:00:00.0000000Z');
  assert.deepEqual(sorted(r.rows[0]!['IpsList'] as string[]), ['10.0.0.20', '10.0.0.21', '10.0.0.22', '10.0.0.23', '10.0.0.24', '10.0.0.25']);
});

test('Q11: =~ is case-insensitive and exact', async () => {
  const r = await run(11);
  assert.deepEqual(sorted(pick(r.rows, 'FileName').flat()), ['ICMP.DLL', 'iphlpapi.dll']);
});

test('Q12: outbound TLS to public addresses with a CN-only issuer', async () => {
  const r = await run(12);
  assert.deepEqual(pick(r.rows, 'RemoteIP', 'issuer', 'direction'), [['93.184.216.34', 'CN=selfsigned.local', 'Out']]);
  assert.equal((r.rows[0]!['AdditionalFields'] as Record<string, unknown>)['server_name'], 'selfsigned.local');
});

test('Q13: let + mv-expand + !in: TXT answers from unknown DNS servers', async () => {
  const r = await run(13);
  assert.deepEqual(pick(r.rows, 'RemoteIP', 'Query', 'QueryType', 'Direction'), [['8.8.8.8', 'tunnel.evil.example', 'TXT', 'Out']]);
  assert.deepEqual(r.rows[0]!['Answers'], ['aGVsbG8=']);
  assert.equal(r.schema.find((s) => s.Name === 'Answers')?.Type, 'Object');
});

test('Q14: arg_max(Timestamp, *) picks the latest device state; missing success counts as false', async () => {
  const r = await run(14);
  assert.deepEqual(schemaOf(r), ['SourceIP:String', 'Timestamp:DateTime', 'DeviceId:String', 'Attempts:Object']);
  assert.equal(r.rows.length, 1);
  assert.deepEqual(pick(r.rows, 'SourceIP', 'Timestamp', 'DeviceId'), [['10.0.0.50', '2024-05-01T04:00:00.0000000Z', 'D5']]);
  assert.deepEqual(sorted(r.rows[0]!['Attempts'] as string[]), ['alice', 'bob', 'carol', 'dave']);
});
