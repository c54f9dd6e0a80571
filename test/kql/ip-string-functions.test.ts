// has_ipv4 and its prefix/any forms, format_ipv4[_mask], ipv4_compare, replace_strings, against
// values worked out by hand from Kusto's documentation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runQuery } from '../../src/kql/index.js';
import { printStore } from './print-row.js';
const { row, store } = printStore();


test('has_ipv4*: a valid address delimited by anything but letters, digits and dots', async () => {
  assert.deepEqual(await row(`print a = has_ipv4('05:04:54 127.0.0.1 GET /favicon.ico 404', '127.0.0.1'), b = has_ipv4('05:04:54 127.0.0.256 GET', '127.0.0.256'),
    c = has_ipv4('05:04:54127.0.0.1 GET', '127.0.0.1'), d = has_ipv4('a 1.127.0.0.1 b', '127.0.0.1'), e = has_ipv4('(10.0.0.1)', '10.0.0.1')`),
    { a: true, b: false, c: false, d: false, e: true });
  assert.deepEqual(await row(`print a = has_ipv4_prefix('x 127.0.0.1 GET', '127.0'), b = has_ipv4_prefix('x 127.0.0.1 GET', '127.0.'), c = has_ipv4_prefix('x 127.0.0.1 GET', '127.0.0.1'),
    d = has_ipv4_prefix('x 127.0.0 GET', '127.0.'), e = has_any_ipv4('x 127.0.0.1 GET', dynamic(['127.0.0.1', '127.0.0.2'])), f = has_any_ipv4('x 127.0.0.1', '10.1.1.1', '127.0.0.1'),
    g = has_any_ipv4_prefix('x 127.0.0.1 GET', '10.', '127.'), h = has_any_ipv4_prefix('05:04:54127.0.0.1 GET', '127.0.', '192.')`),
    { a: false, b: true, c: true, d: false, e: true, f: true, g: true, h: false });
});

test('format_ipv4 / format_ipv4_mask / ipv4_compare: the shortest prefix applies; invalid input is empty', async () => {
  const r = await runQuery(store(), `datatable(address:string, mask:long)['192.168.1.1', 24, '192.168.1.1', 32, '192.168.1.1/24', 32, '192.168.1.1/24', long(-1)]
    | extend result = format_ipv4(address, mask), result_mask = format_ipv4_mask(address, mask)`);
  assert.deepEqual(r.rows.map((x) => [x.result, x.result_mask]), [['192.168.1.0', '192.168.1.0/24'], ['192.168.1.1', '192.168.1.1/32'], ['192.168.1.0', '192.168.1.0/24'], ['', '']]);
  assert.deepEqual(await row(`print a = format_ipv4(3232235777), b = format_ipv4('x'), c = ipv4_compare('192.168.1.1', '192.168.1.255', 24), d = ipv4_compare('192.168.1.1', '192.168.1.0', 32),
    e = ipv4_compare('192.168.1.1/30', '192.168.1.255/24'), f = ipv4_compare('10.0.0.1', '10.0.0.2')`),
    { a: '192.168.1.1', b: '', c: 0, d: 1, e: 0, f: -1 });
});

test('replace_strings: each lookup in turn, never inside an earlier replacement', async () => {
  assert.deepEqual(await row(`print a = replace_strings('A magic trick can turn a cat into a dog', dynamic(['cat', 'dog']), dynamic(['dog', 'pigeon'])),
    b = replace_strings('This is an example', dynamic(['This', 'is']), dynamic(['This', 'was'])), c = replace_strings('This is an example', dynamic(['is', 'This']), dynamic(['was', 'This'])),
    d = replace_strings('A magic trick can turn a cat into a dog', dynamic(['turn', ' into a dog']), dynamic(['disappear', '']))`),
    { a: 'A magic trick can turn a dog into a pigeon', b: 'This was an example', c: 'Thwas was an example', d: 'A magic trick can disappear a cat' });
});
