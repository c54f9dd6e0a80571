// range(), make_string(), base64_decode_toarray(), indexof_regex(), ipv4_is_in_any_range(),
// bag_zip() and a few corpus fixes, against values worked out by hand from Kusto's documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuery } from '../../src/kql/index.js';
import { printStore } from './print-row.js';
const { row, store } = printStore(new Date('2024-05-01T12:00:00Z'));


test('range(): stop included, any direction, numbers, datetimes and timespans', async () => {
  assert.deepEqual(await row('print a = range(1, 10, 3), b = range(5, 1, -2), c = range(1.0, 2.0, 0.5), f = range(0, -1, 2), g = range(1, 3)'),
    { a: [1, 4, 7, 10], b: [5, 3, 1], c: [1, 1.5, 2], f: [], g: [1, 2, 3] });
  assert.deepEqual(await row('print d = range(datetime(2024-01-01), datetime(2024-01-02), 12h), e = range(1h, 3h, 1h)'),
    { d: ['2024-01-01T00:00:00.0000000Z', '2024-01-01T12:00:00.0000000Z', '2024-01-02T00:00:00.0000000Z'], e: ['01:00:00', '02:00:00', '03:00:00'] });
  assert.deepEqual(await row('print h = range(1h, 3h), n = array_length(range(1, 1000000000))'), { h: ['01:00:00', '02:00:00', '03:00:00'], n: 1048576 });
  // as mv-apply / mv-expand input
  const r = await runQuery(store(), 'print s = "abcdef" | mv-expand i = range(0, strlen(s) - 2, 2) to typeof(long) | project p = substring(s, i, 2)');
  assert.deepEqual(r.rows, [{ p: 'ab' }, { p: 'cd' }, { p: 'ef' }]);
});

test('make_string(): code points and arrays of them', async () => {
  assert.deepEqual(await row('print a = make_string(75, 117, 115, 116, 111), b = make_string(dynamic([75, 117]), 33)'), { a: 'Kusto', b: 'Ku!' });
});

test('base64_decode_toarray(): the bytes', async () => {
  assert.deepEqual(await row('print a = base64_decode_toarray("S3VzdG8=")'), { a: [75, 117, 115, 116, 111] });
});

test('indexof_regex(): first match, from a start, -1 when none', async () => {
  assert.deepEqual(await row('print a = indexof_regex("abcabc", "c."), b = indexof_regex("abcabc", "x"), c = indexof_regex("abcabc", "a", 1), d = indexof_regex("abcabc", "[bc]+")'),
    { a: 2, b: -1, c: 3, d: 1 });
  // length and occurrence: the n-th non-overlapping match inside the region; a negative start is null
  assert.deepEqual(await row('print a = indexof_regex("abcabcdefg", "a.c", 0, 9, 2), b = indexof_regex("abcabc", "a.c", 1, -1, 2), c = indexof_regex("ababaa", "a.a", 0, -1, 2), d = indexof_regex("abcabc", "b", 0, 2), e = indexof_regex("abcabc", "b", 0, 1), f = indexof_regex("abc", "a", -1)'),
    { a: 3, b: -1, c: -1, d: 1, e: -1, f: null });
});

test('ipv4_is_in_any_range(): several ranges or an array of them', async () => {
  assert.deepEqual(await row('print a = ipv4_is_in_any_range("10.1.2.3", "192.168.0.0/16", "10.0.0.0/8"), b = ipv4_is_in_any_range("10.1.2.3", dynamic(["192.168.0.0/16", "11.0.0.0/8"])), c = ipv4_is_in_any_range("192.168.5.1", dynamic(["10.0.0.0/8", "192.168.5.0/24"]))'),
    { a: true, b: false, c: true });
});

test('bag_zip(): keys and values into a bag', async () => {
  assert.deepEqual(await row('print a = bag_zip(dynamic(["a", "b"]), dynamic([1, "x"])), b = bag_zip(dynamic(["a", 8, "b"]), dynamic([1, 2, 3])), c = bag_zip(dynamic(["a", "b"]), dynamic([1]))'),
    { a: { a: 1, b: 'x' }, b: { a: 1, b: 3 }, c: { a: 1, b: null } });
  assert.deepEqual(await row('datatable(k:dynamic, v:dynamic)[dynamic("a"), dynamic([1])] | project z = bag_zip(k, v)'), { z: null });
});

