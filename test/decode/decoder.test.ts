// Decoder tests: byte-literal frames per link type, IP option/extension/fragment handling,
// Zeek's weird names for malformed input, tunnels, and the Zeek corpus end to end.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RawPacket } from '../../src/capture/types.js';
import { openCapture } from '../../src/capture/index.js';
import {
  Decoder, DecodedPacket, DecodeStatus, L3, formatAddr, detectTeredo, detectAYIYA, flowHash, formatIPv4, formatIPv6, icmpCounterpart, icmpIsOneWay,
  TCP_SYN, TCP_ACK, TCP_PSH,
} from '../../src/decode/index.js';
import { F } from './frames.js';

function raw(buf: Buffer, linkType: number, wireLen = buf.length, ts = 1000.5): RawPacket {
  // Place the frame at a non-zero offset of a bigger buffer, as the reader's views are.
  const big = Buffer.alloc(buf.length + 40, 0xee);
  buf.copy(big, 17);
  return { ts, linkType, interfaceId: 0, wireLen, data: big, offset: 17, capLen: buf.length };
}

const src = (o: DecodedPacket): string => formatAddr(o.l3 === L3.IPv4, o.src4, o.src6);
const dst = (o: DecodedPacket): string => formatAddr(o.l3 === L3.IPv4, o.dst4, o.dst6);
const payload = (o: DecodedPacket): string => o.buf.subarray(o.payloadOffset, o.payloadOffset + o.payloadCapLen).toString('latin1');

function dec(name: string, linkType: number, opts: { C?: boolean } = {}): { st: DecodeStatus; o: DecodedPacket; d: Decoder } {
  const d = new Decoder({ ignoreChecksums: opts.C });
  const o = new DecodedPacket();
  const st = d.decode(raw(F[name], linkType), o);
  return { st, o, d };
}

function assertInnerTcp4(o: DecodedPacket): void {
  assert.equal(o.l3, L3.IPv4);
  assert.equal(src(o), '10.0.0.1');
  assert.equal(dst(o), '192.168.1.2');
  assert.equal(o.ipProto, 6);
  assert.equal(o.srcPort, 1234);
  assert.equal(o.dstPort, 80);
  assert.equal(o.tcpSeq, 1000);
  assert.equal(o.tcpAck, 2000);
  assert.equal(o.tcpFlags, TCP_PSH | TCP_ACK);
  assert.equal(o.tcpWin, 8192);
  assert.equal(o.tcpHeaderLen, 20);
  assert.equal(o.ipLen, 45);
  assert.equal(o.ipHeaderLen, 20);
  assert.equal(o.l4Len, 25);
  assert.equal(o.payloadLen, 5);
  assert.equal(payload(o), 'hello');
  assert.equal(o.badChecksum, false);
}

test('Ethernet / IPv4 / TCP: every field, offsets into the reader buffer', () => {
  const { st, o } = dec('ETH_TCP4', 1);
  assert.equal(st, DecodeStatus.Ok);
  assertInnerTcp4(o);
  assert.equal(o.ipOffset, 17 + 14);
  assert.equal(o.l4Offset, 17 + 34);
  assert.equal(o.payloadOffset, 17 + 54);
  assert.equal(o.ttl, 64);
  assert.equal(o.ts, 1000.5);
});

test('UDP, ICMP, ICMPv6, UDP over IPv6', () => {
  let r = dec('ETH_UDP4', 1);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.o.ipProto, r.o.srcPort, r.o.dstPort, payload(r.o), r.o.payloadLen], [17, 5353, 53, 'abcd', 4]);
  r = dec('ETH_ICMP4', 1);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.o.ipProto, r.o.icmpType, r.o.icmpCode, payload(r.o)], [1, 8, 0, 'xyz!']);
  r = dec('ETH_ICMP6', 1);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.equal(r.o.l3, L3.IPv6);
  assert.deepEqual([src(r.o), dst(r.o), r.o.ipProto, r.o.icmpType, payload(r.o)], ['2001:db8::1', '2001:db8:0:1::2', 58, 128, 'ping']);
  r = dec('ETH_UDP6', 1);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.o.srcPort, r.o.dstPort, payload(r.o), r.o.ipLen, r.o.ttl], [1000, 2000, 'v6data', 54, 64]);
});

