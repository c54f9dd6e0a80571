// Hand-filled DecodedPackets and a flow table that records what it removes, for the flow tests.
import { DecodedPacket, L3, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../src/decode/packet.js';
import { FlowTable } from '../../src/flow/table.js';
import type { AppLayer, Conn } from '../../src/flow/conn.js';
import { UidGenerator } from '../../src/flow/uid.js';
import { connRecord } from '../../src/sensor/records.js';
import type { ZeekRecord } from '../../src/zeek/types.js';

export { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN };

export function ip4(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export interface Seg {
  ts: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags?: number;
  seq?: number;
  ack?: number;
  payload?: number | Buffer;
  win?: number;
}

/** A TCP/IPv4 packet: 20-byte IP header, 20-byte TCP header, payload bytes. */
export function tcp(s: Seg): DecodedPacket {
  const p = new DecodedPacket();
  const pl = typeof s.payload === 'number' ? Buffer.alloc(s.payload, 0x61) : s.payload ?? Buffer.alloc(0);
  const buf = Buffer.alloc(40 + pl.length);
  pl.copy(buf, 40);
  buf.writeUInt16BE(s.sport, 20);
  buf.writeUInt16BE(s.dport, 22);
  p.ts = s.ts;
  p.buf = buf;
  p.l3 = L3.IPv4;
  p.ipOffset = 0;
  p.ipHeaderLen = 20;
  p.ipLen = p.ipCapLen = 40 + pl.length;
  p.src4 = ip4(s.src);
  p.dst4 = ip4(s.dst);
  p.ipProto = 6;
  p.l4Offset = 20;
  p.l4Len = p.l4CapLen = 20 + pl.length;
  p.srcPort = s.sport;
  p.dstPort = s.dport;
  p.tcpFlags = s.flags ?? TCP_ACK;
  p.tcpSeq = (s.seq ?? 0) >>> 0;
  p.tcpAck = (s.ack ?? 0) >>> 0;
  p.tcpWin = s.win ?? 65535;
  p.tcpHeaderLen = 20;
  p.payloadOffset = 40;
  p.payloadLen = p.payloadCapLen = pl.length;
  return p;
}

export function udp(ts: number, src: string, dst: string, sport: number, dport: number, payload: number | Buffer): DecodedPacket {
  const pl = typeof payload === 'number' ? Buffer.alloc(payload, 0x62) : payload;
  const p = new DecodedPacket();
  const buf = Buffer.alloc(28 + pl.length);
  buf.writeUInt16BE(sport, 20);
  buf.writeUInt16BE(dport, 22);
  buf.writeUInt16BE(8 + pl.length, 24);
  pl.copy(buf, 28);
  p.ts = ts;
  p.buf = buf;
  p.l3 = L3.IPv4;
  p.ipHeaderLen = 20;
  p.ipLen = p.ipCapLen = buf.length;
  p.src4 = ip4(src);
  p.dst4 = ip4(dst);
  p.ipProto = 17;
  p.l4Offset = 20;
  p.l4Len = p.l4CapLen = 8 + pl.length;
  p.srcPort = sport;
  p.dstPort = dport;
  p.payloadOffset = 28;
  p.payloadLen = p.payloadCapLen = pl.length;
  return p;
}

export function icmp(ts: number, src: string, dst: string, type: number, code: number, payload: number): DecodedPacket {
  const p = new DecodedPacket();
  const buf = Buffer.alloc(28 + payload);
  buf[20] = type;
  buf[21] = code;
  p.ts = ts;
  p.buf = buf;
  p.l3 = L3.IPv4;
  p.ipHeaderLen = 20;
  p.ipLen = p.ipCapLen = buf.length;
  p.src4 = ip4(src);
  p.dst4 = ip4(dst);
  p.ipProto = 1;
  p.l4Offset = 20;
  p.l4Len = p.l4CapLen = 8 + payload;
  p.icmpType = type;
  p.icmpCode = code;
  p.payloadOffset = 28;
  p.payloadLen = p.payloadCapLen = payload;
  return p;
}

export interface Harness {
  flow: FlowTable;
  rows: ZeekRecord[];
  weirds: string[];
  run(pkts: DecodedPacket[]): void;
  end(): ZeekRecord[];
}

export function harness(app: AppLayer | null = null, likelyTcp = [80, 22, 443], likelyUdp = [53]): Harness {
  const rows: ZeekRecord[] = [];
  const weirds: string[] = [];
  const uids = new UidGenerator();
  const flow = new FlowTable({
    app,
    weird: (_c: Conn | null, name: string) => { weirds.push(name); },
    removed: (c: Conn) => { rows.push(connRecord(c)); },
  }, { likelyTcp: new Set(likelyTcp), likelyUdp: new Set(likelyUdp), newUid: () => uids.next() }, 16);
  return {
    flow, rows, weirds,
    run(pkts) { for (const p of pkts) flow.processPacket(p, null); },
    end() { flow.flushAll(); return rows; },
  };
}
