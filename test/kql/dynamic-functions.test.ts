// Array and property-bag functions, trigonometry and bin_at(), against values worked out by hand
// from Kusto's documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printStore } from './print-row.js';
const { row } = printStore(new Date('2024-05-01T12:00:00Z'));


test('array_iff(): true / non-zero picks the first, false / 0 the second, anything else null; arrays element-wise', async () => {
  assert.deepEqual(await row('print a = array_iff(dynamic([1, 0, 50]), "yes", "no"), b = array_iff(dynamic(["s", 1.5, null, false]), 1, 0), c = array_iff(dynamic([true, true, true]), dynamic([1, 2]), dynamic([3, 4]))'),
    { a: ['yes', 'no', 'yes'], b: [null, 1, null, 0], c: [1, 2, null] });
});

test('array_shift_*, array_rotate_*, array_split(), array_sum(), zip()', async () => {
  assert.deepEqual(await row(`print a = array_shift_left(dynamic([1,2,3,4,5]), 2), b = array_shift_left(dynamic([1,2,3,4,5]), -2, -1), c = array_shift_right(dynamic([1,2,3,4,5]), 2, -1),
    d = array_shift_left(dynamic([1,2,3]), 1, "x"), e = array_rotate_left(dynamic([1,2,3,4,5]), -2), f = array_rotate_right(dynamic([1,2,3,4,5]), 7)`),
    { a: [3, 4, 5, null, null], b: [-1, -1, 1, 2, 3], c: [-1, -1, 1, 2, 3], d: [2, 3, 'x'], e: [4, 5, 1, 2, 3], f: [4, 5, 1, 2, 3] });
  assert.deepEqual(await row('print h = array_split(dynamic([1,2,3,4,5]), 2), i = array_split(dynamic([1,2,3,4,5]), dynamic([3,1])), j = array_sum(dynamic([1,2,3.5])), k = zip(dynamic(["A", 1, 1.5]), dynamic([{}, "B"]))'),
    { h: [[1, 2], [3, 4, 5]], i: [[1], [2, 3], [4, 5]], j: 6.5, k: [['A', {}], [1, 'B'], [1.5, null]] });
});

test('bag_merge (the leftmost bag wins), bag_set_key, bag_remove_keys, bag_has_key with keys and $.paths', async () => {
  assert.deepEqual(await row(`print m = bag_merge(dynamic({"A1": 12, "B1": 2}), dynamic({"A2": 81, "A1": 1})),
    s = bag_set_key(dynamic({"key1": 1, "key3": {"x": 1}}), "key3", 3), s2 = bag_set_key(dynamic({"a": {"b": 1, "c": 2}}), "$.a.b", "z"),
    r = bag_remove_keys(dynamic({"key1": 123, "key2": {"prop1": "abc", "prop2": "xyz"}, "key3": [100, 200]}), dynamic(["$.key2.prop1", "key3", "nope"])),
    h = bag_has_key(dynamic({"key2": {"prop1": 1}}), "$.key2.prop1"), h2 = bag_has_key(dynamic({"key2": 1}), "key3"), h3 = bag_has_key(dynamic({"key2": 1}), "key2")`),
    { m: { A1: 12, B1: 2, A2: 81 }, s: { key1: 1, key3: 3 }, s2: { a: { b: 'z', c: 2 } }, r: { key1: 123, key2: { prop2: 'xyz' } }, h: true, h2: false, h3: true });
});

test('make_bag_if(): only the rows where the predicate holds', async () => {
  const r = await row(`datatable(prop:string, value:string, predicate:bool)["prop01", "val_a", true, "prop02", "val_b", false, "prop03", "val_c", true]
    | extend p = bag_pack(prop, value) | summarize dict = make_bag_if(p, predicate)`);
  assert.deepEqual(r, { dict: { prop01: 'val_a', prop03: 'val_c' } });
});

test('trigonometry, unicode_codepoints_to_string(), bin_at()', async () => {
  assert.deepEqual(await row('print t = atan2(0, -1), d = degrees(pi() / 4), r = radians(180), c = round(cot(1), 6), u = unicode_codepoints_to_string(75, 117)'),
    { t: Math.PI, d: 45, r: Math.PI, c: 0.642093, u: 'Ku' });
  assert.deepEqual(await row('print a = bin_at(time(1h), 1d, 12h), b = bin_at(datetime(2018-02-23T16:14), 1d, datetime(2018-02-24 15:14:00)), c = bin_at(7, 5, 1), d = bin_at(-3, 5, 1), e = bin_at(6.5, 2.5, 1.0)'),
    { a: '-12:00:00', b: '2018-02-23T15:14:00.0000000Z', c: 6, d: -4, e: 6 });
});
