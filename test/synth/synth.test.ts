import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ACK, FrameBuilder, IcmpEchoSeries, PSH, PcapWriter, RST, Rng, SYN, FIN, Scheduler, TcpSession, UdpExchange,
  checksum, generateMixedCapture, ipBytes, synOptions, verifyTransport, type PacketSink,
} from '../../src/synth/index.js';
import { openCapture } from '../../src/capture/index.js';

function fixedBuilder(): FrameBuilder {
  const b = new FrameBuilder();
  b.srcMac = Buffer.from('020000000001', 'hex');
  b.dstMac = Buffer.from('020000000002', 'hex');
  b.src = ipBytes('10.0.0.1');
  b.dst = ipBytes('192.168.1.2');
  b.ttl = 64;
  b.ipId = 0x1234;
  return b;
}

const hex = (b: FrameBuilder, n: number): string => b.buf.subarray(0, n).toString('hex');

test('a TCP SYN with options is byte-exact', () => {
  const b = fixedBuilder();
  b.sport = 49152; b.dport = 80; b.seq = 0x01020304; b.ack = 0; b.flags = SYN; b.win = 64240;
  b.tcpOptions = synOptions(1460);
  b.clearPayload();
  const n = b.buildTcp();
  // 02 00 00 00 00 02 02 00 00 00 00 01 08 00            Ethernet: dst, src, IPv4
  // 45 00 00 34 12 34 40 00 40 06 5c e5 0a 00 00 01 c0 a8 01 02   IPv4: len 52, id 0x1234, DF, ttl 64, TCP, csum 5ce5
  // c0 00 00 50 01 02 03 04 00 00 00 00 80 02 fa f0 e4 1e 00 00    TCP: 49152→80, seq, doff 8, SYN, win 64240, csum e41e
  // 02 04 05 b4 04 02 01 03 03 07 01 01                   MSS 1460, SACK-permitted, NOP, WS 7, NOP NOP
  assert.equal(hex(b, n),
    '020000000002020000000001080045000034123440004006' + '5ce5' + '0a000001c0a80102'
    + 'c000005001020304000000008002faf0' + 'e41e' + '0000' + '020405b40402010303070101');
});

test('a TCP data segment, a UDP datagram and ICMP/ICMPv6 echoes are byte-exact', () => {
  const b = fixedBuilder();
  b.sport = 49152; b.dport = 80; b.seq = 0x01020305; b.ack = 0x0a0b0c0d; b.flags = ACK | PSH; b.win = 64240;
  b.setPayload(Buffer.from('hello'));
  let n = b.buildTcp();
  // IPv4 len 45, csum 5cec; TCP doff 5, PSH|ACK, csum cae9, payload "hello"
  assert.equal(hex(b, n), '02000000000202000000000108004500002d123440004006' + '5cec' + '0a000001c0a80102'
    + 'c0000050010203050a0b0c0d5018faf0' + 'cae9' + '0000' + '68656c6c6f');

  b.sport = 5353; b.dport = 53;
  b.setPayload(Buffer.from('abc'));
  n = b.buildUdp();
  // IPv4 len 31, proto 17, csum 5cef; UDP 5353→53, len 11, csum 5aac, "abc"
  assert.equal(hex(b, n), '02000000000202000000000108004500001f123440004011' + '5cef' + '0a000001c0a80102'
    + '14e90035000b' + '5aac' + '616263');

  b.dst = ipBytes('10.0.0.2');
  b.icmpType = 8; b.icmpId = 0x4242; b.icmpSeq = 1;
  b.setPayload(Buffer.from('ping'));
  n = b.buildIcmp();
  // IPv4 proto 1, csum 14a7; ICMP echo request id 0x4242 seq 1, csum d6eb, "ping"
  assert.equal(hex(b, n), '020000000002020000000001080045000020123440004001' + '14a7' + '0a0000010a000002'
    + '0800' + 'd6eb' + '42420001' + '70696e67');

  b.src = ipBytes('fd00::1'); b.dst = ipBytes('2001:db8::2');
  b.icmpType = 128;
  n = b.buildIcmp();
  // IPv6: payload length 12, next header 58, hop limit 64; ICMPv6 echo request, csum 33e8 (pseudo header)
  assert.equal(hex(b, n), '02000000000202000000000186dd' + '60000000000c3a40'
    + 'fd000000000000000000000000000001' + '20010db8000000000000000000000002'
    + '8000' + '33e8' + '42420001' + '70696e67');
});