test('link types: each frame yields the same inner TCP packet', () => {
  const cases: [string, number][] = [
    ['QINQ_TCP4', 1], ['MPLS_TCP4', 1], ['PPP_HDLC_TCP4', 9], ['PPP_TCP4', 9], ['PPPSERIAL_TCP4', 50], ['SLL_TCP4', 113],
    ['RAW_TCP4', 101], ['RAW_TCP4', 12], ['RAW_TCP4', 14], ['RAW_TCP4', 228], ['NULL_LE_TCP4', 0], ['WLAN_QOS_TCP4', 105],
    ['RADIOTAP_WLAN_TCP4', 127], ['FABRICPATH_TCP4', 1], ['VNTAG_VLAN_TCP4', 1], ['PBB_TCP4', 1], ['NFLOG_TCP4', 239],
    ['ETH8023_SNAP_TCP4', 1], ['WLAN_AMSDU_TCP4', 105], ['PPI_WLAN_TCP4', 192],
  ];
  for (const [name, lt] of cases) {
    const { st, o, d } = dec(name, lt);
    assert.equal(st, DecodeStatus.Ok, `${name}: ${d.weird}`);
    assertInnerTcp4(o);
    assert.equal(o.buf.subarray(o.ipOffset, o.ipOffset + 20).toString('hex'), F.RAW_TCP4.subarray(0, 20).toString('hex'), name);
  }
});

test('VLAN ids: Q-in-Q outer and inner, VN-Tag then VLAN', () => {
  let r = dec('QINQ_TCP4', 1);
  assert.deepEqual([r.d.vlan, r.d.innerVlan, r.d.etherType], [100, 200, 0x0800]);
  r = dec('VNTAG_VLAN_TCP4', 1);
  assert.deepEqual([r.d.vlan, r.d.innerVlan], [7, -1]);
  r = dec('ETH_TCP4', 1);
  assert.deepEqual([r.d.vlan, r.d.innerVlan, r.d.l2Offset], [-1, -1, 17]);
});

test('PPPoE, SLL2, BSD loopback in network byte order with AF 30: IPv6 inside', () => {
  let r = dec('PPPOE_ICMP6', 1);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.o.l3, r.o.icmpType, payload(r.o)], [L3.IPv6, 128, 'ping']);
  r = dec('SLL2_UDP6', 276);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.deepEqual([r.o.srcPort, r.o.dstPort, payload(r.o)], [1000, 2000, 'v6data']);
  r = dec('NULL_BE_ICMP6', 0);
  assert.equal(r.st, DecodeStatus.Ok);
  assert.equal(r.o.icmpType, 128);
  r = dec('NULL_BE_ICMP6', 108); // DLT_LOOP
  assert.equal(r.st, DecodeStatus.Ok);
  r = dec('ETH_ICMP6', 229); // LINKTYPE_IPV6 on an Ethernet frame: not IP
  assert.equal(r.st, DecodeStatus.Weird);
  assert.equal(r.d.weird, 'unknown_ip_version');
});

test('frames without IP: ARP, 802.11 management', () => {
  let r = dec('ETH_ARP', 1);
  assert.equal(r.st, DecodeStatus.NotIP);
  assert.equal(r.d.etherType, 0x0806);
  r = dec('WLAN_BEACON', 105);
  assert.equal(r.st, DecodeStatus.NotIP);
  const trunc = new Decoder();
  const o = new DecodedPacket();
  assert.equal(trunc.decode(raw(F.ETH_ARP.subarray(0, 30), 1), o), DecodeStatus.Weird);
  assert.equal(trunc.weird, 'truncated_ARP');
});

test('checksums: bad IP header, bad TCP / UDP / ICMP, and -C', () => {
  const badIp = Buffer.from(F.ETH_TCP4);
  badIp[14 + 10] ^= 0x55;
  const d = new Decoder();
  const o = new DecodedPacket();
  assert.equal(d.decode(raw(badIp, 1), o), DecodeStatus.Weird);
  assert.equal(d.weird, 'bad_IP_checksum');
  assert.equal(o.l3, L3.IPv4); // a flow weird: Zeek knows the addresses
  assert.equal(src(o), '10.0.0.1');

  for (const [name, off, weird] of [['ETH_TCP4', 14 + 20 + 16, 'bad_TCP_checksum'], ['ETH_UDP4', 14 + 20 + 6, 'bad_UDP_checksum'],
    ['ETH_ICMP4', 14 + 20 + 2, 'bad_ICMP_checksum'], ['ETH_ICMP6', 14 + 40 + 2, 'bad_ICMP_checksum'], ['ETH_UDP6', 14 + 40 + 6, 'bad_UDP_checksum']] as const) {
    const b = Buffer.from(F[name]);
    b[off] ^= 0x01;
    const dd = new Decoder();
    assert.equal(dd.decode(raw(b, 1), o), DecodeStatus.ConnWeird, name);
    assert.equal(dd.weird, weird);
    assert.equal(o.badChecksum, true);
    assert.ok(o.srcPort > 0 || o.icmpType > 0, 'ports/type still set for the connection');
    const c = new Decoder({ ignoreChecksums: true });
    assert.equal(c.decode(raw(b, 1), o), DecodeStatus.Ok, `${name} with -C`);
    assert.equal(o.badChecksum, false);
  }
  assert.equal(new Decoder({ ignoreChecksums: true }).decode(raw(badIp, 1), o), DecodeStatus.Ok);
});

