// The binder's GlobalState is kept across queries (its lookup maps and KustoCache are built once) and
// renewed after a while; neither may change what a query binds to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globalsFor, parseAndAnalyze, defenderTables, CACHE_RENEW_AFTER } from '../../src/kql/frontend/kusto.js';

const QUERIES = [
  'DeviceNetworkEvents | where RemotePort == 443 | summarize n = count() by bin(Timestamp, 1h)',
  'union DeviceNetworkEvents, DeviceProcessEvents | project Timestamp, DeviceName',
  'let f = (x: long) { x * 2 }; print y = f(3)',
  'DeviceNetworkEvents | where NoSuchColumn == 1',
];

function summary(text: string): string {
  const { code, diagnostics } = parseAndAnalyze(text);
  const cols: string[] = [];
  const t = code.ResultType;
  if (t?.Columns) for (let i = 0; i < t.Columns.Count; i++) cols.push(`${t.Columns.getItem(i).Name}:${t.Columns.getItem(i).Type.Name}`);
  return JSON.stringify({ cols, diags: diagnostics.map((d) => `${d.code}@${d.start}`) });
}

test('binding on the kept state, before and after it is renewed, gives the same columns and diagnostics', () => {
  const tables = defenderTables();
  const first = QUERIES.map(summary);
  assert.match(first[0]!, /"n:long"/);
  assert.match(first[1]!, /"DeviceName:string"/);
  assert.match(first[3]!, /KS142@/);
  const before = globalsFor(tables);
  assert.equal(globalsFor(tables), before, 'the same state is handed out between renewals');
  for (let i = 0; i < CACHE_RENEW_AFTER + 1; i++) globalsFor(tables);
  assert.notEqual(globalsFor(tables), before, 'renewed after CACHE_RENEW_AFTER uses');
  assert.deepEqual(QUERIES.map(summary), first);
});
