// search, top-nested, parse-kv, range and range(): expected rows worked out by hand from Kusto's
// documented semantics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/index.js';
import { runQuery } from '../../src/kql/index.js';
import { seedStore, NOW } from './fixture.js';

let store: Store;
before(async () => { store = await seedStore(); });
after(() => store.close());
const rows = async (q: string): Promise<Record<string, unknown>[]> => (await runQuery(store, q, { now: NOW })).rows;
const cols = async (q: string): Promise<string[]> => (await runQuery(store, q, { now: NOW })).schema.map((s) => `${s.Name}:${s.Type}`);

const TABLES = 'let A = datatable(Name:string, Port:long)["alpha-host", 22, "Beta", 443]; let B = datatable(Name:string, Note:string)["gamma", "has beta inside", "Delta", "x"];';
const names = async (q: string) => (await rows(`${TABLES} ${q} | order by Name asc | project T = $table, Name`)).map((r) => `${r.T}:${r.Name}`);

test('search: a term is a whole-term, case-insensitive match in any column; $table names the source', async () => {
  assert.deepEqual(await cols(`${TABLES} search in (A, B) "beta"`), ['$table:String', 'Name:String', 'Port:Int64', 'Note:String']);
  // "alpha-host" has no term "beta"; "has beta inside" does (column Note of B)
  assert.deepEqual(await names('search in (A, B) "beta"'), ['A:Beta', 'B:gamma']);
  assert.deepEqual(await names('search kind=case_sensitive in (A, B) "Beta"'), ['A:Beta']);
});

test('search: wildcards are prefix, suffix, contains or a regex over terms', async () => {
  assert.deepEqual(await names('search in (A, B) "alp*"'), ['A:alpha-host']);
  assert.deepEqual(await names('search in (A, B) "*ta"'), ['A:Beta', 'B:Delta', 'B:gamma']);
  assert.deepEqual(await names('search in (A, B) "*elt*"'), ['B:Delta']);
  assert.deepEqual(await names('search in (A, B) "g*a"'), ['B:gamma']);
});

test('search: Column:term, and/or/not, and ordinary conditions (false in a table without the column)', async () => {
  assert.deepEqual(await names('search in (A, B) Note:"x"'), ['B:Delta']);
  assert.deepEqual(await names('search in (A, B) Name:"alpha"'), ['A:alpha-host']);
  assert.deepEqual(await names('search in (A, B) Port > 100'), ['A:Beta']);
  assert.deepEqual(await names('search in (A, B) "*ta" and not(Name has "beta")'), ['B:Delta', 'B:gamma']);
  assert.deepEqual(await names('search in (A, B) Note:"x" or "alpha"'), ['B:Delta', 'A:alpha-host']); // ordinal order: 'D' < 'a'
});

test('search over store tables: piped, and across every table', async () => {
  const piped = await rows('DeviceNetworkEvents | search "TrickXYZ" | project $table, DeviceId, ActionType');
  assert.deepEqual(piped, [{ $table: 'DeviceNetworkEvents', DeviceId: 'D1', ActionType: 'HttpConnectionInspected' }]);
  const all = await rows('search "TrickXYZ" | project $table, DeviceId');
  assert.deepEqual(all, [{ $table: 'DeviceNetworkEvents', DeviceId: 'D1' }]);
});

const SALES = 'datatable(s:string, src:string, v:long)["A","x",5, "A","y",3, "A","z",1, "B","x",4, "B","x",4, "C","q",2, "D","r",1]';

