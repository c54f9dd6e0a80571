// row_cumsum()'s and row_number()'s restart, pack_all(), parse_url()'s query parameters and parse_urlquery(), x.[key],
// the covariance aggregates, and arguments that used to be dropped unread (countof's kind, hash's
// modulo, set_difference's third array): expected values worked out by hand from Kusto's documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printStore } from './print-row.js';
import { dropsArguments } from '../../src/kql/sql/dialect.js';
import { duckdb } from '../../src/kql/sql/duckdb/dialect.js';
const { row, rows } = printStore(new Date('2024-05-01T12:00:00Z'));

const SERIES = 'datatable (a:long, b:string) [1,"x", 2,"x", 3,"y", 4,"y", 5,"x"]';

test('row_cumsum(term, restart): the sum starts again where restart is true, rows in their serialized order', async () => {
  // restart where b changes (prev() inside the restart argument): runs x x | y y | x
  assert.deepEqual(await rows(`${SERIES} | serialize c = row_cumsum(a, b != prev(b)), d = row_cumsum(a)`), [
    { a: 1, b: 'x', c: 1, d: 1 }, { a: 2, b: 'x', c: 3, d: 3 }, { a: 3, b: 'y', c: 3, d: 6 }, { a: 4, b: 'y', c: 7, d: 10 }, { a: 5, b: 'x', c: 5, d: 15 },
  ]);
  // after a sort, in a filter, and read by a later prev()
  assert.deepEqual(await rows('datatable (a:long) [3,1,2] | sort by a asc | project a, c = row_cumsum(a, prev(a, 1, 0) == 1)'), [{ a: 1, c: 1 }, { a: 2, c: 2 }, { a: 3, c: 5 }]);
  assert.deepEqual(await rows(`${SERIES} | serialize | where row_cumsum(a, b != prev(b)) > 2 | project a`), [{ a: 2 }, { a: 3 }, { a: 4 }, { a: 5 }]);
  assert.deepEqual(await rows('datatable (a:long) [1,2,3,4] | serialize c = row_cumsum(a, a % 2 == 1) | project c, p = prev(c)'), [{ c: 1, p: null }, { c: 3, p: 1 }, { c: 3, p: 3 }, { c: 7, p: 3 }]);
  // runs of 1000 over 20,000 rows: the first run sums 1..1000, the last 19001..20000
  assert.deepEqual(await rows('range x from 1 to 20000 step 1 | serialize c = row_cumsum(x, x % 1000 == 1) | where x % 1000 == 0 | summarize n = dcount(c), lo = min(c), hi = max(c)'), [{ n: 20, lo: 500500, hi: 19500500 }]);
});

test('row_number(start, restart): numbered from start again where restart is true', async () => {
  assert.deepEqual((await rows(`${SERIES} | serialize n = row_number(1, b != prev(b)), m = row_number(10)`)).map((r) => [r.n, r.m]), [[1, 10], [2, 11], [1, 12], [2, 13], [1, 14]]);
  assert.deepEqual(await rows('datatable (a:long) [5,3,4] | order by a asc | extend n = row_number(0, a == 4)'), [{ a: 3, n: 0 }, { a: 4, n: 0 }, { a: 5, n: 1 }]);
});

test('pack_all(): the input row as a bag; pack_all(true) leaves out nulls and empty strings', async () => {
  const r = await rows("datatable(Source:string, Target:string, CharsCount:long) ['555-1313', '', 42, 'x', 'y', long(null)] | extend Packed = pack_all(), Kept = pack_all(true)");
  assert.deepEqual(r[0], { Source: '555-1313', Target: '', CharsCount: 42, Packed: { Source: '555-1313', Target: '', CharsCount: 42 }, Kept: { Source: '555-1313', CharsCount: 42 } });
  assert.deepEqual(r[1]!.Packed, { Source: 'x', Target: 'y', CharsCount: null });
  assert.deepEqual(r[1]!.Kept, { Source: 'x', Target: 'y' });
  assert.deepEqual(await row('print a = 1, d = dynamic(null), t = datetime(2024-01-01) | project p = pack_all(true)'), { p: { a: 1, t: '2024-01-01T00:00:00.0000000Z' } });
  // inside an aggregate
  assert.deepEqual(await rows('datatable(a:long, b:string) [1,"x", 2,"y", 1,"z"] | summarize l = make_list(pack_all()) by a | order by a asc'), [
    { a: 1, l: [{ a: 1, b: 'x' }, { a: 1, b: 'z' }] }, { a: 2, l: [{ a: 2, b: 'y' }] },
  ]);
});