test('UDP checksum 0: accepted on IPv4, a bad checksum on IPv6', () => {
  const b4 = Buffer.from(F.ETH_UDP4);
  b4.writeUInt16BE(0, 14 + 20 + 6);
  const o = new DecodedPacket();
  assert.equal(new Decoder().decode(raw(b4, 1), o), DecodeStatus.Ok);
  const b6 = Buffer.from(F.ETH_UDP6);
  b6.writeUInt16BE(0, 14 + 40 + 6);
  const d = new Decoder();
  assert.equal(d.decode(raw(b6, 1), o), DecodeStatus.ConnWeird);
  assert.equal(d.weird, 'bad_UDP_checksum');
});

test('checksums are not verified on packets the snaplen cut (wire > captured)', () => {
  const b = Buffer.from(F.ETH_TCP4);
  b[14 + 20 + 16] ^= 1;
  const d = new Decoder();
  const o = new DecodedPacket();
  // Pretend the frame was cut inside the payload: IP says 45 bytes, only 42 captured.
  const cut = b.subarray(0, b.length - 3);
  assert.equal(d.decode(raw(cut, 1, b.length), o), DecodeStatus.Ok);
  assert.equal(o.payloadLen, 5);
  assert.equal(o.payloadCapLen, 2);
  assert.equal(o.l4CapLen, 22);
});

test('malformed frames give Zeek weird names and never throw', () => {
  const o = new DecodedPacket();
  const cases: [Buffer, number, string, number?][] = [
    [F.ETH_TCP4.subarray(0, 16), 1, 'truncated_ethernet_frame'],
    [F.ETH_TCP4.subarray(0, 14 + 19), 1, 'truncated_IP'],
    [F.ETH_TCP4.subarray(0, 14 + 38), 1, 'truncated_IP_len'],            // wire length = captured (< IP total length)
    [F.ETH_TCP4.subarray(0, 14 + 30), 1, 'internally_truncated_header', F.ETH_TCP4.length], // snaplen cut inside TCP header
    [F.QINQ_TCP4.subarray(0, 18), 1, 'truncated_VLAN_header'],
    [F.MPLS_TCP4.subarray(0, 18), 1, 'truncated_link_header'],
    [F.PPPOE_ICMP6.subarray(0, 22), 1, 'truncated_pppoe_header'],
    [F.SLL_TCP4.subarray(0, 16), 113, 'truncated_Linux_SLL_header'],
    [F.SLL2_UDP6.subarray(0, 20), 276, 'truncated_Linux_SLL2_header'],
    [F.NULL_LE_TCP4.subarray(0, 4), 0, 'null_analyzer_failed'],
    [F.RADIOTAP_WLAN_TCP4.subarray(0, 8), 127, 'truncated_radiotap_header'],
    [F.WLAN_QOS_TCP4.subarray(0, 24), 105, 'truncated_802_11_header'],
    [F.FABRICPATH_TCP4.subarray(0, 30), 1, 'truncated_link_header_cfp'],
    [F.PPP_TCP4.subarray(0, 2), 9, 'truncated_ppp_header'],
    [F.PPPSERIAL_TCP4.subarray(0, 4), 50, 'truncated_ppp_serial_header'],
    [F.NFLOG_TCP4.subarray(0, 4), 239, 'truncated_nflog_header'],
  ];
  for (const [b, lt, weird, wire] of cases) {
    const d = new Decoder();
    const st = d.decode(raw(b, lt, wire ?? b.length), o);
    assert.equal(st, DecodeStatus.Weird, weird);
    assert.equal(d.weird, weird);
  }
  // IP version 5, IHL 4, TCP data offset 4 and 15.
  const v5 = Buffer.from(F.RAW_TCP4); v5[0] = 0x55;
  const ihl = Buffer.from(F.RAW_TCP4); ihl[0] = 0x44;
  const off4 = Buffer.from(F.RAW_TCP4); off4[20 + 12] = 0x40;
  const off15 = Buffer.from(F.RAW_TCP4); off15[20 + 12] = 0xf0;
  const tl = Buffer.from(F.RAW_TCP4); tl.writeUInt16BE(30, 2); // total length < IP header + TCP header → truncated_header
  const exp: [Buffer, DecodeStatus, string, boolean][] = [
    [v5, DecodeStatus.Weird, 'unknown_ip_version', false], [ihl, DecodeStatus.Weird, 'IPv4_min_header_size', true],
    [off4, DecodeStatus.ConnWeird, 'bad_TCP_header_len', true], [off15, DecodeStatus.ConnWeird, 'truncated_header', true],
    [tl, DecodeStatus.Weird, 'truncated_header', true],
  ];
  for (const [b, st, weird, C] of exp) {
    const d = new Decoder({ ignoreChecksums: C });
    assert.equal(d.decode(raw(b, 101), o), st, weird);
    assert.equal(d.weird, weird);
  }
  const zero = Buffer.from(F.RAW_TCP4); zero.writeUInt16BE(0, 2);
  const d1 = new Decoder();
  assert.equal(d1.decode(raw(zero, 101), o), DecodeStatus.Weird);
  assert.equal(d1.weird, 'ip_hdr_len_zero');
  const d2 = new Decoder({ ignoreChecksums: true });
  assert.equal(d2.decode(raw(zero, 101), o), DecodeStatus.Ok); // -C: the captured length stands in
  assert.deepEqual(d2.sideWeirds.slice(0, d2.sideWeirdCount), ['ip_hdr_len_zero']);
  assert.equal(o.ipLen, 45);
});

