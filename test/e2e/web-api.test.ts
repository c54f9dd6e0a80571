// The page's own routes: GET /api/schema and POST /api/web/run (time range, render metadata, rows
// as arrays, errors with positions in the user's text).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { applyTimeRange, queryFiltersTime, timespanToKql } from '../../src/server/routes/web.js';
import { describeZeekField, ZEEK_ACTION_TYPES } from '../../src/server/routes/zeek-fields.js';
import { runQuery } from '../../src/kql/index.js';
import { seedStore, NOW } from '../kql/fixture.js';
import { readFileSync } from 'node:fs';
import type { Store } from '../../src/store/index.js';

let store: Store;
let srv: RunningServer;
before(async () => {
  store = await seedStore();
  srv = await startServer({ store, port: 0, now: NOW, ratePerMinute: 0 });
});
after(async () => {
  await srv.close();
  store.close();
});

async function run(body: unknown) {
  const res = await fetch(`${srv.url}/api/web/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

test('time spans and the "set in query" rule', () => {
  assert.equal(timespanToKql('P30D'), '30d');
  assert.equal(timespanToKql('PT1H'), '1h');
  assert.equal(timespanToKql('PT90M'), '90m');
  assert.equal(timespanToKql('P1DT12H'), '36h');
  assert.equal(timespanToKql('P'), null);
  assert.equal(timespanToKql('30d'), null);
  assert.equal(queryFiltersTime('T | where Timestamp > ago(1h)'), true);
  assert.equal(queryFiltersTime('T | where Timestamp between (datetime(2024-01-01) .. 1d)'), true);
  assert.equal(queryFiltersTime('T | where ago(1h) < Timestamp'), true);
  assert.equal(queryFiltersTime('T | summarize count() by bin(Timestamp, 1h)'), false);
  assert.equal(queryFiltersTime('T | where x == "Timestamp > 1" // Timestamp > ago(1d)'), false);
  const a = applyTimeRange('DeviceNetworkEvents | join DeviceInfo on DeviceId', '7d');
  assert.ok(a.applied);
  assert.equal(a.text.split('\n')[0], 'let DeviceInfo = DeviceInfo | where Timestamp > ago(7d); let DeviceNetworkEvents = DeviceNetworkEvents | where Timestamp > ago(7d);');
  assert.deepEqual(applyTimeRange('range i from 1 to 3 step 1', '7d'), { text: 'range i from 1 to 3 step 1', applied: false });
});

test('GET /api/schema lists the tables and the Zeek ActionTypes with described fields', async () => {
  const res = await fetch(`${srv.url}/api/schema`);
  assert.equal(res.status, 200);
  const doc = (await res.json()) as { tables: { name: string; columns: { name: string; type: string; description: string }[] }[]; actionTypes: typeof ZEEK_ACTION_TYPES };
  const dne = doc.tables.find((t) => t.name === 'DeviceNetworkEvents')!;
  assert.equal(dne.columns[0]!.name, 'Timestamp');
  assert.equal(dne.columns[0]!.type, 'datetime');
  assert.ok(dne.columns.find((c) => c.name === 'AdditionalFields')!.description);
  const ssh = doc.actionTypes.find((a) => a.actionType === 'SshConnectionInspected')!;
  assert.ok(ssh.fields.some((f) => f.name === 'auth_attempts' && f.description.length > 10));
  for (const a of doc.actionTypes) for (const f of a.fields) assert.ok(f.description, `${a.actionType}.${f.name}`);
  assert.match(describeZeekField('DnsConnectionInspected', 'qtype_name')!, /type/i);
});

test('POST /api/web/run returns the engine\'s rows as arrays, with render metadata and timings', async () => {
  // sorted: summarize's row order is unspecified (DuckDB's parallel aggregation varies it between runs)
  const q = 'DeviceNetworkEvents | summarize n = count() by bin(Timestamp, 1h) | sort by Timestamp asc | render timechart';
  const r = await run({ Query: q });
  assert.equal(r.status, 200);
  const direct = await runQuery(store, q, { now: NOW });
  assert.deepEqual(r.body['Schema'], direct.schema);
  assert.deepEqual(r.body['Rows'], direct.rows.map((o) => direct.schema.map((s) => o[s.Name])));
  assert.equal(r.body['Render'].chart, 'timechart');
  assert.equal(r.body['Truncated'], false);
  assert.ok(r.body['Stats'].serverMs >= 0);
});

test('the time range narrows the tables unless the query sets its own', async () => {
  const all = await run({ Query: 'DeviceNetworkEvents | count' });
  const hour = await run({ Query: 'DeviceNetworkEvents | count', TimeRange: 'PT1H' });
  const own = await run({ Query: 'DeviceNetworkEvents | where Timestamp > ago(1d) | count', TimeRange: 'PT1H' });
  const expectHour = await runQuery(store, 'DeviceNetworkEvents | where Timestamp > ago(1h) | count', { now: NOW });
  assert.equal(hour.body['TimeRangeApplied'], true);
  assert.deepEqual(hour.body['Rows'], [[expectHour.rows[0]!['Count']]]);
  assert.ok((all.body['Rows'][0][0] as number) > (hour.body['Rows'][0][0] as number));
  assert.equal(own.body['TimeRangeApplied'], false);
  assert.deepEqual(own.body['Rows'], all.body['Rows']);
  const bad = await run({ Query: 'DeviceNetworkEvents | count', TimeRange: '1 week' });
  assert.equal(bad.status, 400);
});

test('a bad query gives 400 with the Kusto diagnostic at its place in the user\'s text', async () => {
  const r = await run({ Query: 'DeviceNetworkEvents\n| where NoSuchColumn == 1', TimeRange: 'P7D' });
  assert.equal(r.status, 400);
  assert.equal(r.body['error'].code, 'BadRequest');
  assert.match(r.body['error'].message, /\(2:9\).*NoSuchColumn/);
  const empty = await run({ Query: '  ' });
  assert.equal(empty.status, 400);
});

test('the page\'s examples are the seed\'s hunting queries, unchanged, and each runs', async () => {
  const seedText = readFileSync(new URL('../../../../shared/seed/queries.kql', import.meta.url), 'utf8');
  const parts = seedText.split(/^\/\/ (Q\d+):.*$/m).slice(1);
  const seed: [string, string][] = [];
  for (let i = 0; i < parts.length; i += 2) seed.push([parts[i]!, parts[i + 1]!.trim()]);
  const src = readFileSync(new URL('../../../web/src/examples.ts', import.meta.url), 'utf8');
  const examples = JSON.parse(src.slice(src.indexOf('= [') + 2, src.lastIndexOf('];') + 1)) as { id: string; query: string }[];
  assert.deepEqual(examples.map((e) => [e.id, e.query]), seed);
  for (const e of examples) {
    const r = await run({ Query: e.query, TimeRange: 'P30D' });
    assert.equal(r.status, 200, `${e.id}: ${JSON.stringify(r.body)}`);
  }
});
