// The rows' JSON text (what the API and `wirehunt query --format json` write) against the encoding it has
// always had: JSON.stringify of the parsed rows, Defender's formats per Kusto type. The fast path copies
// DuckDB's text; these pin the cases where DuckDB and JavaScript write JSON differently.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openStore, type Store } from '../../src/store/index.js';
import { runQuery, type QueryResult } from '../../src/kql/index.js';

let store: Store;
before(async () => { store = await openStore(':memory:'); });
after(() => store.close());
const now = new Date('2024-05-01T12:00:00Z');

const textOf = (r: QueryResult): string => Buffer.concat(r.resultsJson.parts).toString('utf8');

/** Runs on the fast path and on the typed path (values fetched and encoded one by one in JS); both must agree. */
async function both(q: string, maxRows?: number): Promise<{ fast: QueryResult; text: string }> {
  const fast = await runQuery(store, q, { now, maxRows });
  const typed = await runQuery(store, q, { now, maxRows, typeCheck: true });
  assert.deepEqual(typed.stats.typeMismatches, []);
  const text = textOf(fast);
  assert.equal(fast.resultsJson.byteLength, Buffer.byteLength(text));
  assert.equal(text, JSON.stringify(typed.rows), 'fast text = JSON.stringify of the typed rows');
  // rows are the text parsed (so a -0 reads back as 0, as every API client reads it)
  assert.deepEqual(fast.rows, JSON.parse(text));
  assert.equal(fast.stats.rowCount, typed.rows.length);
  assert.equal(fast.truncated, typed.truncated);
  return { fast, text };
}

// Row 1: values DuckDB writes differently from JavaScript (re-encoded); row 2: every type on the copy path; row 3: nulls.
const EVERY_TYPE = `range id from 1 to 3 step 1
| extend d = case(id == 1, datetime(2024-05-01T12:34:56.1234567Z), id == 2, datetime(1969-12-31T23:59:59.999999Z), datetime(null)),
  t = case(id == 1, time(1.02:03:04.5), id == 2, -time(00:00:01), timespan(null)),
  b = case(id == 1, true, id == 2, false, bool(null)),
  i = case(id == 1, int(42), id == 2, int(-7), int(null)),
  l = case(id == 1, 9007199254740993, id == 2, -5, long(null)),
  r = case(id == 1, 1e20, id == 2, 3.0, real(null)),
  r2 = case(id == 1, real(nan), id == 2, 0.1, real(-inf)),
  r3 = case(id == 1, 1e-7, id == 2, -0.0, real(+inf)),
  g = iff(id == 3, toguid(''), guid(3d2a6f1c-1b2a-4c3d-9e8f-0a1b2c3d4e5f)),
  s = case(id == 1, 'q"b\\\\\\t\\u001f\\u000b é 😀', id == 2, 'plain "quoted" \\\\ é', ''),
  j = case(id == 1, todynamic('{"b":1.0,"1":2,"a":1e2,"s":"\\\\u001F"}'), id == 2, todynamic('{ "x": "y", "n": [1, 2.5, null, true], "e": "\\\\u00e9\\\\/" }'), todynamic(''))`;

test('every Kusto type is encoded as the API always encoded it', async () => {
  const { text } = await both(EVERY_TYPE);
  const expected = [
    String.raw`{"id":1,"d":"2024-05-01T12:34:56.1234560Z","t":"1.02:03:04.5000000","b":true,"i":42,"l":9007199254740992,"r":100000000000000000000,"r2":"NaN","r3":1e-7,"g":"3d2a6f1c-1b2a-4c3d-9e8f-0a1b2c3d4e5f","s":"q\"b\\\t\u001f\u000b é 😀","j":{"1":2,"b":1,"a":100,"s":"\u001f"}}`,
    String.raw`{"id":2,"d":"1969-12-31T23:59:59.9999990Z","t":"-00:00:01","b":false,"i":-7,"l":-5,"r":3,"r2":0.1,"r3":0,"g":"3d2a6f1c-1b2a-4c3d-9e8f-0a1b2c3d4e5f","s":"plain \"quoted\" \\ é","j":{"x":"y","n":[1,2.5,null,true],"e":"é/"}}`,
    String.raw`{"id":3,"d":null,"t":null,"b":null,"i":null,"l":null,"r":null,"r2":"-Infinity","r3":"Infinity","g":"","s":"","j":null}`,
  ];
  assert.equal(text, `[${expected.join(',')}]`);
});