test('every prefix of every frame decodes without throwing', () => {
  const d = new Decoder();
  const o = new DecodedPacket();
  for (const [name, b] of Object.entries(F)) {
    for (const lt of [0, 1, 9, 50, 101, 105, 113, 127, 239, 276, 192, 104, 100, 10]) {
      for (let n = 0; n <= b.length; n++) {
        const st = d.decode(raw(b.subarray(0, n), lt, b.length), o);
        assert.ok(st >= DecodeStatus.Ok && st <= DecodeStatus.Violation, `${name}/${lt}/${n}`);
        if (st === DecodeStatus.Ok) {
          assert.ok(o.l4Offset + o.l4CapLen <= o.buf.length);
          assert.ok(o.payloadCapLen >= 0 && o.payloadOffset + o.payloadCapLen <= o.buf.length, `${name}/${lt}/${n}`);
        }
      }
    }
  }
});

test('IPv6 extension headers: home address and routing header change the addresses; weirds as Zeek', () => {
  const { st, o, d } = dec('IP6_EXT_TCP', 1);
  assert.equal(st, DecodeStatus.Ok, d.weird);
  assert.equal(src(o), '2001:db8::77');
  assert.equal(dst(o), '2001:db8::99');
  assert.equal(o.ipProto, 6);
  assert.equal(o.ipHeaderLen, 40 + 8 + 24 + 24);
  assert.deepEqual([o.srcPort, o.dstPort, o.tcpFlags], [4321, 443, TCP_SYN]);
  assert.deepEqual(d.sideWeirds.slice(0, d.sideWeirdCount), ['routing0_hdr']);
  const ah = dec('IP6_AH_UDP', 1);
  assert.equal(ah.st, DecodeStatus.Ok, ah.d.weird);
  assert.deepEqual([ah.o.ipProto, ah.o.ipHeaderLen, ah.o.srcPort, ah.o.dstPort, payload(ah.o)], [17, 64, 1000, 2000, 'ah!']);
  const esp = dec('IP6_ESP', 1);
  assert.equal(esp.st, DecodeStatus.Ignored);
  assert.equal(esp.o.ipProto, 50);
});

test('IPv4 fragments: out of order, duplicate, reassembled into one datagram', () => {
  const d = new Decoder();
  const o = new DecodedPacket();
  assert.equal(d.decode(raw(F.FRAG4_3, 1), o), DecodeStatus.Fragment);
  assert.equal(d.decode(raw(F.FRAG4_1, 1), o), DecodeStatus.Fragment);
  assert.equal(d.decode(raw(F.FRAG4_1, 1), o), DecodeStatus.Fragment);
  // MF fragments under 64 bytes are excessively small for Zeek; the duplicate overlaps identically.
  assert.deepEqual(d.sideWeirds.slice(0, d.sideWeirdCount), ['excessively_small_fragment', 'fragment_overlap']);
  assert.equal(d.frags.size, 1);
  const st = d.decode(raw(F.FRAG4_2, 1), o);
  assert.equal(st, DecodeStatus.Ok, d.weird);
  assert.equal(o.reassembled, true);
  assert.equal(o.ipLen, 92);
  assert.deepEqual([o.ipProto, o.srcPort, o.dstPort, o.payloadLen, o.payloadCapLen], [17, 7777, 53, 64, 64]);
  const expect = Buffer.from(Array.from({ length: 64 }, (_, i) => i));
  assert.deepEqual(o.buf.subarray(o.payloadOffset, o.payloadOffset + 64), expect);
  assert.equal(d.frags.size, 0);
  assert.equal(d.frags.bytesHeld, 0);
});

