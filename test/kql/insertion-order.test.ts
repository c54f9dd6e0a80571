// Which queries may run without DuckDB's insertion order (KQL promises none without sort/top/serialize), and
// that the setting holds for that query only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compileQuery, runQuery } from '../../src/kql/index.js';
import { dependsOnInputOrder } from '../../src/kql/exec/insertion-order.js';
import { seedStore, NOW } from './fixture.js';
import type { Store } from '../../src/store/index.js';

const depends = (q: string): boolean => {
  const c = compileQuery(q);
  assert.ok(c.plan, `${q}: ${c.diagnostics.map((d) => d.message).join('; ')}`);
  return dependsOnInputOrder(c.plan!);
};

test('filters, projections, order-free aggregates, joins and set lookups do not depend on the stored order', () => {
  for (const q of [
    'DeviceNetworkEvents | where ActionType == "SshConnectionInspected"',
    'DeviceNetworkEvents | extend j = todynamic(AdditionalFields) | project a = tostring(j.x), DeviceId',
    'DeviceNetworkEvents | summarize count(), dcount(DeviceId), max(Timestamp) by ActionType',
    'DeviceNetworkEvents | distinct ActionType',
    'DeviceNetworkEvents | join kind=inner (DeviceInfo) on DeviceId',
    'let k = DeviceNetworkInfo | mv-expand todynamic(DnsAddresses) | distinct tostring(DnsAddresses); DeviceNetworkEvents | where RemoteIP !in (k)',
    'union DeviceNetworkEvents, DeviceImageLoadEvents | where DeviceId == "x"',
    'DeviceNetworkInfo | mv-expand d = todynamic(DnsAddresses) | summarize count() by tostring(d)',
  ]) assert.equal(depends(q), false, q);
});

test('take, sort, top, serialize, window functions, order-sensitive aggregates and toscalar keep the order', () => {
  for (const q of [
    'DeviceNetworkEvents | take 5',
    'DeviceNetworkEvents | sort by Timestamp desc',
    'DeviceNetworkEvents | top 3 by Timestamp',
    'DeviceNetworkEvents | serialize n = row_number()',
    'DeviceNetworkEvents | summarize make_list(RemoteIP) by DeviceId',
    'DeviceNetworkEvents | summarize arg_max(Timestamp, *) by DeviceId',
    'DeviceNetworkEvents | summarize take_any(RemoteIP)',
    'DeviceNetworkEvents | join kind=innerunique (DeviceInfo) on DeviceId',
    'DeviceNetworkEvents | where Timestamp > toscalar(DeviceInfo | summarize max(Timestamp))',
    'let s = DeviceNetworkEvents | take 3; DeviceNetworkEvents | where DeviceId in (s | project DeviceId)',
    'range x from 1 to 5 step 1',
    'DeviceNetworkInfo | mv-expand todynamic(DnsAddresses)',
    'DeviceNetworkInfo | mv-expand d = todynamic(DnsAddresses) | where tostring(d) != "::"',
  ]) assert.equal(depends(q), true, q);
});

let store: Store;
before(async () => { store = await seedStore(); });
after(() => store.close());

const setting = async (): Promise<boolean> =>
  (await store.connection.runAndReadAll(`SELECT current_setting('preserve_insertion_order')`)).getRows()[0]![0] as boolean;

test('the setting is off for an order-free query only, and restored after it (also when it fails)', async () => {
  assert.equal(await setting(), true);
  const seed = readFileSync(new URL('../../../../shared/seed/queries.kql', import.meta.url), 'utf8');
  const q13 = seed.split(/\n(?=\/\/ Q\d+:)/).find((b) => b.startsWith('// Q13:'))!;
  assert.equal(depends(q13), false, 'Q13 is order-free');
  const r = await runQuery(store, q13, { now: NOW });
  assert.ok(r.rows.length > 0);
  assert.equal(await setting(), true, 'restored after the query');
  const failing = 'datatable(s:long)[9223372036854775807] | extend y = s + 1'; // DuckDB fails on the overflow
  assert.equal(depends(failing), false);
  await assert.rejects(runQuery(store, failing, { now: NOW }), /query failed/);
  assert.equal(await setting(), true, 'restored after a failure');
  // an explicitly sorted result keeps its order
  const s = await runQuery(store, 'DeviceNetworkEvents | project ReportId | sort by ReportId desc', { now: NOW });
  const ids = s.rows.map((x) => x['ReportId'] as number);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
});