test('each value DuckDB and JavaScript write differently, alone in its row, comes out as JavaScript writes it', async () => {
  // one trigger per row, the rest of the row copied as DuckDB wrote it
  const q = `datatable(k:string, raw:string)[
    "exp", '{"v":1e3}', "zero-frac", '{"v":[2.0,-0.0,-10.000,1.0e2,"7.0"]}', "long-digits", '{"v":1234567890123456789}', "int-key", '{"z":1,"7":2}',
    "escape", '{"v":"\\\\u001B"}', "plain", '{"v":[1.25,-3,"1.0e5 stays a string"]}']
    | extend j = todynamic(raw), s = iff(k == "escape", "\\u001e", k), big = iff(k == "long-digits", 123456789012345678, 1), whole = iff(k == "zero-frac", 1e16, 2.5)`;
  const { text } = await both(q);
  assert.match(text, /"k":"exp","raw":"\{\\"v\\":1e3\}","j":\{"v":1000\}/);
  assert.match(text, /"j":\{"v":\[2,0,-10,100,"7\.0"\]\}/);
  assert.match(text, /"j":\{"v":1234567890123456800\}/);
  assert.match(text, /"j":\{"7":2,"z":1\}/);
  assert.match(text, /"s":"\\u001e"/);
  assert.match(text, /"s":"long-digits","big":123456789012345680,/);
  assert.match(text, /"s":"zero-frac","big":1,"whole":10000000000000000\}/);
  assert.match(text, /"j":\{"v":\[1\.25,-3,"1\.0e5 stays a string"\]\}/);
});