test('IPv4 fragments: inconsistent overlap keeps the first data, and the UDP checksum then fails', () => {
  const d = new Decoder();
  const o = new DecodedPacket();
  d.decode(raw(F.FRAG4_1, 1), o);
  d.decode(raw(F.FRAG4_2_BAD, 1), o);
  assert.equal(d.decode(raw(F.FRAG4_2, 1), o), DecodeStatus.Fragment);
  assert.deepEqual(d.sideWeirds.slice(0, d.sideWeirdCount), ['excessively_small_fragment', 'fragment_inconsistency']);
  assert.equal(d.decode(raw(F.FRAG4_3, 1), o), DecodeStatus.ConnWeird);
  assert.equal(d.weird, 'bad_UDP_checksum');
});

test('fragments expire after the timeout and the held bytes are bounded', () => {
  const d = new Decoder({ fragTimeout: 10, fragMaxBytes: 2000 });
  const o = new DecodedPacket();
  d.decode(raw(F.FRAG4_1, 1, F.FRAG4_1.length, 0), o);
  assert.equal(d.frags.size, 1);
  d.decode(raw(F.FRAG4_3, 1, F.FRAG4_3.length, 20), o); // 20 s later: the first reassembly expired
  assert.equal(d.frags.size, 1);
  assert.equal(d.decode(raw(F.FRAG4_2, 1, F.FRAG4_2.length, 21), o), DecodeStatus.Fragment); // offset 0 is gone
  // Many distinct datagrams: the cap keeps the bytes held bounded.
  for (let id = 0; id < 50; id++) {
    const b = Buffer.from(F.FRAG4_1);
    b.writeUInt16BE(id, 14 + 4);
    b.writeUInt16BE(0, 14 + 10);
    b.writeUInt16BE((~fold16(b.subarray(14, 34)) & 0xffff), 14 + 10);
    d.decode(raw(b, 1, b.length, 22), o);
    assert.ok(d.frags.bytesHeld <= 2000 + 24 + 64 + 256 + 20, `held ${d.frags.bytesHeld}`);
  }
  assert.ok(d.frags.size < 10, `reassemblies ${d.frags.size}`);
  // And the number of reassemblies in progress is capped on its own.
  const e = new Decoder({ fragMaxEntries: 5 });
  for (let id = 0; id < 50; id++) {
    const b = Buffer.from(F.FRAG4_1);
    b.writeUInt16BE(id, 14 + 4);
    b.writeUInt16BE(0, 14 + 10);
    b.writeUInt16BE((~fold16(b.subarray(14, 34)) & 0xffff), 14 + 10);
    e.decode(raw(b, 1), o);
  }
  assert.equal(e.frags.size, 5);
});

function fold16(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) s += (h[i] << 8) | h[i + 1];
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

test('IPv6 fragments reassemble; the next header comes from the fragment header', () => {
  const d = new Decoder();
  const o = new DecodedPacket();
  assert.equal(d.decode(raw(F.FRAG6_2, 1), o), DecodeStatus.Fragment);
  const st = d.decode(raw(F.FRAG6_1, 1), o);
  assert.equal(st, DecodeStatus.Ok, d.weird);
  assert.equal(o.reassembled, true);
  assert.deepEqual([o.l3, o.ipProto, o.icmpType, o.ipLen, o.ipHeaderLen, o.payloadLen], [L3.IPv6, 58, 128, 88, 40, 40]);
});

test('incompletely captured fragments: the first is analysed, the others dropped', () => {
  const d = new Decoder();
  const o = new DecodedPacket();
  const cut3 = F.FRAG4_3.subarray(0, F.FRAG4_3.length - 4);
  assert.equal(d.decode(raw(cut3, 1, F.FRAG4_3.length), o), DecodeStatus.Weird);
  assert.equal(d.weird, 'incompletely_captured_fragment');
  const cut1 = F.FRAG4_1.subarray(0, F.FRAG4_1.length - 4);
  assert.equal(d.decode(raw(cut1, 1, F.FRAG4_1.length), o), DecodeStatus.Ok);
  assert.deepEqual(d.sideWeirds.slice(0, d.sideWeirdCount), ['incompletely_captured_fragment']);
  assert.equal(o.dstPort, 53);
});

// ---------------------------------------------------------------- tunnels

function outer(name: string): { d: Decoder; o: DecodedPacket; i: DecodedPacket; st: DecodeStatus } {
  const d = new Decoder();
  const o = new DecodedPacket();
  const i = new DecodedPacket();
  const st = d.decode(raw(F[name], 1), o);
  return { d, o, i, st };
}

function assertTunnelTcp(i: DecodedPacket): void {
  assert.equal(i.l3, L3.IPv4);
  assert.deepEqual([src(i), dst(i), i.srcPort, i.dstPort, payload(i)], ['172.16.0.1', '172.16.0.2', 5555, 22, 'inner']);
}