test('notempty() and notnull() are isnotempty() and isnotnull(); toscalar() of a scalar is the value', async () => {
  assert.deepEqual(await row('print a = notempty(""), b = notempty("x"), c = notnull(int(null)), d = toscalar(array_length(dynamic([1, 2, 3])))'), { a: false, b: true, c: false, d: 3 });
});

test('next() with a default of another type takes the value\'s type', async () => {
  const r = await runQuery(store(), 'datatable(t:datetime)[datetime(2024-01-01), datetime(2024-01-02)] | order by t asc | extend gap = next(t, 1, 0) - t | project isnull(gap), g = gap > 0d', { now: new Date() });
  assert.deepEqual(r.rows.map((x) => x.g), [true, false]);
});

test('union of inputs that each take rows', async () => {
  const r = await runQuery(store(), 'range x from 1 to 5 step 1 | take 2 | union (range x from 10 to 15 step 1 | take 3) | count');
  assert.deepEqual(r.rows, [{ Count: 5 }]);
});

test('two arg_max(…, *) in one summarize: the second copy of each column is found under its numbered name', async () => {
  const r = await runQuery(store(), `datatable(k:string, t:long, SHA1:string)['a', 1, 'x', 'a', 3, 'y', 'a', 2, 'z']
    | summarize Last = arg_max(t, *), First = arg_min(t, *) by k`);
  assert.deepEqual(r.rows, [{ k: 'a', Last: 3, SHA1: 'y', First: 1, SHA11: 'x' }]);
});

test('series_*: element-wise over arrays, or an array and a scalar', async () => {
  assert.deepEqual(await row('print a = series_add(dynamic([1,2,4]), dynamic([4,2,1])), b = series_greater(dynamic([1,2,4]), dynamic([4,2,1])), c = series_multiply(dynamic([1,2]), 3), d = series_subtract(10, dynamic([1,2])), i = series_sign(dynamic([-6,0,8])), k = series_floor(dynamic([-1.5,1,2.5]))'),
    { a: [5, 4, 5], b: [false, false, true], c: [3, 6], d: [9, 8], i: [-1, 0, 1], k: [-2, 1, 2] });
  assert.deepEqual(await row('print d = series_fill_forward(dynamic([null, null, 36, 41, null, null, 16, null])), e = series_fill_backward(dynamic([null, 2, null, 5, null])), j = series_fill_const(dynamic([1, null, 3]), 0)'),
    { d: [null, null, 36, 41, 41, 41, 16, 16], e: [2, 2, 5, 5, null], j: [1, 0, 3] });
  // the documented results of series_acos/atan/cos/asin over [-1, 0, 1]
  assert.deepEqual(await row('print a = series_acos(dynamic([-1, 0, 1])), t = series_atan(dynamic([-1, 0, 1])), c = series_cos(dynamic([-1, 0, 1])), s = series_asin(dynamic([-1, 0, 1]))'),
    { a: [Math.PI, Math.PI / 2, 0], t: [-Math.PI / 4, 0, Math.PI / 4], c: [Math.cos(1), 1, Math.cos(1)], s: [-Math.PI / 2, 0, Math.PI / 2] });
  assert.deepEqual(await row('print g = series_dot_product(dynamic([1,2,3]), dynamic([4,5,6])), h = series_magnitude(dynamic([3,4]))'), { g: 32, h: 5 });
  const s = (await row('print s = series_stats_dynamic(dynamic([23, 46, 23, 87, 4, 8, 3, 75, 2, 56, 13, 75, 32, 16, 29]))')).s as Record<string, number>;
  assert.deepEqual({ ...s, stdev: Math.round(s.stdev! * 1e6) / 1e6, variance: Math.round(s.variance! * 1e6) / 1e6 },
    { min: 2, min_idx: 8, max: 87, max_idx: 3, avg: 32.8, stdev: 28.503634, variance: 812.457143, sum: 492, len: 15 });
});

test('null literals inside dynamic values', async () => {
  assert.deepEqual(await row('print a = dynamic([1, null, "x"]), b = dynamic({"k": null})'), { a: [1, null, 'x'], b: { k: null } });
});

