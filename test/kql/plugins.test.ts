// evaluate bag_unpack and evaluate pivot (columns from the data, or from an output schema), evaluate
// ipv4_lookup, mv-apply and make-series, against rows worked out by hand.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/store/index.js';
import { compileQuery, runQuery, type QueryResult } from '../../src/kql/index.js';
import { propertyType } from '../../src/kql/exec/probe.js';

let store: Store;
before(async () => { store = await openStore(':memory:'); });
after(() => store.close());
const now = new Date('2024-05-01T12:00:00Z');
const run = (q: string): Promise<QueryResult> => runQuery(store, q, { now });
const schema = (r: QueryResult) => r.schema.map((s) => `${s.Name}:${s.Type}`);
const sortBy = (rows: Record<string, unknown>[], k: string) => [...rows].sort((a, b) => String(a[k]).localeCompare(String(b[k])));

const PEOPLE = `datatable(d:dynamic, Description:string)[
  dynamic({"Name": "John", "Age": 20}), "Student",
  dynamic({"Name": "Dave", "Height": 170.5, "Age": 40}), "Teacher",
  dynamic({"Name": "Jasmine", "Age": 30, "Tags": ["a"]}), "Student"]`;

test('bag_unpack: one column per property, sorted, typed from the values; the bag column goes', async () => {
  const c = compileQuery(`${PEOPLE} | evaluate bag_unpack(d)`);
  assert.ok(c.probe, 'the columns depend on the data');
  assert.deepEqual(c.columns.map((x) => x.name), ['Description'], 'the binder states only the source columns');
  const r = await run(`${PEOPLE} | evaluate bag_unpack(d)`);
  assert.deepEqual(schema(r), ['Description:String', 'Age:Int64', 'Height:Double', 'Name:String', 'Tags:Object']);
  assert.deepEqual(sortBy(r.rows, 'Age'), [
    { Description: 'Student', Age: 20, Height: null, Name: 'John', Tags: null },
    { Description: 'Student', Age: 30, Height: null, Name: 'Jasmine', Tags: ['a'] },
    { Description: 'Teacher', Age: 40, Height: 170.5, Name: 'Dave', Tags: null },
  ]);
});

test('bag_unpack: later steps see the new columns with their types', async () => {
  const r = await run(`${PEOPLE} | evaluate bag_unpack(d) | where Age > 25 | extend Next = Age + 1 | project Name, Next | order by Next asc`);
  assert.deepEqual(schema(r), ['Name:String', 'Next:Int64']);
  assert.deepEqual(r.rows, [{ Name: 'Jasmine', Next: 31 }, { Name: 'Dave', Next: 41 }]);
});

// (ignoredProperties is not in the binder's bag_unpack signature: the binder rejects it)
test('bag_unpack: prefix, columnsConflict', async () => {
  const p = await run(`${PEOPLE} | evaluate bag_unpack(d, 'p_') | project-away Description | where p_Name == 'John'`);
  assert.deepEqual(schema(p), ['p_Age:Int64', 'p_Height:Double', 'p_Name:String', 'p_Tags:Object']);
  const T = `datatable(Name:string, d:dynamic)['James', dynamic({"Name": "John", "Age": 20}), 'David', dynamic({"Age": 40})]`;
  await assert.rejects(run(`${T} | evaluate bag_unpack(d)`), /property 'Name' conflicts with the column 'Name'/);
  const rep = await run(`${T} | evaluate bag_unpack(d, columnsConflict='replace_source') | order by Age asc`);
  assert.deepEqual(rep.rows, [{ Name: 'John', Age: 20 }, { Name: '', Age: 40 }]);
  const keep = await run(`${T} | evaluate bag_unpack(d, columnsConflict='keep_source') | order by Age asc`);
  assert.deepEqual(keep.rows, [{ Name: 'James', Age: 20 }, { Name: 'David', Age: 40 }]);
});

