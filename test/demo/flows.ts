// Test helper: reads a capture with the project's reader and splits the demo's frames (Ethernet + IPv4 +
// TCP/UDP/ICMP, in order, no loss) into TCP byte streams per direction, UDP datagrams and ICMP messages.
import { openCapture } from '../../src/capture/index.js';

export interface Segment { ts: number; len: number; off: number }
export interface TcpStream {
  key: string;
  src: string; sport: number; dst: string; dport: number;
  syn: boolean;
  firstTs: number;
  segments: Segment[];
  data: Buffer;
  chunks: Buffer[];
}
export interface Datagram { ts: number; src: string; sport: number; dst: string; dport: number; payload: Buffer }
export interface IcmpMsg { ts: number; src: string; dst: string; type: number; dataLen: number }

export interface Flows {
  packets: number;
  firstTs: number;
  lastTs: number;
  tcp: Map<string, TcpStream>;
  udp: Datagram[];
  icmp: IcmpMsg[];
  /** Source MAC addresses (aa:bb:…) seen per source IP. */
  macs: Map<string, Set<string>>;
}

const ip4 = (b: Buffer, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

export async function readFlows(path: string): Promise<Flows> {
  const f: Flows = { packets: 0, firstTs: Infinity, lastTs: -Infinity, tcp: new Map(), udp: [], icmp: [], macs: new Map() };
  await openCapture(path).run((p) => {
    f.packets++;
    f.firstTs = Math.min(f.firstTs, p.ts);
    f.lastTs = Math.max(f.lastTs, p.ts);
    const b = p.data;
    const e = p.offset;
    if (b.readUInt16BE(e + 12) !== 0x0800) return;
    const ip = e + 14;
    const ihl = (b[ip]! & 0xf) * 4;
    const total = b.readUInt16BE(ip + 2);
    const proto = b[ip + 9]!;
    const src = ip4(b, ip + 12), dst = ip4(b, ip + 16);
    const mac = [...b.subarray(e + 6, e + 12)].map((x) => x.toString(16).padStart(2, '0')).join(':');
    if (!f.macs.has(src)) f.macs.set(src, new Set());
    f.macs.get(src)!.add(mac);
    const l4 = ip + ihl;
    const end = ip + total;
    if (proto === 6) {
      const sport = b.readUInt16BE(l4), dport = b.readUInt16BE(l4 + 2);
      const thl = (b[l4 + 12]! >> 4) * 4;
      const flags = b[l4 + 13]!;
      const key = `${src}:${sport}>${dst}:${dport}`;
      let s = f.tcp.get(key);
      if (!s) {
        s = { key, src, sport, dst, dport, syn: false, firstTs: p.ts, segments: [], data: Buffer.alloc(0), chunks: [] };
        f.tcp.set(key, s);
      }
      if (flags & 2) s.syn = true;
      const len = end - (l4 + thl);
      if (len > 0) {
        const off = s.chunks.reduce((a, c) => a + c.length, 0);
        s.segments.push({ ts: p.ts, len, off });
        s.chunks.push(Buffer.from(b.subarray(l4 + thl, end)));
      }
    } else if (proto === 17) {
      f.udp.push({ ts: p.ts, src, sport: b.readUInt16BE(l4), dst, dport: b.readUInt16BE(l4 + 2), payload: Buffer.from(b.subarray(l4 + 8, end)) });
    } else if (proto === 1) {
      f.icmp.push({ ts: p.ts, src, dst, type: b[l4]!, dataLen: end - l4 - 8 });
    }
  });
  for (const s of f.tcp.values()) s.data = Buffer.concat(s.chunks);
  return f;
}

/** The stream in the other direction. */
export function reverse(f: Flows, s: TcpStream): TcpStream | undefined {
  return f.tcp.get(`${s.dst}:${s.dport}>${s.src}:${s.sport}`);
}

/** Client→server streams (those that began with a SYN) matching a predicate. */
export function clientStreams(f: Flows, pred: (s: TcpStream) => boolean): TcpStream[] {
  return [...f.tcp.values()].filter((s) => s.syn && s.dport < 1024 && pred(s));
}

/** The NBSS-framed messages of an SMB stream. */
export function nbssMessages(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let o = 0; o + 4 <= data.length; ) {
    const len = data.readUIntBE(o + 1, 3);
    out.push(data.subarray(o + 4, o + 4 + len));
    o += 4 + len;
  }
  return out;
}

/** TLS handshake messages (type, body) of a stream, across records. */
export function tlsHandshakes(data: Buffer): { type: number; body: Buffer }[] {
  const hs: Buffer[] = [];
  for (let o = 0; o + 5 <= data.length; ) {
    const len = data.readUInt16BE(o + 3);
    if (data[o] === 22) hs.push(data.subarray(o + 5, o + 5 + len));
    if (data[o] === 20) break; // after ChangeCipherSpec the handshake is encrypted
    o += 5 + len;
  }
  const all = Buffer.concat(hs);
  const out: { type: number; body: Buffer }[] = [];
  for (let o = 0; o + 4 <= all.length; ) {
    const len = all.readUIntBE(o + 1, 3);
    out.push({ type: all[o]!, body: all.subarray(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return out;
}

/**
 * Zeek's SSH authentication inference (SSH_Analyzer::ProcessEncrypted) replayed over the segment sizes
 * of one connection: returns auth_success (undefined when undecided) and auth_attempts.
 */
export function zeekSshAuth(client: TcpStream, server: TcpStream): { success: boolean | undefined; attempts: number } {
  const encStart = (s: TcpStream): number => {
    // Skip the banner line, then walk binary packets to the end of NEWKEYS.
    let o = s.data.indexOf('\n') + 1;
    while (o + 6 <= s.data.length) {
      const len = s.data.readUInt32BE(o);
      const type = s.data[o + 5];
      o += 4 + len;
      if (type === 21) return o;
    }
    return Infinity;
  };
  const cs = encStart(client), ss = encStart(server);
  const events = [
    ...client.segments.filter((g) => g.off >= cs).map((g) => ({ ...g, orig: true })),
    ...server.segments.filter((g) => g.off >= ss).map((g) => ({ ...g, orig: false })),
  ].sort((a, b) => a.ts - b.ts);
  let sawClient = false, accept = 0, failure = 0, skipped = false, decided = false;
  let success: boolean | undefined, attempts = 0;
  for (const e of events) {
    if (decided) break;
    if (e.orig) { sawClient = true; continue; }
    if (!sawClient) continue;
    if (!accept) { accept = e.len; continue; }
    if (!failure && e.len + 16 === accept) { decided = true; success = true; attempts++; continue; }
    if (!failure) {
      if (!skipped && e.len - accept > 256) { skipped = true; continue; }
      failure = e.len;
      continue;
    }
    if (e.len === failure) { success = false; attempts++; continue; }
    if (e.len - accept === -16) { decided = true; success = true; attempts++; }
  }
  return { success, attempts };
}
