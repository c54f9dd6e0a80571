// externaldata: documents fetched from a local HTTP server, read per format into the declared
// types; the allow-list, size cap, timeout, cache and error messages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.js';
import { runQuery, compileQuery, KqlError } from '../../src/kql/index.js';
import { isAllowed, externalDataOptions, parseAllowList, DEFAULT_ALLOW } from '../../src/kql/external/options.js';
import { splitDelimited, normalize, formatOf, parseJsonPath } from '../../src/kql/external/formats.js';

let store: Store;
let srv: http.Server;
let base: string;
let cacheDir: string;
let closedPort: number;
const hits = new Map<string, number>();
const DOCS: Record<string, string> = {
  '/iocs.csv': 'type,value,score,seen,tags\nip,"10.0.0.1",5,2024-01-02T03:04:05Z,"[""a"",""b""]"\ndomain,"evil,example.com",,2024-01-03 10:00:00,\n',
  '/list.txt': '# ipsum\n1.2.3.4\n5.6.7.8\r\n',
  '/data.tsv': 'a\t1\tTrue\nb\t2\tfalse\n',
  '/lines.json': '{"name":"x","n":1,"inner":{"v":"deep1"}}\n{"name":"y","n":2,"inner":{"v":"deep2"}}\n',
  '/array.json': '[{"Category":"vulnerable driver","KnownVulnerableSamples":[{"SHA256":"ab"}],"Verified":"TRUE"},{"Category":"malicious","KnownVulnerableSamples":[],"Verified":"FALSE"}]',
  '/bad.json': '{"a": 1} oops',
  '/big.txt': 'x'.repeat(5000),
};