test('negative numbers inside dynamic literals stay numbers', async () => {
  assert.deepEqual(await row('print a = dynamic([-1, 2.5, -0.5]), b = dynamic({"x": -3})'), { a: [-1, 2.5, -0.5], b: { x: -3 } });
});

test('parse_csv(): quoted fields, doubled quotes, only the first record', async () => {
  const r = await row(`print a = parse_csv('aa,"b,b,b",cc,"Escaping quotes: ""Title""","line1\\nline2"'), b = parse_csv('record1,a,b,c\\nrecord2,x,y,z'), c = parse_csv('x,,')`);
  assert.deepEqual(r, { a: ['aa', 'b,b,b', 'cc', 'Escaping quotes: "Title"', 'line1\nline2'], b: ['record1', 'a', 'b', 'c'], c: ['x', '', ''] });
});

test('array_sort_asc/desc: numbers by value, nulls last unless told otherwise; bag_keys of a non-bag is null', async () => {
  assert.deepEqual(await row('print a = array_sort_desc(dynamic([null, "blue", "yellow", "green", null])), b = array_sort_asc(dynamic([10, 9, 1.5, null, 100])), c = array_sort_asc(dynamic([3, null, 1]), false), d = array_sort_desc(dynamic([3, 10, 2]))'),
    { a: ['yellow', 'green', 'blue', null, null], b: [1.5, 9, 10, 100, null], c: [null, 1, 3], d: [10, 3, 2] });
  const r = await runQuery(store(), 'datatable(d:dynamic)[dynamic([]), dynamic("a"), dynamic({"x": 1, "y": 2})] | extend k = bag_keys(d)');
  assert.deepEqual(r.rows.map((x) => x.k), [null, null, ['x', 'y']]);
});

test('series_stats() and series_fit_line() add one column per field, named as the binder names them', async () => {
  const r = await runQuery(store(), 'print x = dynamic([1, 5, 3]) | extend (lo, lo_i) = series_stats(x), k = 1 | project-away x');
  assert.deepEqual(r.schema.map((s) => s.Name), ['lo', 'lo_i', 'series_stats_x_max', 'series_stats_x_max_idx', 'series_stats_x_avg', 'series_stats_x_stdev', 'series_stats_x_variance', 'k']);
  assert.deepEqual(r.rows, [{ lo: 1, lo_i: 0, series_stats_x_max: 5, series_stats_x_max_idx: 1, series_stats_x_avg: 3, series_stats_x_stdev: 2, series_stats_x_variance: 4, k: 1 }]);
  // y = 2x + 1 at x = 1..4, plus noise that cancels: slope 2, interception 1
  // the documented example: RSquare 0.982, Slope 2.730, Variance 98.628, RVariance 1.686, Interception -1.666
  const d = await row('print y = dynamic([2, 5, 6, 8, 11, 15, 17, 18, 25, 26, 30, 30]) | project (r2, slope, v, rv, ic, fit) = series_fit_line(y)');
  assert.deepEqual([d.r2, d.slope, d.v, d.rv, d.ic].map((x) => Math.trunc(Number(x) * 1000) / 1000), [0.982, 2.73, 98.628, 1.686, -1.666]);
  assert.equal(Math.round((d.fit as number[])[0]! * 1000) / 1000, 1.064);
  const f = await row('print y = dynamic([3, 5, 7, 9]) | project (r2, slope, v, rv, ic, fit) = series_fit_line(y)');
  assert.deepEqual(f, { r2: 1, slope: 2, v: 20 / 3, rv: 0, ic: 1, fit: [3, 5, 7, 9] });
});

test('converting text that is not a number gives null', async () => {
  assert.deepEqual(await row('print a = coalesce(tolong("not a number"), tolong("42"), 33), b = todouble("x"), d = tolong(""), e = toint("12")'), { a: 42, b: null, d: null, e: 12 });
});

test('where on a window function (row_number(), prev()) after serialize', async () => {
  const r = await runQuery(store(), 'range x from 1 to 10 step 1 | serialize | where row_number() == 3 or prev(x) == 7 | extend n = row_number()');
  assert.deepEqual(r.rows, [{ x: 3, n: 1 }, { x: 8, n: 2 }]);
});
