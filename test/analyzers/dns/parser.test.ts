// DNS parser and log builder on byte literals, plus mutation fuzzing (no throw, no hang).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DnsAnalyzer } from '../../../src/analyzers/dns/index.js';
import { FakeCtx, fakeConn } from './harness.js';

// Query: id 0x1234, RD, 1 question "Example.COM" A IN
//   12 34 01 00 00 01 00 00 00 00 00 00 07 'Example' 03 'COM' 00 00 01 00 01
const query = Buffer.concat([
  Buffer.from('123401000001000000000000', 'hex'),
  Buffer.from([7]), Buffer.from('Example'), Buffer.from([3]), Buffer.from('COM'), Buffer.from([0]),
  Buffer.from('00010001', 'hex'),
]);
// Reply: same id, QR RD RA, 1 question, 2 answers: CNAME (pointer to the question name) and A 93.184.216.34
//   answer 1: c0 0c 00 05 00 01 00 00 0e 10 00 02 c0 0c   (CNAME → compressed "example.com", TTL 3600)
//   answer 2: c0 0c 00 01 00 01 00 00 00 3c 00 04 5d b8 d8 22   (A, TTL 60)
const reply = Buffer.concat([
  Buffer.from('123481800001000200000000', 'hex'), query.subarray(12),
  Buffer.from('c00c0005000100000e100002c00c', 'hex'),
  Buffer.from('c00c00010001' + '0000003c' + '0004' + '5db8d822', 'hex'),
]);

test('query then reply pair into one dns.log row with rtt, flags and answers', () => {
  const ctx = new FakeCtx(fakeConn());
  const a = new DnsAnalyzer(ctx);
  ctx.t = 100;
  a.deliverPacket(true, query, 0, query.length);
  assert.equal(ctx.records.length, 0);
  ctx.t = 100.25;
  a.deliverPacket(false, reply, 0, reply.length);
  assert.equal(ctx.records.length, 1);
  const r = ctx.records[0]!.rec;
  assert.equal(r.query, 'example.com');
  assert.equal(r.qtype_name, 'A');
  assert.equal(r.qclass_name, 'C_INTERNET');
  assert.equal(r.rcode_name, 'NOERROR');
  assert.equal(r.RD, true);
  assert.equal(r.RA, true);
  assert.equal(r.rtt, 0.25);
  assert.deepEqual(r.answers, ['example.com', '93.184.216.34']);
  assert.deepEqual(r.TTLs, [3600, 60]);
  assert.equal(r.opcode_name, 'query');
  assert.deepEqual(ctx.confirmed, ['dns', 'dns']);
  a.done();
  assert.equal(ctx.records.length, 1);
});

test('a query without reply is logged when the connection is removed', () => {
  const ctx = new FakeCtx(fakeConn());
  const a = new DnsAnalyzer(ctx);
  a.deliverPacket(true, query, 0, query.length);
  a.done();
  assert.equal(ctx.records.length, 1);
  assert.equal(ctx.records[0]!.rec.rcode, undefined);
});

test('DNS over TCP: length-prefixed messages split across segments', () => {
  const ctx = new FakeCtx(fakeConn({ proto: 'tcp' }));
  const a = new DnsAnalyzer(ctx);
  const q = Buffer.concat([Buffer.from([0, query.length]), query]);
  const r = Buffer.concat([Buffer.from([reply.length >> 8, reply.length & 255]), reply]);
  a.deliverStream(true, q, 0, 1);
  a.deliverStream(true, q, 1, q.length - 1);
  a.deliverStream(false, r, 0, 5);
  a.deliverStream(false, r, 5, r.length - 5);
  assert.equal(ctx.records.length, 1);
  assert.equal(ctx.records[0]!.rec.proto, 'tcp');
});

test('compression loops and forward pointers are rejected, not followed', () => {
  // question name is a pointer to itself (offset 12)
  const bad = Buffer.from('123401000001000000000000c00c00010001', 'hex');
  const ctx = new FakeCtx(fakeConn());
  const a = new DnsAnalyzer(ctx);
  a.deliverPacket(true, bad, 0, bad.length);
  assert.ok(ctx.weirds.includes('DNS_label_forward_compress_offset'));
});

test('mutated DNS messages never throw', () => {
  let seed = 12345;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 3000; i++) {
    const base = Buffer.from(i % 2 ? reply : query);
    const m = Buffer.from(base.subarray(0, rnd(base.length + 1)));
    for (let k = rnd(6); k > 0; k--) if (m.length) m[rnd(m.length)] = rnd(256);
    const ctx = new FakeCtx(fakeConn({ proto: i % 3 ? 'udp' : 'tcp' }));
    const a = new DnsAnalyzer(ctx);
    if (i % 3) a.deliverPacket(true, m, 0, m.length);
    else a.deliverStream(true, m, 0, m.length);
    a.endOfData(true);
    a.done();
  }
});
