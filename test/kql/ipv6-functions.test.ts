// IPv6 functions and evaluate ipv6_lookup against values worked out by hand (Kusto's documented semantics:
// IPv4 addresses are ::ffff:a.b.c.d and their /n counts IPv4 bits; prefixes mask; failures are "" or null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printStore } from './print-row.js';

const { row, rows } = printStore();

test('parse_ipv6: 8 words of 4 hex digits, masked to the prefix; "::", IPv4 and dotted quads; "" when it does not parse', async () => {
  const cases: [string, string][] = [
    ['fe80::85d:e82c:9446:7994', 'fe80:0000:0000:0000:085d:e82c:9446:7994'],
    ['FE80::85D:E82C:9446:7994/120', 'fe80:0000:0000:0000:085d:e82c:9446:7900'],
    ['::', '0000:0000:0000:0000:0000:0000:0000:0000'],
    ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'],
    ['2001:db8::', '2001:0db8:0000:0000:0000:0000:0000:0000'],
    ['1:2:3:4:5:6:7:8', '0001:0002:0003:0004:0005:0006:0007:0008'],
    // IPv4, alone or as ::a.b.c.d / ::ffff:a.b.c.d: mapped, /24 of IPv4 = /120
    ['127.0.0.1', '0000:0000:0000:0000:0000:ffff:7f00:0001'],
    ['192.168.255.255/24', '0000:0000:0000:0000:0000:ffff:c0a8:ff00'],
    ['::192.168.255.255/24', '0000:0000:0000:0000:0000:ffff:c0a8:ff00'],
    ['::ffff:10.1.2.3', '0000:0000:0000:0000:0000:ffff:0a01:0203'],
    // a dotted quad after other words is the last two words (NAT64 prefix here), its /n IPv6 bits
    ['64:ff9b::1.2.3.4/112', '0064:ff9b:0000:0000:0000:0000:0102:0000'],
    ['::/0', '0000:0000:0000:0000:0000:0000:0000:0000'],
    // not addresses
    ['', ''], ['bad', ''], ['1::2::3', ''], ['12345::', ''], ['1:2:3:4:5:6:7', ''], ['1:2:3:4:5:6:7:8:9', ''], ['1:2:3:4:5:6:7::8', ''],
    ['1.2.3.256', ''], ['1.2.3', ''], ['1.2.3.4/33', ''], ['::1/129', ''], ['::1/', ''], ['::1/2/3', ''], [':::1', ''],
  ];
  const got = await rows(`datatable(s:string)[${cases.map(([s]) => `'${s}'`).join(', ')}] | project p = parse_ipv6(s)`);
  assert.deepEqual(got.map((r) => r.p), cases.map(([, want]) => want));
});

test('parse_ipv6_mask: the shorter of the address\'s prefix and the mask; a mask outside 0-128 gives ""', async () => {
  assert.deepEqual(await row(`print a = parse_ipv6_mask('fe80::85d:e82c:9446:7994', 120), b = parse_ipv6_mask('fe80::85d:e82c:9446:7994/112', 120),
    c = parse_ipv6_mask('192.168.1.77', 120), d = parse_ipv6_mask('fe80::1', 0), e = parse_ipv6_mask('fe80::1', 129), f = parse_ipv6_mask('x', 64)`), {
    a: 'fe80:0000:0000:0000:085d:e82c:9446:7900', b: 'fe80:0000:0000:0000:085d:e82c:9446:0000', c: '0000:0000:0000:0000:0000:ffff:c0a8:0100',
    d: '0000:0000:0000:0000:0000:0000:0000:0000', e: '', f: '',
  });
});