test('checksums verify, and a corrupted one does not', () => {
  const rng = new Rng(7);
  const b = fixedBuilder();
  for (let i = 0; i < 200; i++) {
    const v6 = i % 2 === 1;
    b.src = v6 ? ipBytes(`2001:db8::${i.toString(16)}`) : ipBytes(`10.1.${i}.3`);
    b.dst = v6 ? ipBytes('fd00::99') : ipBytes('172.16.0.9');
    b.sport = rng.int(1, 65535); b.dport = rng.int(1, 65535);
    b.seq = rng.u32(); b.ack = rng.u32(); b.flags = ACK;
    b.setPayload(rng.fill(Buffer.alloc(rng.int(0, 1500))));
    b.corruptChecksum = i % 10 === 9;
    const n = i % 3 === 0 ? b.buildUdp() : b.buildTcp();
    const l3 = 14;
    const l4 = v6 ? l3 + 40 : l3 + 20;
    if (!v6) assert.equal(checksum(b.buf, l3, 20), 0, 'IPv4 header checksum');
    const proto = b.buf[v6 ? l3 + 6 : l3 + 9]!;
    assert.equal(verifyTransport(b.buf, l4, n - l4, b.src, b.dst, proto), !b.corruptChecksum, `frame ${i}`);
  }
});

/** Collects frames as copies, for inspection. */
class Collect implements PacketSink {
  frames: { ts: number; data: Buffer }[] = [];
  writePacket(ts: number, f: Buffer, off: number, len: number): void {
    this.frames.push({ ts, data: Buffer.from(f.subarray(off, off + len)) });
  }
}

interface Seg { ts: number; fromClient: boolean; flags: number; seq: number; ack: number; payload: Buffer }
function tcpSegs(frames: Collect['frames'], clientPort: number): Seg[] {
  return frames.map(({ ts, data }) => {
    const l4 = 14 + (data.readUInt16BE(12) === 0x0800 ? (data[14]! & 15) * 4 : 40);
    const doff = (data[l4 + 12]! >> 4) * 4;
    return {
      ts, fromClient: data.readUInt16BE(l4) === clientPort, flags: data[l4 + 13]!,
      seq: data.readUInt32BE(l4 + 4), ack: data.readUInt32BE(l4 + 8), payload: data.subarray(l4 + doff),
    };
  });
}

test('a TCP session: handshake, MSS segmentation with ACKs, consistent sequence numbers, FIN teardown', () => {
  const req = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  const resp = new Rng(3).fill(Buffer.alloc(10000));
  const c = new Collect();
  new TcpSession({
    client: { ip: '10.0.0.5', port: 40000 }, server: { ip: '93.184.216.34', port: 80 }, start: 1_700_000_000_000_000,
    messages: [{ from: 'client', data: req }, { from: 'server', data: resp }], mss: 1000, seed: 9,
  }).writeAll(c);
  const s = tcpSegs(c.frames, 40000);
  assert.deepEqual(s.slice(0, 3).map((x) => [x.fromClient, x.flags]), [[true, SYN], [false, SYN | ACK], [true, ACK]]);
  assert.equal(s[1]!.ack, (s[0]!.seq + 1) >>> 0);
  const last3 = s.slice(-3).map((x) => [x.fromClient, x.flags]);
  assert.deepEqual(last3, [[true, FIN | ACK], [false, FIN | ACK], [true, ACK]]);
  // Reassemble each side by sequence number and compare with what was sent.
  const side = (fc: boolean): Buffer => Buffer.concat(s.filter((x) => x.fromClient === fc && x.payload.length).map((x) => x.payload));
  assert.deepEqual(side(true), req);
  assert.deepEqual(side(false), resp);
  const serverData = s.filter((x) => !x.fromClient && x.payload.length);
  assert.equal(serverData.length, 10);
  assert.ok(serverData.every((x) => x.payload.length <= 1000));
  for (let i = 1; i < serverData.length; i++) {
    assert.equal(serverData[i]!.seq, (serverData[i - 1]!.seq + serverData[i - 1]!.payload.length) >>> 0);
  }
  // The client's last ACK acknowledges everything the server sent plus its FIN.
  assert.equal(s.at(-1)!.ack, (s[1]!.seq + 1 + resp.length + 1) >>> 0);
  // Times never go backwards.
  for (let i = 1; i < s.length; i++) assert.ok(s[i]!.ts >= s[i - 1]!.ts);
  // Client ACKs every second segment plus the last one.
  const clientAcks = s.filter((x) => x.fromClient && x.flags === ACK && !x.payload.length).length;
  assert.equal(clientAcks, 1 + 5 + 1);
});