test('bag_unpack with an output schema needs no probe', async () => {
  const q = `${PEOPLE} | evaluate bag_unpack(d) : (*, Name:string, Age:long)`;
  assert.equal(compileQuery(q).probe, undefined);
  const r = await run(`${q} | order by Age asc`);
  assert.deepEqual(schema(r), ['Description:String', 'Name:String', 'Age:Int64']);
  assert.deepEqual(r.rows[2], { Description: 'Teacher', Name: 'Dave', Age: 40 });
});

test('bag_unpack with a schema without *: only the listed columns, source columns by name', async () => {
  const r = await run(`${PEOPLE} | evaluate bag_unpack(d) : (Name:string, Description:string, Height:real) | order by Name asc`);
  assert.deepEqual(schema(r), ['Name:String', 'Description:String', 'Height:Double']);
  assert.deepEqual(r.rows, [{ Name: 'Dave', Description: 'Teacher', Height: 170.5 }, { Name: 'Jasmine', Description: 'Student', Height: null }, { Name: 'John', Description: 'Student', Height: null }]);
});

test('bag_unpack of no rows keeps the source columns', async () => {
  const r = await run(`${PEOPLE} | where Description == 'nobody' | evaluate bag_unpack(d)`);
  assert.deepEqual(schema(r), ['Description:String']);
  assert.equal(r.rows.length, 0);
});

test('property types: one JSON kind gives its type, mixed ones dynamic', () => {
  assert.equal(propertyType(['BIGINT', 'NULL']), 'long');
  assert.equal(propertyType(['BIGINT', 'DOUBLE']), 'real');
  assert.equal(propertyType(['VARCHAR']), 'string');
  assert.equal(propertyType(['BOOLEAN']), 'bool');
  assert.equal(propertyType(['VARCHAR', 'BIGINT']), 'dynamic');
  assert.equal(propertyType(['NULL']), 'dynamic');
});

const SALES = `datatable(Region:string, Product:string, Units:long)[
  'north', 'apple', 3, 'north', 'pear', 4, 'north', 'apple', 5, 'south', 'pear', 1, 'south', 'fig', 2]`;

test('pivot: one column per value (sorted) after the key columns; count() by default', async () => {
  const c = compileQuery(`${SALES} | evaluate pivot(Product, count(), Region)`);
  assert.ok(c.probe);
  const r = await run(`${SALES} | evaluate pivot(Product, count(), Region) | order by Region asc`);
  assert.deepEqual(schema(r), ['Region:String', 'apple:Int64', 'fig:Int64', 'pear:Int64']);
  assert.deepEqual(r.rows, [{ Region: 'north', apple: 2, fig: 0, pear: 1 }, { Region: 'south', apple: 0, fig: 1, pear: 1 }]);
  // default keys: every column but the pivot column and the aggregated one
  const s = await run(`${SALES} | evaluate pivot(Product, sum(Units)) | order by Region asc`);
  assert.deepEqual(s.rows, [{ Region: 'north', apple: 8, fig: 0, pear: 4 }, { Region: 'south', apple: 0, fig: 2, pear: 1 }]);
  const ms = await run(`${SALES} | evaluate pivot(Region, make_set(Units), Product) | order by Product asc`);
  assert.deepEqual(ms.rows, [{ Product: 'apple', north: [3, 5], south: [] }, { Product: 'fig', north: [], south: [2] }, { Product: 'pear', north: [4], south: [1] }]);
});

test('pivot with an output schema', async () => {
  const r = await run(`${SALES} | project Region, Product | evaluate pivot(Product) : (Region:string, pear:long, apple:long) | order by Region asc`);
  assert.deepEqual(r.rows, [{ Region: 'north', pear: 1, apple: 2 }, { Region: 'south', pear: 1, apple: 0 }]);
});

const ARRS = `datatable(Id:int, Arr:dynamic)[0, dynamic([5, 1, 3]), 1, dynamic([4, 10, 8, 7]), 2, dynamic([])]`;