before(async () => {
  store = await openStore(':memory:');
  cacheDir = mkdtempSync(join(tmpdir(), 'wh-ext-cache-'));
  srv = http.createServer((req, res) => {
    const path = req.url ?? '';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (path === '/moved') { res.writeHead(302, { location: '/list.txt' }); res.end(); return; }
    if (path === '/away') { res.writeHead(302, { location: 'http://10.255.255.1/secret' }); res.end(); return; }
    if (path === '/slow') { setTimeout(() => res.end('late\n'), 2000); return; }
    if (path === '/stream') { res.write('x'.repeat(3000)); setTimeout(() => res.end('y'.repeat(3000)), 20); return; }
    const body = DOCS[path];
    if (body === undefined) { res.writeHead(404); res.end(); return; }
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
  // a port nothing listens on: bound once, then released
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
});
after(async () => {
  store.close();
  await new Promise((r) => srv.close(r));
  rmSync(cacheDir, { recursive: true, force: true });
});

const opts = () => ({ externalData: { allow: [base + '/'], cacheDir: null } });
async function rows(q: string, o: object = opts()) {
  return runQuery(store, q, o);
}
async function failure(q: string, o: object = opts()): Promise<string> {
  try { await rows(q, o); } catch (err) { assert.ok(err instanceof KqlError, String(err)); return err.message; }
  assert.fail('expected the query to fail');
}

test('csv with ignoreFirstRecord: quoted fields, declared types, empty fields are null', async () => {
  const r = await rows(`externaldata(type:string, value:string, score:long, seen:datetime, tags:dynamic)["${base}/iocs.csv"] with (format="csv", ignoreFirstRecord=true)`);
  assert.deepEqual(r.schema.map((s) => s.Type), ['String', 'String', 'Int64', 'DateTime', 'Object']);
  assert.deepEqual(r.rows, [
    { type: 'ip', value: '10.0.0.1', score: 5, seen: '2024-01-02T03:04:05.0000000Z', tags: ['a', 'b'] },
    { type: 'domain', value: 'evil,example.com', score: null, seen: '2024-01-03T10:00:00.0000000Z', tags: null },
  ]);
});

test('txt: one record per line; without ignoreFirstRecord the header is a row', async () => {
  const r = await rows(`externaldata(ip:string)["${base}/list.txt"] with (format="txt")`);
  assert.deepEqual(r.rows.map((x) => x.ip), ['# ipsum', '1.2.3.4', '5.6.7.8']);
  const r2 = await rows(`let feed = externaldata(ip:string)[@"${base}/list.txt"] with (format="txt", ignoreFirstRecord=true); feed | where ip matches regex @"^\\d+\\.\\d+\\.\\d+\\.\\d+$" | count`);
  assert.deepEqual(r2.rows, [{ Count: 2 }]);
});

test('tsv with bools; format from the URL extension when not given', async () => {
  const r = await rows(`externaldata(k:string, n:int, b:bool)["${base}/data.tsv"]`);
  assert.deepEqual(r.rows, [{ k: 'a', n: 1, b: true }, { k: 'b', n: 2, b: false }]);
});

test('json lines by column name, and multijson with an ingestionMapping', async () => {
  const r = await rows(`externaldata(name:string, n:long)["${base}/lines.json"] with (format="json")`);
  assert.deepEqual(r.rows, [{ name: 'x', n: 1 }, { name: 'y', n: 2 }]);
  const m = await rows(`externaldata(v:string)["${base}/lines.json"] with (format="multijson", ingestionMapping='[{"Column":"v","Properties":{"Path":"$.inner.v"}}]')`);
  assert.deepEqual(m.rows, [{ v: 'deep1' }, { v: 'deep2' }]);
  const d = await rows(`externaldata(Category:string, KnownVulnerableSamples:dynamic, Verified:string)[h@"${base}/array.json"] with (format=multijson)
    | mv-expand KnownVulnerableSamples | project Category, SHA256 = tostring(KnownVulnerableSamples.SHA256)`);
  assert.deepEqual(d.rows, [{ Category: 'vulnerable driver', SHA256: 'ab' }]);
});

test('several URLs are read one after the other; joins with store tables work', async () => {
  const r = await rows(`externaldata(ip:string)["${base}/list.txt", "${base}/list.txt"] with (format="txt", ignoreFirstRecord=true) | summarize n = count() by ip | order by ip asc`);
  assert.deepEqual(r.rows, [{ ip: '1.2.3.4', n: 2 }, { ip: '5.6.7.8', n: 2 }]);
  const j = await rows(`let bad = externaldata(ip:string)["${base}/list.txt"] with (format="txt", ignoreFirstRecord=true); DeviceNetworkEvents | where RemoteIP in (bad) | count`);
  assert.deepEqual(j.rows, [{ Count: 0 }]);
});

test('errors are one line: not allowed, unreachable, HTTP status, too big, timeout, unparsable, redirect off the list', async () => {
  const lines = [
    await failure(`externaldata(x:string)["https://example.com/feed.txt"]`),
    await failure(`externaldata(x:string)["${base}/missing.txt"]`),
    await failure(`externaldata(x:string)["http://127.0.0.1:${closedPort}/feed.txt"]`, { externalData: { allow: ['127.0.0.1'], cacheDir: null, timeoutMs: 3000 } }),
    await failure(`externaldata(x:string)["${base}/big.txt"] with (format=txt)`, { externalData: { allow: [base + '/'], cacheDir: null, maxBytes: 1000 } }),
    await failure(`externaldata(x:string)["${base}/stream"] with (format=txt)`, { externalData: { allow: [base + '/'], cacheDir: null, maxBytes: 4000 } }),
    await failure(`externaldata(x:string)["${base}/slow"] with (format=txt)`, { externalData: { allow: [base + '/'], cacheDir: null, timeoutMs: 200 } }),
    await failure(`externaldata(x:string)["${base}/bad.json"] with (format=multijson)`),
    await failure(`externaldata(x:string)["${base}/away"] with (format=txt)`),
    await failure(`externaldata(x:string)["file:///etc/passwd"]`, { externalData: { allow: ['*'], cacheDir: null } }),
  ];
  for (const l of lines) assert.ok(!l.includes('\n') && l.startsWith('externaldata: '), l);
  assert.match(lines[0]!, /https:\/\/example\.com\/feed\.txt is not allowed \(allow-list: http:\/\/127\.0\.0\.1:\d+\/; widen it with --externaldata-allow/);
  assert.match(lines[1]!, /returned HTTP 404/);
  assert.match(lines[2]!, /is unreachable \(ECONNREFUSED\)/);
  assert.match(lines[3]!, /is larger than the 1000 bytes cap/);
  assert.match(lines[4]!, /is larger than the 4000 bytes cap/);
  assert.match(lines[5]!, /timed out after 200 ms/);
  assert.match(lines[6]!, /is not valid JSON/);
  assert.match(lines[7]!, /redirects to http:\/\/10\.255\.255\.1\/secret, which is not allowed/);
  assert.match(lines[8]!, /file:\/\/\/etc\/passwd is not allowed/);
});

test('the query\'s signal cancels a fetch under way', async () => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 100);
  const t0 = Date.now();
  await assert.rejects(rows(`externaldata(x:string)["${base}/slow"] with (format=txt)`, { ...opts(), signal: ac.signal }), (err: Error) => err instanceof KqlError && err.message === 'query cancelled');
  assert.ok(Date.now() - t0 < 1500, 'did not wait for the document');
});

test('a redirect inside the allow-list is followed', async () => {
  const r = await rows(`externaldata(x:string)["${base}/moved"] with (format=txt, ignoreFirstRecord=true)`);
  assert.equal(r.rows.length, 2);
});

test('the cache serves a document again within its TTL, and fetches it again after', async () => {
  const q = `externaldata(x:string)["${base}/data.tsv"] with (format=tsv) | count`;
  const before = hits.get('/data.tsv') ?? 0;
  const o = { externalData: { allow: [base + '/'], cacheDir, cacheTtlMs: 60_000 } };
  // rows files unused for over a day are removed when the folder is next written
  const stale = join(cacheDir, 'stale.rows.ndjson'), fresh = join(cacheDir, 'fresh.rows.ndjson');
  writeFileSync(stale, '');
  writeFileSync(fresh, '');
  const twoDaysAgo = Date.now() / 1000 - 2 * 86400;
  utimesSync(stale, twoDaysAgo, twoDaysAgo);
  assert.deepEqual((await rows(q, o)).rows, [{ Count: 2 }]);
  assert.deepEqual((await rows(q, o)).rows, [{ Count: 2 }]);
  assert.equal((hits.get('/data.tsv') ?? 0) - before, 1, 'second run read the cache');
  assert.ok(!existsSync(stale) && existsSync(fresh), 'stale rows file pruned, fresh kept');
  await rows(q, { externalData: { allow: [base + '/'], cacheDir, cacheTtlMs: 0 } });
  assert.equal((hits.get('/data.tsv') ?? 0) - before, 2, 'TTL 0 fetches again');
});

test('compile records the sources; the SQL carries a placeholder until run', () => {
  const c = compileQuery(`externaldata(a:string, b:long)[@"https://raw.githubusercontent.com/x/y/main/z.csv"] with (format="csv", ignoreFirstRecord=true)`);
  assert.equal(c.externals.length, 1);
  const s = c.externals[0]!;
  assert.deepEqual([s.urls, s.format, s.ignoreFirstRecord, s.columns], [['https://raw.githubusercontent.com/x/y/main/z.csv'], 'csv', true, [{ name: 'a', type: 'string' }, { name: 'b', type: 'long' }]]);
  assert.match(c.sql!, /__WIREHUNT_EXT_\d+__/);
});

test('allow-list matching: URL prefixes, hosts, wildcards, schemes', () => {
  assert.ok(isAllowed('https://raw.githubusercontent.com/a/b.txt', DEFAULT_ALLOW));
  assert.ok(!isAllowed('http://raw.githubusercontent.com/a/b.txt', DEFAULT_ALLOW), 'default is https only');
  assert.ok(!isAllowed('https://raw.githubusercontent.com.evil.net/a', DEFAULT_ALLOW));
  assert.ok(!isAllowed('http://169.254.169.254/latest/meta-data', DEFAULT_ALLOW));
  assert.ok(isAllowed('https://feeds.example.org/x', ['*.example.org']));
  assert.ok(!isAllowed('https://example.org.evil/x', ['*.example.org']));
  assert.ok(isAllowed('http://intel.local/x', ['intel.local']));
  assert.ok(!isAllowed('https://user:pw@intel.local/x', ['intel.local']));
  assert.ok(!isAllowed('ftp://intel.local/x', ['*']));
  assert.deepEqual(parseAllowList('none'), []);
  assert.deepEqual(parseAllowList('a.com, https://b.com/x/'), ['a.com', 'https://b.com/x/']);
});

test('options from the environment, overridden per call', () => {
  const o = externalDataOptions({ timeoutMs: 5 }, { WIREHUNT_EXTERNALDATA_ALLOW: 'intel.local', WIREHUNT_EXTERNALDATA_MAX_BYTES: '100', WIREHUNT_EXTERNALDATA_CACHE_DIR: 'none', WIREHUNT_EXTERNALDATA_CACHE_TTL_S: '2', WIREHUNT_EXTERNALDATA_TIMEOUT_MS: '9' });
  assert.deepEqual([o.allow, o.maxBytes, o.cacheDir, o.cacheTtlMs, o.timeoutMs], [['intel.local'], 100, null, 2000, 5]);
  assert.deepEqual(externalDataOptions({}, {}).allow, DEFAULT_ALLOW);
  assert.throws(() => externalDataOptions({}, { WIREHUNT_EXTERNALDATA_MAX_BYTES: 'lots' }), /non-negative number/);
});

test('format readers: RFC 4180 records and canonical values per type', () => {
  assert.deepEqual(splitDelimited('a,"b ""q"", c",\r\n"multi\nline",2\n', ','), [['a', 'b "q", c', ''], ['multi\nline', '2']]);
  assert.equal(formatOf(undefined, ['https://x/y/feed.TSV?raw=1']), 'tsv');
  assert.equal(formatOf(undefined, ['https://x/y/feed']), 'csv');
  assert.deepEqual(parseJsonPath("$.a['b c'][2]"), ['a', 'b c', 2]);
  assert.equal(normalize(' 42 ', 'long'), '42');
  assert.equal(normalize('4.2', 'long'), null);
  assert.equal(normalize('nan', 'real'), 'NaN');
  assert.equal(normalize('TRUE', 'bool'), 'true');
  assert.equal(normalize('2024-05-01 12:00:00.1234567', 'datetime'), '2024-05-01 12:00:00.123456');
  assert.equal(normalize('1.02:03:04', 'timespan'), String((86400 + 2 * 3600 + 3 * 60 + 4) * 1e7));
  assert.equal(normalize('plain text', 'dynamic'), '"plain text"');
  assert.equal(normalize(undefined, 'string'), '');
});

test('externaldata under evaluate bag_unpack: the probe for the columns reads the fetched rows too', async () => {
  const q = `let list = externaldata(d:dynamic)["${base}/lines.json"] with (format=multijson, ingestionMapping='[{"Column":"d","Properties":{"Path":"$"}}]')
    | evaluate bag_unpack(d);
    list | where n > 1 | project name, n`;
  const r = await rows(q);
  assert.deepEqual(r.schema, [{ Name: 'name', Type: 'String' }, { Name: 'n', Type: 'Int64' }]);
  assert.deepEqual(r.rows, [{ name: 'y', n: 2 }]);
});