test('top-nested: each level keeps its top n under each kept row of the level above; with others aggregates the rest', async () => {
  // sums: A 9, B 8, C 2, D 1 → A, B kept, others = 3; under A: x 5 kept, rest = 3 + 1; under B: only x (8), no rest
  const r = await rows(`${SALES} | top-nested 2 of s with others="others" by total=sum(v), top-nested 1 of src with others="rest" by sum(v) | order by s asc, src asc`);
  assert.deepEqual(r, [
    { s: 'A', total: 9, src: 'rest', aggregated_src: 4 },
    { s: 'A', total: 9, src: 'x', aggregated_src: 5 },
    { s: 'B', total: 8, src: 'x', aggregated_src: 8 },
    { s: 'others', total: 3, src: '', aggregated_src: null },
  ]);
});

test('top-nested: asc keeps the smallest; without a count every value is kept', async () => {
  assert.deepEqual(await rows(`${SALES} | top-nested 2 of s by sum(v) asc | order by aggregated_s asc`), [{ s: 'D', aggregated_s: 1 }, { s: 'C', aggregated_s: 2 }]);
  assert.deepEqual(await rows(`${SALES} | top-nested of s by n = count() | order by s asc`), [{ s: 'A', n: 3 }, { s: 'B', n: 2 }, { s: 'C', n: 1 }, { s: 'D', n: 1 }]);
  // three levels: the two most recent src per s for A and B (ties broken by nothing, so one src each here)
  const deep = await rows(`${SALES} | top-nested 1 of s by sum(v), top-nested 2 of src by sum(v), top-nested of v by count() | order by src asc, v asc`);
  assert.deepEqual(deep, [
    { s: 'A', aggregated_s: 9, src: 'x', aggregated_src: 5, v: 5, aggregated_v: 1 },
    { s: 'A', aggregated_s: 9, src: 'y', aggregated_src: 3, v: 3, aggregated_v: 1 },
  ]);
});

test('top-nested: a key whose SQL holds "$\'" (a regex end anchor) is kept intact', async () => {
  assert.deepEqual(await rows(`${SALES} | extend k = iff(s matches regex @'^A$', 'a', 'other') | top-nested of k by n = count() | order by k asc`), [{ k: 'a', n: 3 }, { k: 'other', n: 4 }]);
});

test('parse-kv: the documentation examples', async () => {
  assert.deepEqual(await rows('print str="ThreadId:458745723, Machine:Node001, Text: The service is up, Level: Info" | parse-kv str as (Text: string, ThreadId:long, Machine: string) with (pair_delimiter=",", kv_delimiter=":") | project-away str'),
    [{ Text: 'The service is up', ThreadId: 458745723, Machine: 'Node001' }]);
  const expected = { 'event time': '2021-01-01T10:00:54.0000000Z', src: '10.1.1.123', dst: '10.1.1.124', bytes: 125, failure: 'connection aborted' };
  assert.deepEqual(await rows(`print str='src=10.1.1.123 dst=10.1.1.124 bytes=125 failure="connection aborted" "event time"=2021-01-01T10:00:54' | parse-kv str as (['event time']:datetime, src:string, dst:string, bytes:long, failure:string) with (pair_delimiter=' ', kv_delimiter='=', quote='"') | project-away str`), [expected]);
  assert.deepEqual(await rows(`print str='src=10.1.1.123 dst=10.1.1.124 bytes=125 failure=(connection aborted) (event time)=(2021-01-01 10:00:54)' | parse-kv str as (['event time']:datetime, src:string, dst:string, bytes:long, failure:string) with (pair_delimiter=' ', kv_delimiter='=', quote='()') | project-away str`), [expected]);
  assert.deepEqual(await rows(`print str='src=1.2.3.4 failure="the remote host sent \\\\"bye!\\\\"" time=2021-01-01T10:00:54' | parse-kv str as (['time']:datetime, src:string, failure:string) with (pair_delimiter=' ', kv_delimiter='=', quote='"', escape='\\\\') | project-away str`),
    [{ time: '2021-01-01T10:00:54.0000000Z', src: '1.2.3.4', failure: 'the remote host sent "bye!"' }]);
  assert.deepEqual(await rows('print str="2021-01-01T10:00:34 [INFO] ThreadId:458745723, Machine:Node001, Text: Started" | parse-kv str as (Text: string, ThreadId:long, Machine: string) | project-away str'),
    [{ Text: 'Started', ThreadId: 458745723, Machine: 'Node001' }]);
});