test('ipv6_compare and ipv6_is_match: on the shortest prefix of both addresses and the optional third argument; null when either does not parse', async () => {
  assert.deepEqual(await row(`print a = ipv6_compare('::1', '::2'), b = ipv6_compare('::3', '::2'), c = ipv6_compare('fe80::1', 'FE80:0:0:0:0:0:0:1'),
    d = ipv6_compare('fe80::1:0', 'fe80::2:0', 96), e = ipv6_compare('fe80::1/127', 'fe80::0'), f = ipv6_compare('ff::', '1::'), g = ipv6_compare('bad', '::1'),
    h = ipv6_compare('::1', '::1', 200), i = ipv6_compare('192.168.1.1', '::ffff:c0a8:0101'), j = ipv6_compare('10.0.0.1', '10.0.0.2')`),
  { a: -1, b: 1, c: 0, d: 0, e: 0, f: 1, g: null, h: null, i: 0, j: -1 });
  // the documented cases of ipv6-is-match-function.md, and two that differ
  const pairs = [['192.168.1.1/24', '192.168.1.255'], ['192.168.1.1/30', '192.168.1.255/24'], ['fe80::85d:e82c:9446:7994/120', 'fe80::85d:e82c:9446:7998'],
    ['192.168.1.1/24', '::ffff:c0a8:01ff'], ['::192.168.1.1/30', '192.168.1.255/24'], ['fe80::85d:e82c:9446:7994/127', 'fe80::85d:e82c:9446:7998'], ['10.1.1.1', '10.1.1.2']];
  const got = await rows(`datatable(a:string, b:string)[${pairs.map(([a, b]) => `'${a}', '${b}'`).join(', ')}] | project m = ipv6_is_match(a, b)`);
  assert.deepEqual(got.map((r) => r.m), [true, true, true, true, true, false, false]);
  assert.deepEqual(await row(`print a = ipv6_is_match('fe80::1', 'fe80::2', 126), b = ipv6_is_match('fe80::1', 'fe80::4', 126), c = ipv6_is_match('x', '::1')`), { a: true, b: false, c: null });
});

test('ipv6_is_in_range and ipv6_is_in_any_range: the range\'s prefix; ranges as strings or one dynamic array', async () => {
  assert.deepEqual(await row(`print a = ipv6_is_in_range('a5e:f127:8a9d:146d:e102:b5d3:c755:abcd', 'a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112'),
    b = ipv6_is_in_range('a5e:f127:8a9d:146d:e102:b5d3:c756:abcd', 'a5e:f127:8a9d:146d:e102:b5d3:c755:0000/112'), c = ipv6_is_in_range('10.1.2.3', '10.1.0.0/16'),
    d = ipv6_is_in_range('10.2.2.3', '::ffff:10.1.0.0/16'), e = ipv6_is_in_range('2001:db8::1', '::/0'),
    f = ipv6_is_in_any_range('2001:db8::1', '10::/16', '2001:db8::/32'), g = ipv6_is_in_any_range('2001:db9::1', dynamic(['10::/16', '2001:db8::/32'])),
    h = ipv6_is_in_any_range('192.168.7.1', dynamic(['192.168.0.0/16']))`),
  { a: true, b: false, c: true, d: false, e: true, f: true, g: false, h: true });
});

test('evaluate ipv6_lookup: every prefix holding the address; IPv4 addresses and prefixes as ::ffff:a.b.c.d; unmatched rows only when asked', async () => {
  const nets = `datatable(network:string, name:string)['2001:db8::/32', 'doc', '2001:db8:1::/48', 'doc-1', 'fe80::1', 'one', '10.0.0.0/8', 'ten', 'bad', 'bad']`;
  const hosts = `datatable(ip:string)['2001:db8:1::5', '2001:DB8:2::5', 'fe80::1', '::ffff:10.9.9.9', '10.1.1.1', '2001:db9::1', 'junk']`;
  const q = (flag: string) => `let Nets = ${nets}; ${hosts} | evaluate ipv6_lookup(Nets, ip, network${flag}) | order by ip asc, name asc`;
  const matched = (await rows(q(''))).map((r) => `${r.ip} ${r.name}`);
  // (ordinal order: 'D' before 'd')
  assert.deepEqual(matched, ['10.1.1.1 ten', '2001:DB8:2::5 doc', '2001:db8:1::5 doc', '2001:db8:1::5 doc-1', '::ffff:10.9.9.9 ten', 'fe80::1 one']);
  const all = (await rows(q(', true'))).map((r) => `${r.ip} ${r.name}`);
  assert.deepEqual(all, ['10.1.1.1 ten', '2001:DB8:2::5 doc', '2001:db8:1::5 doc', '2001:db8:1::5 doc-1', '2001:db9::1 ', '::ffff:10.9.9.9 ten', 'fe80::1 one', 'junk ']);
});