test('IP in IP and 6in4', () => {
  let t = outer('IPIP');
  assert.equal(t.st, DecodeStatus.Ok);
  assert.deepEqual([src(t.o), dst(t.o), t.o.ipProto], ['1.1.1.1', '2.2.2.2', 4]);
  assert.equal(t.d.decapIP(t.o, t.i), DecodeStatus.Ok);
  assert.equal(t.d.tunnelType, 'Tunnel::IP');
  assertTunnelTcp(t.i);
  t = outer('SIXIN4');
  assert.equal(t.o.ipProto, 41);
  assert.equal(t.d.decapIP(t.o, t.i), DecodeStatus.Ok);
  assert.deepEqual([src(t.i), dst(t.i), t.i.icmpType], ['fe80::1', 'ff02::1', 128]);
});

test('GRE: key, transparent Ethernet bridging, ERSPAN II and III, PPTP', () => {
  for (const name of ['GRE_KEY_IP', 'GRE_TEB', 'ERSPAN2', 'ERSPAN3', 'GRE_PPTP']) {
    const t = outer(name);
    assert.equal(t.st, DecodeStatus.Ok);
    assert.equal(t.o.ipProto, 47);
    const st = t.d.decapGRE(t.o, t.i);
    assert.equal(st, DecodeStatus.Ok, `${name}: ${t.d.weird}`);
    assert.equal(t.d.tunnelType, 'Tunnel::GRE');
    assertTunnelTcp(t.i);
    if (name !== 'GRE_KEY_IP' && name !== 'GRE_PPTP') assert.ok(t.d.l2Offset > 0, 'inner Ethernet');
  }
  const t = outer('GRE_PPTP');
  t.d.decapGRE(t.o, t.i);
  assert.equal(t.d.greVersion, 1);
  // GRE routing bit, unknown version, truncated.
  const cases: [number, number, string][] = [[0x4000, 0x0800, 'gre_routing'], [0x0003, 0x0800, 'unknown_gre_version'], [0x0001, 0x0800, 'egre_protocol_type']];
  for (const [flags, proto, weird] of cases) {
    const b = Buffer.from(F.GRE_KEY_IP);
    b.writeUInt16BE(flags, 34);
    b.writeUInt16BE(proto, 36);
    const d = new Decoder({ ignoreChecksums: true });
    const o = new DecodedPacket();
    d.decode(raw(b, 1), o);
    assert.equal(d.decapGRE(o, new DecodedPacket()), DecodeStatus.Weird);
    assert.equal(d.weird, weird);
  }
});

test('VXLAN and Geneve: inner Ethernet; the UDP checksum 0 on the VXLAN port is accepted', () => {
  let t = outer('VXLAN');
  assert.equal(t.st, DecodeStatus.Ok);
  assert.equal(t.o.dstPort, 4789);
  assert.equal(t.d.decapVXLAN(t.o, t.i, F.VXLAN.length, F.VXLAN.length), DecodeStatus.Ok);
  assert.equal(t.d.tunnelType, 'Tunnel::VXLAN');
  assert.equal(t.d.tunnelConfirmed, true);
  assertTunnelTcp(t.i);
  t = outer('GENEVE');
  assert.equal(t.st, DecodeStatus.Ok);
  assert.equal(t.d.decapGeneve(t.o, t.i), DecodeStatus.Ok);
  assert.equal(t.d.tunnelType, 'Tunnel::Geneve');
  assertTunnelTcp(t.i);
  // VXLAN without the I flag: an analyzer violation.
  const b = Buffer.from(F.VXLAN);
  b[14 + 20 + 8] = 0;
  const d = new Decoder();
  const o = new DecodedPacket();
  d.decode(raw(b, 1), o);
  assert.equal(d.decapVXLAN(o, new DecodedPacket()), DecodeStatus.Violation);
  assert.equal(d.violation, "VXLAN 'I' flag not set");
});

test('Teredo: origin indication and bubble, plain IPv6; AYIYA; GTPv1 with an extension header', () => {
  let t = outer('TEREDO_BUBBLE_ORIGIN');
  assert.equal(t.st, DecodeStatus.Ok);
  assert.equal(t.d.decapTeredo(t.o, t.i), DecodeStatus.Ignored); // bubble: IPv6 with no next header
  assert.equal(t.d.tunnelConfirmed, true);
  assert.ok(t.d.teredoOriginOffset > 0);
  const oi = t.o.buf.readUInt16BE(t.d.teredoOriginOffset + 2) ^ 0xffff;
  assert.equal(oi, 0x1234);
  t = outer('TEREDO_ICMP6');
  assert.equal(t.d.decapTeredo(t.o, t.i), DecodeStatus.Ok);
  assert.deepEqual([src(t.i), t.i.icmpType], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 128]);
  t = outer('AYIYA');
  assert.equal(t.d.decapAYIYA(t.o, t.i), DecodeStatus.Ok);
  assert.equal(t.d.tunnelType, 'Tunnel::AYIYA');
  assert.deepEqual([src(t.i), t.i.icmpType], ['fe80::1', 128]);
  t = outer('GTPV1');
  assert.equal(t.d.decapGTPv1(t.o, t.i), DecodeStatus.Ok, t.d.violation);
  assert.equal(t.d.tunnelType, 'Tunnel::GTPv1');
  assertTunnelTcp(t.i);
  // Truncated Teredo → violation.
  const b = F.TEREDO_ICMP6.subarray(0, 14 + 20 + 8 + 30);
  const d = new Decoder();
  const o = new DecodedPacket();
  d.decode(raw(b, 1, b.length), o);
  assert.equal(d.decapTeredo(o, new DecodedPacket()), DecodeStatus.Violation);
});

