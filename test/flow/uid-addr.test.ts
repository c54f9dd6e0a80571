import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UidGenerator, base62of64 } from '../../src/flow/uid.js';
import { isLocalWords, wordsToString } from '../../src/flow/addr.js';

test('uids: Zeek format, deterministic per run, distinct', () => {
  const a = new UidGenerator(), b = new UidGenerator();
  const xs = Array.from({ length: 20000 }, () => a.next());
  const ys = Array.from({ length: 20000 }, () => b.next());
  assert.deepEqual(xs, ys);
  assert.equal(new Set(xs).size, xs.length);
  for (const u of xs.slice(0, 500)) assert.match(u, /^C[0-9A-Za-z]{7,18}$/);
  assert.notEqual(new UidGenerator(1).next(), new UidGenerator(2).next());
});

test('base62 of a 64-bit value matches BigInt arithmetic', () => {
  const D = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const ref = (v: bigint) => { let s = ''; do { s = D[Number(v % 62n)]! + s; v /= 62n; } while (v > 0n); return s; };
  const cases: [number, number][] = [[0, 0], [0, 61], [0, 62], [1, 0], [0xffffffff, 0xffffffff], [0x12345678, 0x9abcdef0], [61, 4294967295]];
  for (const [h, l] of cases) assert.equal(base62of64(h, l), ref((BigInt(h) << 32n) + BigInt(l)), `${h}:${l}`);
});

test('addresses print as Zeek prints them (dotted quad, compressed IPv6, embedded IPv4)', () => {
  assert.equal(wordsToString(0, 0, 0xffff, 0xc0a80001), '192.168.0.1');
  assert.equal(wordsToString(0xfe800000, 0, 0xc8010eff, 0xfe880008), 'fe80::c801:eff:fe88:8');
  assert.equal(wordsToString(0x12340000, 0, 0, 0), '1234::');
  assert.equal(wordsToString(0, 0, 0, 0), '::');
  assert.equal(wordsToString(0, 0, 0, 1), '::1');
  assert.equal(wordsToString(0xff020000, 0, 0, 0x0001ff00), 'ff02::1:ff00');
  assert.equal(wordsToString(0x20010db8, 0x00000001, 0, 1), '2001:db8:0:1::1');
  assert.equal(wordsToString(0x20010db8, 0x00010001, 0x00010001, 0x00010001), '2001:db8:1:1:1:1:1:1');
  assert.equal(wordsToString(0, 0, 0, 0x01020304), '::1.2.3.4');
});

test('local_orig/local_resp: Zeek default private address space, incl. the 6to4 image', () => {
  const v4 = (a: number) => isLocalWords(0, 0, 0xffff, a >>> 0);
  assert.equal(v4(0x0a000001), true); // 10.0.0.1
  assert.equal(v4(0xac100001), true); // 172.16.0.1
  assert.equal(v4(0xac200001), false); // 172.32.0.1
  assert.equal(v4(0x64400001), true); // 100.64.0.1
  assert.equal(v4(0x08080808), false);
  assert.equal(v4(0xe0000001), true); // 224.0.0.1
  assert.equal(v4(0xe0000101), false); // 224.0.1.1
  assert.equal(v4(0xffffffff), true);
  assert.equal(isLocalWords(0xfe800000, 0, 0, 1), true);
  assert.equal(isLocalWords(0xfc000000, 0, 0, 1), true);
  assert.equal(isLocalWords(0x20010db8, 0, 0, 1), true);
  assert.equal(isLocalWords(0x26064700, 0, 0, 1), false);
  assert.equal(isLocalWords(0x2002c0a8, 0x01000000, 0, 1), true); // 2002:c0a8:100:: = 6to4 of 192.168.1.0
  assert.equal(isLocalWords(0x20020808, 0x08080000, 0, 1), false);
  assert.equal(isLocalWords(0xff020000, 0, 0, 1), false);
});
