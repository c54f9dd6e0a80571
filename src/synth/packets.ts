// Frame builders: Ethernet + IPv4/IPv6 + TCP/UDP/ICMP/ICMPv6 with correct checksums, written in place into
// a reusable buffer. A FrameBuilder is a mutable description of the next frame; set its fields and call a
// build method, which returns the frame length in `builder.buf`. Nothing is allocated per frame.

import { isIPv4, isIPv6 } from 'node:net';
import { finish, pseudoHeaderSum, sum16 } from './checksum.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMP6 = 58;
export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10, URG = 0x20;

/** Parses a textual IPv4 or IPv6 address into 4 or 16 network-order bytes. */
export function ipBytes(addr: string): Buffer {
  if (isIPv4(addr)) return Buffer.from(addr.split('.').map((x) => Number(x)));
  if (!isIPv6(addr)) throw new Error(`not an IP address: ${addr}`);
  let s = addr;
  const out = Buffer.alloc(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipBytes(v4[1]!);
    s = s.slice(0, -v4[1]!.length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** A locally administered MAC address derived deterministically from an IP address. */
export function macFor(ip: Buffer): Buffer {
  let h = 0x811c9dc5;
  for (const b of ip) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  const m = Buffer.alloc(6);
  m[0] = 0x02;
  m.writeUInt32BE(h, 1);
  m[5] = ip[ip.length - 1]!;
  return m;
}

export class FrameBuilder {
  /** The frame being built; valid until the next build call. */
  readonly buf: Buffer;

  srcMac: Buffer = Buffer.alloc(6);
  dstMac: Buffer = Buffer.alloc(6);
  /** 4 bytes (IPv4) or 16 bytes (IPv6); both must be the same family. */
  src: Buffer = Buffer.alloc(4);
  dst: Buffer = Buffer.alloc(4);
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = 64;
  /** IPv4 identification (incremented by the caller as it likes). */
  ipId = 0;
  /** IPv4 Don't Fragment bit. */
  dontFragment = true;
  tos = 0;
  flowLabel = 0;

  sport = 0;
  dport = 0;
  seq = 0;
  ack = 0;
  flags = 0;
  win = 65535;
  /** TCP options bytes (length a multiple of 4), or null. */
  tcpOptions: Buffer | null = null;

  icmpType = 8;
  icmpCode = 0;
  icmpId = 0;
  icmpSeq = 0;

  /** Payload: payload[payloadOff .. payloadOff+payloadLen). */
  payload: Buffer = Buffer.alloc(0);
  payloadOff = 0;
  payloadLen = 0;

  /** When true, transport checksums are deliberately wrong (for checksum tests). */
  corruptChecksum = false;

  constructor(maxFrame = 65535 + 64) {
    this.buf = Buffer.alloc(maxFrame);
  }

  setPayload(data: Buffer, off = 0, len = data.length - off): this {
    this.payload = data;
    this.payloadOff = off;
    this.payloadLen = len;
    return this;
  }

  clearPayload(): this {
    this.payloadLen = 0;
    return this;
  }

  /** Ethernet + IP + TCP. Returns the frame length. */
  buildTcp(): number {
    const optLen = this.tcpOptions ? this.tcpOptions.length : 0;
    const thl = 20 + optLen;
    const l4Len = thl + this.payloadLen;
    const l4 = this.writeL2L3(PROTO_TCP, l4Len);
    const b = this.buf;
    b.writeUInt16BE(this.sport, l4);
    b.writeUInt16BE(this.dport, l4 + 2);
    b.writeUInt32BE(this.seq >>> 0, l4 + 4);
    b.writeUInt32BE(this.ack >>> 0, l4 + 8);
    b.writeUInt16BE(((thl >> 2) << 12) | (this.flags & 0x1ff), l4 + 12);
    b.writeUInt16BE(this.win, l4 + 14);
    b.writeUInt16BE(0, l4 + 16);
    b.writeUInt16BE(0, l4 + 18);
    if (this.tcpOptions) this.tcpOptions.copy(b, l4 + 20);
    if (this.payloadLen) this.payload.copy(b, l4 + thl, this.payloadOff, this.payloadOff + this.payloadLen);
    this.transportChecksum(PROTO_TCP, l4, l4Len, l4 + 16);
    return l4 + l4Len;
  }

  /** Ethernet + IP + UDP. Returns the frame length. */
  buildUdp(): number {
    const l4Len = 8 + this.payloadLen;
    const l4 = this.writeL2L3(PROTO_UDP, l4Len);
    const b = this.buf;
    b.writeUInt16BE(this.sport, l4);
    b.writeUInt16BE(this.dport, l4 + 2);
    b.writeUInt16BE(l4Len, l4 + 4);
    b.writeUInt16BE(0, l4 + 6);
    if (this.payloadLen) this.payload.copy(b, l4 + 8, this.payloadOff, this.payloadOff + this.payloadLen);
    this.transportChecksum(PROTO_UDP, l4, l4Len, l4 + 6);
    return l4 + l4Len;
  }

  /**
   * Ethernet + IPv4 + ICMP, or Ethernet + IPv6 + ICMPv6 (by the address family), with an echo-style
   * header (type, code, identifier, sequence). Returns the frame length.
   */
  buildIcmp(): number {
    const v6 = this.src.length === 16;
    const proto = v6 ? PROTO_ICMP6 : PROTO_ICMP;
    const l4Len = 8 + this.payloadLen;
    const l4 = this.writeL2L3(proto, l4Len);
    const b = this.buf;
    b[l4] = this.icmpType;
    b[l4 + 1] = this.icmpCode;
    b.writeUInt16BE(0, l4 + 2);
    b.writeUInt16BE(this.icmpId, l4 + 4);
    b.writeUInt16BE(this.icmpSeq, l4 + 6);
    if (this.payloadLen) this.payload.copy(b, l4 + 8, this.payloadOff, this.payloadOff + this.payloadLen);
    if (v6) this.transportChecksum(proto, l4, l4Len, l4 + 2);
    else {
      let c = finish(sum16(b, l4, l4Len));
      if (this.corruptChecksum) c ^= 0x5a5a;
      b.writeUInt16BE(c, l4 + 2);
    }
    return l4 + l4Len;
  }

  /** Writes Ethernet and the IP header; returns the offset of the transport header. */
  private writeL2L3(proto: number, l4Len: number): number {
    const b = this.buf;
    this.dstMac.copy(b, 0);
    this.srcMac.copy(b, 6);
    if (this.src.length === 4) {
      b.writeUInt16BE(ETHERTYPE_IPV4, 12);
      const ip = 14;
      const total = 20 + l4Len;
      if (total > 0xffff) throw new RangeError(`IPv4 datagram too long: ${total}`);
      b[ip] = 0x45;
      b[ip + 1] = this.tos;
      b.writeUInt16BE(total, ip + 2);
      b.writeUInt16BE(this.ipId & 0xffff, ip + 4);
      b.writeUInt16BE(this.dontFragment ? 0x4000 : 0, ip + 6);
      b[ip + 8] = this.ttl;
      b[ip + 9] = proto;
      b.writeUInt16BE(0, ip + 10);
      this.src.copy(b, ip + 12);
      this.dst.copy(b, ip + 16);
      b.writeUInt16BE(finish(sum16(b, ip, 20)), ip + 10);
      return ip + 20;
    }
    b.writeUInt16BE(ETHERTYPE_IPV6, 12);
    const ip = 14;
    if (l4Len > 0xffff) throw new RangeError(`IPv6 payload too long: ${l4Len}`);
    b.writeUInt32BE(((6 << 28) | ((this.tos & 0xff) << 20) | (this.flowLabel & 0xfffff)) >>> 0, ip);
    b.writeUInt16BE(l4Len, ip + 4);
    b[ip + 6] = proto;
    b[ip + 7] = this.ttl;
    this.src.copy(b, ip + 8);
    this.dst.copy(b, ip + 24);
    return ip + 40;
  }

  private transportChecksum(proto: number, l4: number, l4Len: number, at: number): void {
    let c = finish(sum16(this.buf, l4, l4Len, pseudoHeaderSum(this.src, this.dst, proto, l4Len)));
    if (proto === PROTO_UDP && c === 0) c = 0xffff;
    if (this.corruptChecksum) c ^= 0x5a5a;
    this.buf.writeUInt16BE(c, at);
  }
}

/** TCP options of a SYN: MSS, SACK permitted, window scale (12 bytes, padded). */
export function synOptions(mss: number, wscale = 7): Buffer {
  const o = Buffer.alloc(12);
  o[0] = 2; o[1] = 4; o.writeUInt16BE(mss, 2); // MSS
  o[4] = 4; o[5] = 2; // SACK permitted
  o[6] = 1; // NOP
  o[7] = 3; o[8] = 3; o[9] = wscale; // window scale
  o[10] = 1; o[11] = 1; // NOP NOP
  return o;
}