test("parse_url(): the query's parameters, decoded; parse_urlquery(); x.[key]", async () => {
  const u = await row('print r = parse_url("https://u:p@host:8080/a/b?k1=v1&k2=v%202&k1=x+y&flag#frag")');
  assert.deepEqual(u.r, { Scheme: 'https', Host: 'host', Port: '8080', Path: '/a/b', Username: 'u', Password: 'p', 'Query Parameters': { k1: 'v1,x y', k2: 'v 2' }, Fragment: 'frag' });
  assert.deepEqual((await row('print r = parse_url("http://h/p")')).r, { Scheme: 'http', Host: 'h', Port: '', Path: '/p', Username: '', Password: '', 'Query Parameters': {}, Fragment: '' });
  assert.deepEqual(await row('print r = parse_urlquery("k1=v1&k2=v2&k3=v3")'), { r: { 'Query Parameters': { k1: 'v1', k2: 'v2', k3: 'v3' } } });
  assert.deepEqual(await row('print d = dynamic({"a": {"b": 1}}), k = "b" | project w = d["a"].[k], x = tostring(d.a.[k]), y = d.["a"].b'), { w: 1, x: '1', y: 1 });
  const f = 'let param = (q: string, p: string) { tostring(parse_urlquery(q)["Query Parameters"].[p]) };';
  assert.deepEqual(await row(`${f} print v = param("view=vs-2019&preserve-view=true", "view"), w = param("view=vs-2019&preserve-view=true", "preserve-view")`), { v: 'vs-2019', w: 'true' });
});

test('covariance(), covariancep(), covarianceif(), variancepif()', async () => {
  // x 1..5, y 14 10 17 20 50: sum of (x - 3)(y - 22.2) = 82, /4 and /5; for x > 1, 61.5 / 3
  const xy = 'datatable(x:real, y:real) [1.0, 14.0, 2.0, 10.0, 3.0, 17.0, 4.0, 20.0, 5.0, 50.0]';
  assert.deepEqual(await rows(`${xy} | summarize s = covariance(x, y), p = covariancep(x, y), i = covarianceif(x, y, x > 1)`), [{ s: 20.5, p: 16.4, i: 20.5 }]);
  // population variance of 2, 4, …, 100: 4 × (50² - 1) / 12
  assert.deepEqual(await rows('range x from 1 to 100 step 1 | summarize v = variancepif(x, x % 2 == 0)'), [{ v: 833 }]);
});

test("countof(): plain matches overlap, regex ones do not (the documentation's table)", async () => {
  assert.deepEqual(await row('print a = countof("aaa", "a"), b = countof("aaaa", "aa"), c = countof("ababa", "ab", "normal"), d = countof("ababa", "aba"), e = countof("ababa", "aba", "regex"), f = countof("abcabc", "a.c", "regex"), g = countof("abcdefedcba", "[abc]", "regex"), h = countof("abc1234abcd1234", "[0-9]+", "regex"), i = countof("Hello, world!", "l"), j = countof("x", "")'),
    { a: 3, b: 3, c: 2, d: 2, e: 1, f: 2, g: 6, h: 2, i: 3, j: 0 });
  // a search from a column is tried at every position
  assert.deepEqual(await rows('datatable(s:string, t:string) ["aaaa", "aa", "abab", "ab"] | project n = countof(s, t)'), [{ n: 3 }, { n: 2 }]);
});

test('hash(x, mod) is below mod; set_difference() of three arrays, distinct values in first-seen order', async () => {
  const h = await row('print a = hash("World", 100), b = hash("x", 7)');
  assert.ok((h.a as number) >= 0 && (h.a as number) < 100 && (h.b as number) >= 0 && (h.b as number) < 7, JSON.stringify(h));
  assert.deepEqual(await row('print d = set_difference(dynamic([4, 1, 2, 4, 3, 3]), dynamic([1]), dynamic([2, 9]))'), { d: [4, 3] });
});

test('a text template with no place for an argument is refused unless it says why it ignores it', () => {
  assert.equal(dropsArguments({ sql: 'f({0}, {1})' }, 2), false);
  assert.equal(dropsArguments({ sql: 'f({0})' }, 2), true);
  assert.equal(dropsArguments({ sql: 'f({*})' }, 5), false);
  assert.equal(dropsArguments({ sql: 'f({0})', ignores: 'the second is moot' }, 2), false);
  // no catalog entry drops more than its declared arguments
  for (const [name, t] of [...Object.entries(duckdb.functions), ...Object.entries(duckdb.aggregates)]) {
    if (t.args && !t.ignores) assert.equal(dropsArguments(t, t.args.length), false, name);
  }
});