test('rejected, unanswered, RST-closed and lossy sessions look as intended', () => {
  const base = { client: { ip: '10.0.0.5', port: 40001 }, server: { ip: '10.0.0.6', port: 22 }, start: 1e15 };
  let c = new Collect();
  new TcpSession({ ...base, messages: [], handshake: 'rejected' }).writeAll(c);
  assert.deepEqual(tcpSegs(c.frames, 40001).map((x) => x.flags), [SYN, RST | ACK]);
  c = new Collect();
  new TcpSession({ ...base, messages: [], handshake: 'unanswered' }).writeAll(c);
  assert.deepEqual(tcpSegs(c.frames, 40001).map((x) => [x.fromClient, x.flags]), [[true, SYN], [true, SYN], [true, SYN]]);
  c = new Collect();
  new TcpSession({ ...base, messages: [{ from: 'client', data: Buffer.alloc(50) }], close: 'rst', closer: 'server' }).writeAll(c);
  assert.deepEqual(tcpSegs(c.frames, 40001).at(-1)!.flags, RST | ACK);
  assert.equal(tcpSegs(c.frames, 40001).at(-1)!.fromClient, false);

  const data = new Rng(1).fill(Buffer.alloc(200 * 1460));
  c = new Collect();
  new TcpSession({ ...base, messages: [{ from: 'server', data }], lossRate: 0.1, retransmitRate: 0.1, seed: 4 }).writeAll(c);
  const segs = tcpSegs(c.frames, 40001).filter((x) => !x.fromClient && x.payload.length);
  const distinct = new Set(segs.map((x) => x.seq));
  assert.ok(distinct.size < 200 && distinct.size > 150, `lost some: ${distinct.size}`);
  assert.ok(segs.length > distinct.size, 'retransmitted some');
});

test('UDP exchange and ICMP echo series', () => {
  let c = new Collect();
  new UdpExchange({ client: { ip: '10.0.0.7', port: 5000 }, server: { ip: '10.0.0.1', port: 53 }, start: 1e15,
    messages: [{ from: 'client', data: Buffer.from('q') }, { from: 'server', data: Buffer.from('answer') }] }).writeAll(c);
  assert.equal(c.frames.length, 2);
  assert.equal(c.frames[1]!.data.readUInt16BE(34), 53);
  assert.equal(c.frames[1]!.data.subarray(42).toString(), 'answer');
  c = new Collect();
  new IcmpEchoSeries({ client: { ip: 'fd00::5' }, server: { ip: 'fd00::6' }, start: 1e15, count: 3, interval: 1000 }).writeAll(c);
  assert.deepEqual(c.frames.map((f) => f.data[54]), [128, 129, 128, 129, 128, 129]);
  assert.deepEqual(c.frames.map((f) => f.data.readUInt16BE(60)), [1, 1, 2, 2, 3, 3]);
});

test('the scheduler interleaves many sessions in time order', () => {
  const c = new Collect();
  const sched = new Scheduler(c);
  const rng = new Rng(11);
  for (let i = 0; i < 300; i++) {
    sched.add(new TcpSession({
      client: { ip: `10.9.${i >> 8}.${i & 255}`, port: 20000 + i }, server: { ip: '10.0.0.1', port: 443 },
      start: 1e15 + rng.int(0, 1_000_000), seed: i, rtt: rng.int(100, 50000),
      messages: [{ from: 'client', data: Buffer.alloc(rng.int(1, 3000)) }, { from: 'server', data: Buffer.alloc(rng.int(1, 9000)) }],
    }));
  }
  sched.run();
  assert.equal(sched.size, 0);
  let interleaved = 0;
  for (let i = 1; i < c.frames.length; i++) {
    assert.ok(c.frames[i]!.ts >= c.frames[i - 1]!.ts, `frame ${i} out of order`);
    if (c.frames[i]!.data.readUInt16BE(34) !== c.frames[i - 1]!.data.readUInt16BE(34)) interleaved++;
  }
  assert.ok(interleaved > c.frames.length / 3, 'sessions overlap in time');
});

