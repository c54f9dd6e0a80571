import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, type RunningServer } from '../../src/server/app.js';
import { runQuery } from '../../src/kql/index.js';
import { seedStore, NOW } from '../kql/fixture.js';
import type { Store } from '../../src/store/index.js';

const seedText = readFileSync(new URL('../../../../shared/seed/queries.kql', import.meta.url), 'utf8');
const seedQueries = seedText.split(/^\/\/ (Q\d+):.*$/m).slice(1);
const queries: [string, string][] = [];
for (let i = 0; i < seedQueries.length; i += 2) queries.push([seedQueries[i]!, seedQueries[i + 1]!.trim()]);

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

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

// Row order of unsorted results and element order of make_set are unspecified in Kusto, and DuckDB's
// parallel aggregation does vary them between runs: compare rows as a multiset, sets as sorted.
function canonical(rows: unknown): string[] {
  const norm = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(norm).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
    : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : v;
  return (rows as unknown[]).map((r) => JSON.stringify(norm(r))).sort();
}

test('the seed file yields the 14 queries', () => assert.equal(queries.length, 14));

test('both API shapes return exactly what the engine returns, for every seed query', async () => {
  let nonEmpty = 0;
  for (const [name, q] of queries) {
    const direct = await runQuery(store, q, { now: NOW });
    const d = await post(`${srv.url}/api/advancedqueries/run`, { Query: q });
    assert.equal(d.status, 200, `${name}: ${JSON.stringify(d.body)}`);
    assert.deepEqual(d.body.Schema, direct.schema, name);
    assert.deepEqual(canonical(d.body.Results), canonical(JSON.parse(JSON.stringify(direct.rows))), name);
    const g = await post(`${srv.url}/api/security/runHuntingQuery`, { Query: q });
    assert.equal(g.status, 200, name);
    assert.deepEqual(g.body.schema, direct.schema.map((s) => ({ name: s.Name, type: s.Type })), name);
    assert.deepEqual(canonical(g.body.results), canonical(d.body.Results), name);
    if (direct.rows.length) nonEmpty++;
  }
  assert.ok(nonEmpty >= 12, `most seed queries find rows in the fixture (${nonEmpty})`);
});

test('a bad query is a 400 with the Kusto diagnostic', async () => {
  const r = await post(`${srv.url}/api/advancedqueries/run`, { Query: 'DeviceNetworkEvents | where NoSuchColumn == 1' });
  assert.equal(r.status, 400);
  const err = r.body.error as { code: string; message: string };
  assert.equal(err.code, 'BadRequest');
  assert.match(err.message, /NoSuchColumn/);
  assert.match(err.message, /\d+:\d+/, 'the message carries line:column');
  const g = await post(`${srv.url}/api/security/runHuntingQuery`, { Query: 'DeviceNetworkEvents | where' });
  assert.equal(g.status, 400);
});

test('malformed requests get clear 4xx errors', async () => {
  const noQuery = await post(`${srv.url}/api/advancedqueries/run`, { Nope: 1 });
  assert.equal(noQuery.status, 400);
  const res = await fetch(`${srv.url}/api/advancedqueries/run`, { method: 'POST', body: '{not json' });
  assert.equal(res.status, 400);
  const get = await fetch(`${srv.url}/api/advancedqueries/run`);
  assert.equal(get.status, 405);
  const badSpan = await post(`${srv.url}/api/security/runHuntingQuery`, { Query: 'DeviceInfo', Timespan: 'thirty days' });
  assert.equal(badSpan.status, 400);
  // an API path that does not exist is a JSON 404, not the page
  const missing = await fetch(`${srv.url}/api/nope`);
  assert.equal(missing.status, 404);
  assert.match(missing.headers.get('content-type') ?? '', /json/);
});

test('over the rate limit: 429 with Retry-After', async () => {
  const limited = await startServer({ store, port: 0, ratePerMinute: 2 });
  try {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await post(`${limited.url}/api/advancedqueries/run`, { Query: 'DeviceInfo | take 1' })).status);
    assert.deepEqual(codes, [200, 200, 429]);
    const last = await post(`${limited.url}/api/advancedqueries/run`, { Query: 'DeviceInfo | take 1' });
    assert.ok(Number(last.headers.get('retry-after')) >= 1);
  } finally {
    await limited.close();
  }
});

test('beyond loopback a bearer token is required', async () => {
  const open = await startServer({ store, host: '0.0.0.0', port: 0, token: 's3cret', ratePerMinute: 0 });
  try {
    const port = new URL(open.url).port;
    const url = `http://127.0.0.1:${port}/api/advancedqueries/run`;
    assert.equal((await post(url, { Query: 'DeviceInfo | take 1' })).status, 401);
    assert.equal((await post(url, { Query: 'DeviceInfo | take 1' }, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post(url, { Query: 'DeviceInfo | take 1' }, { authorization: 'Bearer s3cret' })).status, 200);
  } finally {
    await open.close();
  }
  await assert.rejects(startServer({ store, host: '0.0.0.0', port: 0 }), /token is required/);
});

test('a query past the timeout gets 504 and other queries still run', async () => {
  const slow = await startServer({ store, port: 0, ratePerMinute: 0, timeoutMs: 200 });
  try {
    const heavy = post(`${slow.url}/api/advancedqueries/run`, { Query: 'range x from 1 to 3000000000 step 1 | summarize dcount(x)' });
    const quick = await post(`${slow.url}/api/advancedqueries/run`, { Query: 'DeviceNetworkEvents | count' });
    assert.equal(quick.status, 200);
    const h = await heavy;
    assert.equal(h.status, 504, JSON.stringify(h.body));
  } finally {
    await slow.close();
  }
});

test('the page is served', async () => {
  const res = await fetch(`${srv.url}/`);
  assert.equal(res.status, 200);
  assert.match(await res.text(), /<title>[^<]*wirehunt/);
});

test('the page is served gzip-compressed to browsers that accept it', async () => {
  const res = await fetch(`${srv.url}/`, { headers: { 'accept-encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-encoding'), 'gzip');
  assert.match(await res.text(), /<title>[^<]*wirehunt/); // fetch decompresses
});

test('beyond loopback a browser signs in once through the ?token= link and then uses a cookie', async () => {
  const open = await startServer({ store, host: '0.0.0.0', port: 0, token: 'pa ss', ratePerMinute: 0 });
  try {
    const base = `http://127.0.0.1:${new URL(open.url).port}`;
    assert.equal((await fetch(`${base}/?token=wrong`, { redirect: 'manual' })).status, 401);
    const signIn = await fetch(`${base}/?token=pa%20ss&x=1`, { redirect: 'manual' });
    assert.equal(signIn.status, 303);
    assert.equal(signIn.headers.get('location'), '/?x=1');
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    assert.match(signIn.headers.get('set-cookie')!, /HttpOnly; SameSite=Strict/);
    assert.equal((await fetch(`${base}/`, { headers: { cookie } })).status, 200);
    assert.equal((await post(`${base}/api/advancedqueries/run`, { Query: 'DeviceInfo | take 1' }, { cookie })).status, 200);
    assert.equal((await post(`${base}/api/advancedqueries/run`, { Query: 'DeviceInfo | take 1' }, { cookie: 'wirehunt_token=nope' })).status, 401);
  } finally {
    await open.close();
  }
});