test('mv-apply: the subquery runs per row on the expanded items', async () => {
  const top2 = await run(`${ARRS} | mv-apply v = Arr to typeof(long) on (top 2 by v | summarize Top2 = make_list(v)) | order by Id asc`);
  assert.deepEqual(schema(top2), ['Id:Int32', 'Arr:Object', 'Top2:Object']);
  // an empty array: summarize without by still gives one row (an empty list)
  assert.deepEqual(top2.rows, [{ Id: 0, Arr: [5, 1, 3], Top2: [5, 3] }, { Id: 1, Arr: [4, 10, 8, 7], Top2: [10, 8] }, { Id: 2, Arr: [], Top2: [] }]);
  const idx = await run(`${ARRS} | mv-apply with_itemindex = i Arr to typeof(long) on (where i >= 2 | extend Twice = Arr * 2) | order by Id asc, i asc`);
  assert.deepEqual(schema(idx), ['Id:Int32', 'Arr:Int64', 'i:Int64', 'Twice:Int64']);
  assert.deepEqual(idx.rows, [{ Id: 0, Arr: 3, i: 2, Twice: 6 }, { Id: 1, Arr: 8, i: 2, Twice: 16 }, { Id: 1, Arr: 7, i: 3, Twice: 14 }]);
});

test('mv-apply: several arrays side by side; the subquery sees the row and lets', async () => {
  const r = await run(`let Min = 2;
    datatable(K:string, A:dynamic, B:dynamic)['x', dynamic(['a', 'b', 'c']), dynamic([1, 5, 9]), 'y', dynamic(['d']), dynamic([7])]
    | mv-apply A to typeof(string), B to typeof(long) on (where B > Min | summarize s = strcat_array(make_list(strcat(K, A)), '+'), n = sum(B))
    | order by K asc`);
  assert.deepEqual(r.rows, [{ K: 'x', s: 'xb+xc', n: 14 }, { K: 'y', s: 'yd', n: 7 }]);
});

const METRIC = `datatable(Ts:datetime, Host:string, Bytes:long)[
  datetime(2024-05-01 00:10), 'a', 10, datetime(2024-05-01 00:50), 'a', 5, datetime(2024-05-01 02:00), 'a', 7,
  datetime(2024-05-01 01:30), 'b', 1, datetime(2024-05-01 04:00), 'b', 100, datetime(2024-04-30 23:00), 'b', 50]`;

test('make-series: arrays over from..to (end excluded) by step, absent bins take the default', async () => {
  const r = await run(`${METRIC} | make-series total = sum(Bytes), n = count() default = -1 on Ts from datetime(2024-05-01) to datetime(2024-05-01 03:00) step 1h by Host | order by Host asc`);
  assert.deepEqual(schema(r), ['Host:String', 'total:Object', 'n:Object', 'Ts:Object']);
  const axis = ['2024-05-01T00:00:00.0000000Z', '2024-05-01T01:00:00.0000000Z', '2024-05-01T02:00:00.0000000Z'];
  assert.deepEqual(r.rows, [
    { Host: 'a', total: [15, 0, 7], n: [2, -1, 1], Ts: axis },
    { Host: 'b', total: [0, 1, 0], n: [-1, 1, -1], Ts: axis },
  ]);
});

test('make-series: in range(), no by, and the data\'s own range without from/to', async () => {
  const r = await run(`${METRIC} | make-series avg(Bytes) on Ts in range(datetime(2024-05-01), datetime(2024-05-01 02:00), 1h)`);
  assert.deepEqual(r.rows, [{ avg_Bytes: [7.5, 1], Ts: ['2024-05-01T00:00:00.0000000Z', '2024-05-01T01:00:00.0000000Z'] }]);
  const own = await run(`${METRIC} | where Host == 'a' | make-series c = count() on Ts step 1h`);
  assert.deepEqual(own.rows, [{ c: [2, 0, 1], Ts: ['2024-05-01T00:00:00.0000000Z', '2024-05-01T01:00:00.0000000Z', '2024-05-01T02:00:00.0000000Z'] }]);
  const none = await run(`${METRIC} | take 0 | make-series c = count() on Ts from datetime(2024-05-01) to datetime(2024-05-02) step 1h | count`);
  assert.deepEqual(none.rows, [{ Count: 0 }]);
  const num = await run(`range x from 1 to 10 step 1 | make-series s = sum(x) on x in range(0, 10, 3)`);
  assert.deepEqual(num.rows, [{ s: [3, 12, 21, 9], x: [0, 3, 6, 9] }]);
});