test('a written pcap re-reads through openCapture with the same frames and timestamps', async () => {
  const w = PcapWriter.toMemory();
  const c = new Collect();
  const tee: PacketSink = { writePacket(ts, f, o, l) { w.writePacket(ts, f, o, l); c.writePacket(ts, f, o, l); } };
  new TcpSession({ client: { ip: '10.0.0.5', port: 40000 }, server: { ip: '10.0.0.6', port: 80 }, start: 1_700_000_000_123_456,
    messages: [{ from: 'client', data: Buffer.alloc(3000, 1) }, { from: 'server', data: Buffer.alloc(500, 2) }] }).writeAll(tee);
  const file = w.close()!;
  assert.equal(file.readUInt32LE(0), 0xa1b2c3d4);
  assert.equal(file.readUInt32LE(20), 1);
  const { Readable } = await import('node:stream');
  const got: { ts: number; data: Buffer; linkType: number }[] = [];
  const stats = await openCapture(Readable.from([file])).run((p) => {
    got.push({ ts: p.ts, linkType: p.linkType, data: Buffer.from(p.data.subarray(p.offset, p.offset + p.capLen)) });
  });
  assert.equal(stats.packets, c.frames.length);
  assert.equal(stats.truncated, false);
  assert.equal(got.length, c.frames.length);
  got.forEach((g, i) => {
    assert.equal(g.linkType, 1);
    assert.deepEqual(g.data, c.frames[i]!.data);
    assert.ok(Math.abs(g.ts - c.frames[i]!.ts / 1e6) < 1e-6);
  });
});

test('the mixed capture is deterministic, reaches its size and mixes protocols', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-synth-'));
  try {
    const a = join(dir, 'a.pcap'), b = join(dir, 'b.pcap');
    const ra = generateMixedCapture(a, { targetBytes: 3_000_000, seed: 42 });
    const rb = generateMixedCapture(b, { targetBytes: 3_000_000, seed: 42 });
    assert.deepEqual(ra, rb);
    assert.ok(ra.bytes >= 3_000_000 && ra.bytes < 6_000_000, `size ${ra.bytes}`);
    assert.equal(statSync(a).size, ra.bytes);
    const h = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
    assert.equal(h(a), h(b));
    const rc = generateMixedCapture(b, { targetBytes: 3_000_000, seed: 43 });
    assert.notEqual(h(a), h(b));
    assert.ok(rc.flows.tcp > 10 && rc.flows.udp > 10 && rc.flows.icmp > 0, JSON.stringify(rc.flows));
    // Every frame re-reads, in time order, with valid checksums.
    let prev = 0, n = 0, bad = 0, small = 0, big = 0;
    await openCapture(a).run((p) => {
      assert.ok(p.ts >= prev);
      prev = p.ts;
      n++;
      const d = p.data.subarray(p.offset, p.offset + p.capLen);
      if (d.length < 100) small++;
      if (d.length > 1400) big++;
      if (d.readUInt16BE(12) === 0x0800) {
        const ihl = (d[14]! & 15) * 4;
        if (checksum(d, 14, ihl) !== 0) bad++;
        const proto = d[23]!;
        if ((proto === 6 || proto === 17) && !verifyTransport(d, 14 + ihl, d.readUInt16BE(16) - ihl, d.subarray(26, 30), d.subarray(30, 34), proto)) bad++;
      } else if (d.readUInt16BE(12) === 0x86dd) {
        if (!verifyTransport(d, 54, d.readUInt16BE(18), d.subarray(22, 38), d.subarray(38, 54), d[20]!)) bad++;
      }
    });
    assert.equal(n, ra.packets);
    assert.equal(bad, 0);
    assert.ok(small > n / 5 && big > n / 5, `size mix: ${small} small, ${big} full-size of ${n}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