test('content detection of Teredo and AYIYA (for tunnels off their ports)', () => {
  const p = (name: string): [Buffer, number, number] => {
    const { o } = outer(name);
    return [o.buf, o.payloadOffset, o.payloadCapLen];
  };
  assert.equal(detectTeredo(...p('TEREDO_BUBBLE_ORIGIN')), true);
  assert.equal(detectTeredo(...p('ETH_UDP4')), false);
  assert.equal(detectTeredo(...p('AYIYA')), false);
  assert.equal(detectAYIYA(...p('AYIYA')), true);
  assert.equal(detectAYIYA(...p('GTPV1')), false);
});

test('address formatting as Zeek prints it', () => {
  assert.equal(formatIPv4(0xc0a80102), '192.168.1.2');
  assert.equal(formatIPv4(0), '0.0.0.0');
  const w = (...g: number[]) => Uint32Array.from([0, 1, 2, 3].map((i) => ((g[2 * i] << 16) | g[2 * i + 1]) >>> 0));
  assert.equal(formatIPv6(w(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)), '2001:db8::1');
  assert.equal(formatIPv6(w(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), '2001:db8::1:0:0:1'); // first of equal runs
  assert.equal(formatIPv6(w(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)), '2001:db8:0:1:1:1:1:1'); // a single zero is not compressed
  assert.equal(formatIPv6(w(0, 0, 0, 0, 0, 0, 0, 0)), '::');
  assert.equal(formatIPv6(w(0, 0, 0, 0, 0, 0, 0, 1)), '::1');
  assert.equal(formatIPv6(w(0xfe80, 0, 0, 0, 0, 0, 0, 0)), 'fe80::');
  assert.equal(formatIPv6(w(0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001)), '10.0.0.1'); // IPv4-mapped: Zeek prints IPv4
  assert.equal(formatIPv6(w(0, 0, 0, 0, 0, 0, 0x0a00, 0x0001)), '::10.0.0.1');
  assert.equal(formatIPv6(w(0xff02, 0, 0, 0, 0, 0, 0, 0xfb)), 'ff02::fb');
});

test('flowHash: the same for both directions, different for other flows', () => {
  const o = new DecodedPacket();
  const d = new Decoder();
  d.decode(raw(F.ETH_TCP4, 1), o);
  const h1 = flowHash(o);
  // Swap addresses and ports by hand: the reply direction.
  [o.src4, o.dst4] = [o.dst4, o.src4];
  [o.srcPort, o.dstPort] = [o.dstPort, o.srcPort];
  assert.equal(flowHash(o), h1);
  o.srcPort++;
  assert.notEqual(flowHash(o), h1);
  d.decode(raw(F.ETH_UDP6, 1), o);
  const h6 = flowHash(o);
  const s = Uint32Array.from(o.src6);
  o.src6.set(o.dst6);
  o.dst6.set(s);
  [o.srcPort, o.dstPort] = [o.dstPort, o.srcPort];
  assert.equal(flowHash(o), h6);
  // Spread: 4096 flows over 4 shards, none empty or overloaded.
  const shards = [0, 0, 0, 0];
  for (let i = 0; i < 4096; i++) {
    o.l3 = L3.IPv4; o.src4 = 0x0a000000 + i; o.dst4 = 0xc0a80101; o.srcPort = 1024 + i; o.dstPort = 443; o.ipProto = 6;
    shards[flowHash(o) & 3]++;
  }
  for (const n of shards) assert.ok(n > 900 && n < 1150, `shards ${shards}`);
});

test('ICMP counterparts (conn.log resp_p)', () => {
  assert.equal(icmpCounterpart(8, 0, false), 0);
  assert.equal(icmpCounterpart(3, 3, false), 3);
  assert.equal(icmpIsOneWay(3, false), true);
  assert.equal(icmpCounterpart(135, 0, true), 136);
  assert.equal(icmpIsOneWay(128, true), false);
});

// ---------------------------------------------------------------- corpus

const shared = new URL('../../../../shared/', import.meta.url).pathname;

test('Zeek corpus: every packet decodes; every conn.log connection is found among the decoded packets', async () => {
  const root = join(shared, 'corpus/zeek');
  let rows = 0;
  let found = 0;
  const missing: string[] = [];
  for (const proto of readdirSync(root)) {
    if (!existsSync(join(root, proto)) || proto.includes('.')) continue;
    for (const c of readdirSync(join(root, proto))) {
      const dir = join(root, proto, c);
      const cj = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { pcap: string; zeek_cmd: string };
      const C = / -[a-zA-Z]*C/.test(cj.zeek_cmd);
      const got = new Set<string>();
      const d = new Decoder({ ignoreChecksums: C });
      const o = new DecodedPacket();
      const inner = new DecodedPacket();
      let ipFrames = 0;
      const key = (p: DecodedPacket): void => {
        const v4 = p.l3 === L3.IPv4;
        const pn = p.ipProto === 6 ? 'tcp' : p.ipProto === 17 ? 'udp' : p.ipProto === 1 || p.ipProto === 58 ? 'icmp' : 'unknown_transport';
        const rp = pn === 'icmp' ? icmpCounterpart(p.icmpType, p.icmpCode, p.ipProto === 58) : p.dstPort;
        got.add([pn, ...[`${formatAddr(v4, p.src4, p.src6)}/${p.srcPort}`, `${formatAddr(v4, p.dst4, p.dst6)}/${rp}`].sort()].join(' '));
      };
      await openCapture(join(dir, cj.pcap)).run((r) => {
        const st = d.decode(r, o);
        if (st === DecodeStatus.Ok || st === DecodeStatus.ConnWeird) {
          ipFrames++;
          key(o);
        }
        if (st !== DecodeStatus.Ok) return;
        let s2 = -1;
        if (o.ipProto === 4 || o.ipProto === 41) s2 = d.decapIP(o, inner);
        else if (o.ipProto === 47) s2 = d.decapGRE(o, inner);
        else if (o.ipProto === 17 && o.dstPort === 4789) s2 = d.decapVXLAN(o, inner, r.wireLen, r.capLen);
        else if (o.ipProto === 17 && o.dstPort === 6081) s2 = d.decapGeneve(o, inner, r.wireLen, r.capLen);
        if (s2 === DecodeStatus.Ok || s2 === DecodeStatus.ConnWeird) key(inner);
      });
      assert.ok(ipFrames > 0, `${proto}/${c}: no IP decoded`);
      const connLog = join(dir, 'conn.log');
      if (!existsSync(connLog)) continue;
      const text = readFileSync(connLog, 'utf8');
      const fields = text.split('\n').find((l) => l.startsWith('#fields'))?.split('\t').slice(1);
      if (!fields) continue;
      const ix = (n: string) => fields.indexOf(n);
      for (const line of text.split('\n')) {
        if (!line || line.startsWith('#')) continue;
        const f = line.split('\t');
        const k = [f[ix('proto')], ...[`${f[ix('id.orig_h')]}/${f[ix('id.orig_p')]}`, `${f[ix('id.resp_h')]}/${f[ix('id.resp_p')]}`].sort()].join(' ');
        rows++;
        if (got.has(k)) found++;
        else missing.push(`${proto}/${c}: ${k}`);
      }
    }
  }
  assert.deepEqual(missing, []);
  assert.ok(rows >= 100, `rows ${rows}`);
  assert.equal(found, rows);
});

test('robustness corpus: every frame of every capture decodes without throwing', async () => {
  const root = join(shared, 'corpus/pcaps');
  const lines = readFileSync(join(root, 'MANIFEST.tsv'), 'utf8').trim().split('\n').slice(1);
  const d = new Decoder();
  const o = new DecodedPacket();
  const inner = new DecodedPacket();
  let frames = 0;
  let ip = 0;
  for (const line of lines) {
    const rel = line.split('\t')[6];
    try {
      await openCapture(join(root, rel)).run((r) => {
        frames++;
        const st = d.decode(r, o);
        if (st === DecodeStatus.Ok) {
          ip++;
          if (o.ipProto === 4 || o.ipProto === 41) d.decapIP(o, inner);
          else if (o.ipProto === 47) d.decapGRE(o, inner);
          else if (o.ipProto === 17) {
            d.decapVXLAN(o, inner); d.decapGeneve(o, inner); d.decapTeredo(o, inner); d.decapAYIYA(o, inner); d.decapGTPv1(o, inner);
          }
        }
      });
    } catch (e) {
      assert.equal((e as Error).name, 'CaptureError', `${rel}: ${(e as Error).stack}`);
    }
  }
  assert.ok(frames > 100000, `frames ${frames}`);
  assert.ok(ip / frames > 0.85, `IP share ${ip}/${frames}`);
});