test('zero fractions in numbers are dropped, in strings kept, with or without a string holding ".0"', async () => {
  // no string holds ".0": the replace that needs not skip strings; "v1.0" in a string: the one that skips them
  const q = `datatable(k:string, raw:string)[
    "numbers", '{"rtt":0.01,"TTLs":[300.0,10.50,1.000],"n":{"x":2.0},"s":"a.b"}', "mixed", '{"ver":"v1.0","TTLs":[300.0],"d":"x.0y"}',
    "minus-zero", '{"m":-0.0,"k":[-0,-0.00,-0.5]}', "scalar", '3.0', "escaped", '{"q":"\\\\\\\\.0\\\\"","n":4.0}',
    "no-zero-fraction", '{"rtt":0.00075,"d":1.05,"v":"x.0"}', "ip", '{"a":["10.0.0.1"],"n":7.0}']
    | extend j = todynamic(raw)`;
  const { text } = await both(q);
  assert.match(text, /"j":\{"rtt":0\.01,"TTLs":\[300,10\.5,1\],"n":\{"x":2\},"s":"a\.b"\}/);
  assert.match(text, /"j":\{"ver":"v1\.0","TTLs":\[300\],"d":"x\.0y"\}/);
  assert.match(text, /"j":\{"m":0,"k":\[0,0,-0\.5\]\}/);
  assert.match(text, /"k":"scalar","raw":"3\.0","j":3\}/);
  assert.match(text, /"j":\{"q":"\\\\\.0\\"","n":4\}/);
  // ".0" but no zero fraction anywhere: kept as it is; a zero fraction beside an address in a string
  assert.match(text, /"j":\{"rtt":0\.00075,"d":1\.05,"v":"x\.0"\}/);
  assert.match(text, /"j":\{"a":\["10\.0\.0\.1"\],"n":7\}/);
});

test('dynamic text is spliced into the row as it is only where JavaScript writes it the same', async () => {
  // spliced: minified, numbers as JavaScript writes them; rewritten (DuckDB's json(), then the JS rules):
  // whitespace, fractions ending in 0, numbers under 1e-6, "\/" in a string
  const raws = ['{"a":[1,2.5,null,true,false],"s":"x y","o":{}}', '"text"', '-12.25', '[]',
    '{ "a" : [1 , 2] }', ' [1]', '{"v":2.50}', '{"v":[0.0000001,0.000001]}', '{"u":"a\\/b"}', '{"n":1.10,"s":"1.10"}', '{"e":"\\u00e9"}'];
  const q = `datatable(raw:string)[${raws.map((r) => `@'${r}'`).join(', ')}] | extend j = todynamic(raw)`;
  const { fast } = await both(q);
  const got = (fast.rows as { raw: string; j: unknown }[]).map((r) => JSON.stringify(r.j));
  assert.deepEqual(got, raws.map((r) => JSON.stringify(JSON.parse(r))));
  const text = textOf(fast);
  assert.ok(text.includes('"j":{"a":[1,2.5,null,true,false],"s":"x y","o":{}}'));
  assert.ok(text.includes('"j":{"a":[1,2]}') && text.includes('"j":{"v":2.5}') && text.includes('"j":{"v":[1e-7,0.000001]}'));
  assert.ok(text.includes('"j":{"u":"a/b"}') && text.includes('"j":{"n":1.1,"s":"1.10"}') && text.includes('"j":{"e":"é"}'));
});

test('thousands of rows over several chunks: re-encoded rows in between, short rows, truncation', async () => {
  const q = `range i from 1 to 5000 step 1
    | extend s = strcat('row', i, iff(i % 997 == 0, '\\u001f', '')), r = iff(i % 1500 == 0, 1e20, i * 0.5),
      j = todynamic(iff(i % 1234 == 0, '{"a":1.0}', strcat('{"i":', i, '}')))`;
  const full = await both(q);
  assert.equal(full.fast.stats.rowCount, 5000);
  assert.equal(full.fast.truncated, false);
  const cut = await both(q, 4000);
  assert.equal(cut.fast.stats.rowCount, 4000);
  assert.equal(cut.fast.truncated, true);
  assert.ok(cut.text.endsWith('"j":{"i":4000}}]'));
  // rows of at most 12 bytes are stored inside DuckDB's vector, not in its string heap
  const short = await both('range i from 1 to 3000 step 1 | where i % 1000 != 0');
  assert.equal(short.text, JSON.stringify(Array.from({ length: 3000 }, (_, k) => k + 1).filter((i) => i % 1000 !== 0).map((i) => ({ i }))));
});

test('empty and sorted results', async () => {
  assert.equal((await both('range i from 1 to 10 step 1 | where i > 10')).text, '[]');
  const sorted = await both('range i from 1 to 3000 step 1 | extend k = i % 7 | sort by k desc, i asc | take 2500');
  const rows = sorted.fast.rows as { i: number; k: number }[];
  assert.equal(rows.length, 2500);
  for (let n = 1; n < rows.length; n++) assert.ok(rows[n - 1]!.k > rows[n]!.k || (rows[n - 1]!.k === rows[n]!.k && rows[n - 1]!.i < rows[n]!.i), `row ${n} out of order`);
});

test('the Results text stays intact after its result is dropped and DuckDB reuses the memory', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const q = `range i from 1 to 20000 step 1 | extend s = strcat('value number ', i, ' padded to a longer row text'), j = todynamic(strcat('{"k":', i, '}'))`;
  let r: QueryResult | null = await runQuery(store, q, { now });
  const { parts } = r.resultsJson;
  const before = Buffer.concat(parts).toString('utf8');
  assert.ok(parts.length < 200, `${parts.length} pieces: runs of adjacent rows are one piece`);
  r = null;
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20)); // finalizers of native objects run after the GC
    await runQuery(store, `range i from 1 to 20000 step 1 | extend s = strcat('other text ', i * 7, ' of another result')`, { now });
  }
  gc();
  assert.equal(Buffer.concat(parts).toString('utf8'), before);
  assert.ok(before.endsWith('"s":"value number 20000 padded to a longer row text","j":{"k":20000}}]'));
});