test('set_intersect() of three arrays; series_fill_*() with a placeholder for missing values; array_sort of several arrays is refused', async () => {
  assert.deepEqual(await row('print a = set_intersect(dynamic([1, 2, 3, 4]), dynamic([2, 3, 4]), dynamic([3, 4, 5]))'), { a: [3, 4] });
  assert.deepEqual(await row('print a = series_fill_forward(dynamic([1, 0, 0, 5]), 0), b = series_fill_backward(dynamic([0, 2, 0]), 0), c = series_fill_const(dynamic([1, 0, 5]), 9, 0), d = series_fill_forward(dynamic([null, 2, null, 4]))'),
    { a: [1, 1, 1, 5], b: [2, 2, 0], c: [1, 9, 5], d: [null, 2, 2, 4] });
  await assert.rejects(rows('let a1 = dynamic([3, 1, 2]); let a2 = dynamic(["c", "a", "b"]); print p = array_sort_asc(a1, a2)'), /array_sort_asc\(\) of several arrays/);
});

test('series_cosine_similarity(), series_pearson_correlation(), jaccard_index()', async () => {
  // (0.1·1 + 0.2·2 + 0.1·3 + 0.2·4) / (√0.1 · √30) = 1.6 / √3
  const c = await row('print c = series_cosine_similarity(dynamic([0.1, 0.2, 0.1, 0.2]), dynamic([1, 2, 3, 4]))');
  assert.ok(Math.abs((c.c as number) - 1.6 / Math.sqrt(3)) < 1e-12, String(c.c));
  // y = 5 3 4 1 2 against x = 1..5: Σ dx·dy = -8, Σ dx² = Σ dy² = 10
  assert.deepEqual(await row('print p = series_pearson_correlation(dynamic([1, 2, 3, 4, 5]), dynamic([5, 3, 4, 1, 2])), q = series_pearson_correlation(dynamic([1, 2, 3]), dynamic([2, 4, 6]))'), { p: -0.8, q: 1 });
  assert.deepEqual(await row('print a = jaccard_index(dynamic([1, 2, 3]), dynamic([1, 2, 3, 4])), b = jaccard_index(dynamic(["a", "b", "b"]), dynamic(["b", "c"]))'), { a: 0.75, b: 1 / 3 });
});

test('take_any(a, b) and take_any(*): every column from the same row', async () => {
  const t = 'datatable(a:long, b:string, c:long) [1, "x", 5, 1, "y", 6, 2, "z", 7]';
  for (const q of [`${t} | summarize take_any(b, c) by a`, `${t} | summarize take_any(*) by a`]) {
    const r = await rows(`${q} | order by a asc`);
    assert.deepEqual(r.map((x) => Object.keys(x)), [['a', 'b', 'c'], ['a', 'b', 'c']], q);
    assert.ok((r[0]!.b === 'x' && r[0]!.c === 5) || (r[0]!.b === 'y' && r[0]!.c === 6), JSON.stringify(r[0]));
    assert.deepEqual(r[1], { a: 2, b: 'z', c: 7 });
  }
  // over 3 million rows read by two threads, nulls included
  assert.deepEqual(await rows('range x from 1 to 3000000 step 1 | extend y = iff(x % 3 == 0, long(null), x * 2), k = x % 7 | summarize take_any(x, y) by k | where (isnull(y) and x % 3 != 0) or (isnotnull(y) and y != 2 * x) | count'), [{ Count: 0 }]);
});

test('row_rank_min() and row_rank_dense(): equal consecutive terms share a rank, counted again after a restart', async () => {
  const t = 'datatable(Category:string, Item:string, Value:int) ["A", "item1", 10, "A", "item2", 10, "A", "item3", 5, "A", "item4", 20, "B", "item2", 5, "B", "item1", 7]';
  const r = await rows(`${t} | sort by Category asc, Value asc | extend m = row_rank_min(Value, Category != prev(Category)), d = row_rank_dense(Value, Category != prev(Category)), m2 = row_rank_min(Value), d2 = row_rank_dense(Value)`);
  assert.deepEqual(r.map((x) => [x.Category, x.Value, x.m, x.d, x.m2, x.d2]), [
    ['A', 5, 1, 1, 1, 1], ['A', 10, 2, 2, 2, 2], ['A', 10, 2, 2, 2, 2], ['A', 20, 4, 3, 4, 3], ['B', 5, 1, 1, 5, 4], ['B', 7, 2, 2, 6, 5],
  ]);
});