test('parse-kv: greedy values run to the next key, regex= pairs, missing keys are empty or null', async () => {
  assert.deepEqual(await rows(`print str='name=a b c dst=x' | parse-kv str as (name:string, dst:string) with (pair_delimiter=' ', kv_delimiter='=') | project-away str`), [{ name: 'a', dst: 'x' }]);
  assert.deepEqual(await rows(`print str='name=a b c dst=x' | parse-kv str as (name:string, dst:string) with (pair_delimiter=' ', kv_delimiter='=', greedy=true) | project-away str`), [{ name: 'a b c', dst: 'x' }]);
  assert.deepEqual(await rows(`print str='k1=v1;k2=v2;k1=v3' | parse-kv str as (k1:string, k2:string, k3:long) with (regex=@'(\\w+)=(\\w+)') | project-away str`), [{ k1: 'v1', k2: 'v2', k3: null }]);
  assert.deepEqual(await rows(`print str='a=1' | parse-kv str as (b:string, c:long) with (pair_delimiter=' ', kv_delimiter='=') | project-away str`), [{ b: '', c: null }]);
});

test('range operator: ascending and descending steps, reals, datetimes, timespans; empty when the step points away', async () => {
  assert.deepEqual((await rows('range x from 1 to 10 step 3')).map((r) => r.x), [1, 4, 7, 10]);
  assert.deepEqual((await rows('range x from 5 to 1 step -2')).map((r) => r.x), [5, 3, 1]);
  assert.deepEqual((await rows('range x from 1.0 to 2.0 step 0.5')).map((r) => r.x), [1, 1.5, 2]);
  assert.deepEqual((await rows('range t from datetime(2024-01-01) to datetime(2024-01-01 02:00) step 1h')).map((r) => r.t), ['2024-01-01T00:00:00.0000000Z', '2024-01-01T01:00:00.0000000Z', '2024-01-01T02:00:00.0000000Z']);
  assert.deepEqual((await rows('range d from 1h to 3h step 1h')).map((r) => r.d), ['01:00:00', '02:00:00', '03:00:00']);
  assert.deepEqual(await rows('range x from 1 to 0 step 1 | count'), [{ Count: 0 }]);
});

test('range(): a dynamic array, default step 1 (1h for times), capped at 1,048,576 items', async () => {
  assert.deepEqual(await rows('print a = range(1, 8, 3), b = range(5, 1, -2), c = range(1.0, 2, 0.5), d = range(1, 0, 1), e = range(1, 3), f = range(1, 5, 0)'),
    [{ a: [1, 4, 7], b: [5, 3, 1], c: [1, 1.5, 2], d: [], e: [1, 2, 3], f: null }]);
  assert.deepEqual(await rows('print range(1h, 5h)'), [{ print_0: ['01:00:00', '02:00:00', '03:00:00', '04:00:00', '05:00:00'] }]);
  assert.deepEqual(await rows('print r = range(datetime(2024-01-01), datetime(2024-01-02), 12h)'), [{ r: ['2024-01-01T00:00:00.0000000Z', '2024-01-01T12:00:00.0000000Z', '2024-01-02T00:00:00.0000000Z'] }]);
  assert.deepEqual(await rows('print r = range(1, 1000000000) | mv-expand r | count'), [{ Count: 1_048_576 }]);
  // a null bound is a null array (not a capped one); subquery arguments work
  assert.deepEqual(await rows('print a = range(int(null), 5, 1), b = range(datetime(null), datetime(2024-01-01), 1d), c = range(toscalar(print 3), 7, toscalar(print 2))'), [{ a: null, b: null, c: [3, 5, 7] }]);
});