test('the probe keeps to the query\'s timeout', async () => {
  await assert.rejects(runQuery(store, 'range x from 1 to 10000000 step 1 | extend d = bag_pack(tostring(x % 1000), x) | evaluate bag_unpack(d)', { timeoutMs: 20 }), /^KqlError: query timed out after 20 ms$|query timed out after 20 ms/);
});

test('mv-expand and mv-apply limit: at most n items from each row', async () => {
  const T = 'datatable(a:long, l:dynamic)[1, dynamic([1, 2, 3, 4]), 2, dynamic([5, 6])]';
  const e = await run(`${T} | mv-expand x = l to typeof(long) limit 2 | project a, x | order by a asc, x asc`);
  assert.deepEqual(e.rows, [{ a: 1, x: 1 }, { a: 1, x: 2 }, { a: 2, x: 5 }, { a: 2, x: 6 }]);
  const ap = await run(`${T} | mv-apply x = l to typeof(long) limit 3 on (summarize s = sum(x)) | project a, s | order by a asc`);
  assert.deepEqual(ap.rows, [{ a: 1, s: 6 }, { a: 2, s: 11 }]);
});

const NETS = `datatable(network:string, site:string, zone:string)[
  "10.1.0.0/16", "hq", "a",
  "10.1.2.0/24", "hq-lab", "a",
  "192.168.7.9", "printer", "b",
  "172.16.0.0/12", "vpn", "b",
  "0.0.0.0/0", "anywhere", "z"]`;
const HOSTS = `datatable(ip:string, zone:string, n:long)[
  "10.1.2.3", "a", 1,
  "10.1.9.9", "a", 2,
  "192.168.7.9", "b", 3,
  "192.168.7.10", "b", 4,
  "172.31.255.255", "b", 5,
  "fe80::1", "a", 6,
  "", "a", 7]`;

test('ipv4_lookup: every range holding the address (a.b.c.d/n or one address), extra keys equal; unmatched rows only when asked', async () => {
  const q = (args: string) => `let Nets = ${NETS}; ${HOSTS} | evaluate ipv4_lookup(Nets, ip, network${args})`;
  const inner = await run(q(', zone'));
  // the binder's columns: the source's, then the lookup's that the source lacks (zone is an extra key: once)
  assert.deepEqual(schema(inner), ['ip:String', 'zone:String', 'n:Int64', 'network:String', 'site:String']);
  const key = (r: Record<string, unknown>) => `${r.n} ${r.network}`;
  // worked out by hand: 10.1.2.3 is in the /16 and the /24; 10.1.9.9 only in the /16; 192.168.7.9 is the printer;
  // 192.168.7.10 is in nothing of zone b; 172.31.255.255 is the last address of 172.16.0.0/12; 0.0.0.0/0 is zone z
  assert.deepEqual(inner.rows.map(key).sort(), ['1 10.1.0.0/16', '1 10.1.2.0/24', '2 10.1.0.0/16', '3 192.168.7.9', '5 172.16.0.0/12']);
  const all = await run(q(', zone, return_unmatched = true'));
  assert.deepEqual(all.rows.map(key).sort(), ['1 10.1.0.0/16', '1 10.1.2.0/24', '2 10.1.0.0/16', '3 192.168.7.9', '4 ', '5 172.16.0.0/12', '6 ', '7 ']);
  assert.deepEqual(all.rows.find((r) => r.n === 4), { ip: '192.168.7.10', zone: 'b', n: 4, network: '', site: '' });
  // without the extra key the catch-all range matches every IPv4 address
  const any = await run(`let Nets = ${NETS}; ${HOSTS} | evaluate ipv4_lookup(Nets, ip, network) | where site == "anywhere" | project n`);
  assert.deepEqual(any.rows.map((r) => r.n).sort(), [1, 2, 3, 4, 5]);
});
