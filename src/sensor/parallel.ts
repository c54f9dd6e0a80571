// Conn-level analysis over worker threads, as a Zeek cluster spreads flows over workers: this thread
// reads and decodes each frame only to find its shard (a symmetric hash of the outermost address pair,
// so IP fragments, tunnels and both directions of a flow stay together), copies it into that worker's
// shared ring, and writes the records the workers send back. Uids are keyed by packet number, so the
// logs hold the same rows as a single-threaded run (in another order).
import { Worker } from 'node:worker_threads';
import { openCapture } from '../capture/index.js';
import { Decoder, DecodeStatus, DecodedPacket, LINKTYPE_RAW } from '../decode/index.js';
import type { RawPacket } from '../capture/types.js';
import { L3 } from '../decode/packet.js';
import { connSchema } from '../zeek/schemas/conn.js';
import { tunnelSchema } from '../zeek/schemas/tunnel.js';
import { weirdSchema } from '../zeek/schemas/weird.js';
import { analyzerSchema } from '../analyzers/framework/analyzer-log.js';
import type { LogSchema, ZeekRecord } from '../zeek/types.js';
import { RingWriter, newRing } from './ring.js';
import { UDP_TUNNELS, looksLikeAyiya, looksLikeTeredo } from './tunnels.js';
import { openSink, type Selection, type SensorOptions, type SensorStats } from './index.js';

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const TUNNEL_PORTS = new Uint8Array(65536);
for (const port of UDP_TUNNELS.keys()) TUNNEL_PORTS[port] = 1;

/** Symmetric hash of a packet's address pair. */
function pairHash(p: DecodedPacket): number {
  if (p.l3 === L3.IPv4) return mix32(p.src4 ^ p.dst4);
  const s6 = p.src6, d6 = p.dst6;
  return mix32((s6[0]! ^ d6[0]!) + mix32((s6[1]! ^ d6[1]!) + mix32((s6[2]! ^ d6[2]!) + mix32(s6[3]! ^ d6[3]!))));
}

/** Tunnel traffic known by its protocol or port: IP-in-IP, GRE, UDP on a tunnel port. */
function isPortTunnel(p: DecodedPacket): boolean {
  const pr = p.ipProto;
  if (pr === 4 || pr === 41 || pr === 47) return true;
  return pr === 17 && (TUNNEL_PORTS[p.srcPort] === 1 || TUNNEL_PORTS[p.dstPort] === 1);
}

/** UDP whose payload looks like AYIYA or Teredo (Zeek finds those on any port by their content). */
function looksLikeUdpTunnel(p: DecodedPacket): boolean {
  if (p.ipProto !== 17) return false;
  const off = p.l4Offset + 8, len = Math.min(p.l4Len, p.l4CapLen) - 8;
  return len > 0 && (looksLikeAyiya(p.buf, off, len) || looksLikeTeredo(p.buf, off, len));
}

/** A reassembled IPv4 datagram as one unfragmented packet: total length, no fragment bits, header checksum. */
function fixIPv4Header(b: Buffer, hl: number, len: number): void {
  b.writeUInt16BE(len & 0xffff, 2);
  b.writeUInt16BE(b.readUInt16BE(6) & 0x4000, 6); // keep DF, clear MF and the offset
  b.writeUInt16BE(0, 10);
  let sum = 0;
  for (let i = 0; i + 1 < hl; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 10);
}

export async function analyzeParallel(opts: SensorOptions, sel: Selection, n: number): Promise<SensorStats> {
  const { sink, written } = openSink(opts, sel);
  const schemas = new Map<string, LogSchema>([connSchema, tunnelSchema, weirdSchema, analyzerSchema].map((x) => [x.path, x]));
  const writers: RingWriter[] = [];
  const workers: Worker[] = [];
  const done: Promise<{ ipPackets: number; connections: number }>[] = [];
  let failure: Error | undefined;
  for (let i = 0; i < n; i++) {
    const sab = newRing();
    writers.push(new RingWriter(sab));
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { sab, analyzers: opts.analyzers ? [...opts.analyzers] : null, ignoreChecksums: !!opts.ignoreChecksums },
    });
    workers.push(w);
    done.push(new Promise((resolve, reject) => {
      w.on('message', (m: { t: string; rows?: [string, ZeekRecord][]; message?: string; ipPackets?: number; connections?: number }) => {
        if (m.t === 'rec') {
          for (const [path, rec] of m.rows!) {
            const schema = schemas.get(path);
            if (schema) sink.write(schema, rec);
          }
        }
        else if (m.t === 'done') resolve({ ipPackets: m.ipPackets!, connections: m.connections! });
        else if (m.t === 'error') { failure = new Error(m.message); reject(failure); }
      });
      w.on('error', (e) => { failure = e; reject(e); });
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`sensor worker exited with code ${code}`)); });
    }));
  }
  // Keep unhandled rejections away while the reader runs; they are awaited below.
  for (const d of done) d.catch(() => {});

  const reader = openCapture(opts.input);
  // The reader decodes only to find a packet's shard: checksums are the workers' to verify (and to
  // report as weirds), so skipping them here halves the reader's cost and drops nothing early.
  const decoder = new Decoder({ ignoreChecksums: true });
  const p = new DecodedPacket();
  const reasm: RawPacket = { ts: 0, linkType: LINKTYPE_RAW, interfaceId: 0, wireLen: 0, data: Buffer.alloc(0), offset: 0, capLen: 0 };
  let scratch = Buffer.allocUnsafe(65536);
  const tunnelPairs = new Set<number>();
  const udpPairs = new Map<number, number>();
  const inner: DecodedPacket[] = [new DecodedPacket(), new DecodedPacket(), new DecodedPacket(), new DecodedPacket(), new DecodedPacket()];
  // Remember the address pairs carried inside a tunnel packet (every level), decapsulating with the
  // reader's decoder (the worker does it again for real).
  const markInner = (outer: DecodedPacket): void => {
    let cur = outer;
    for (let depth = 0; depth < inner.length; depth++) {
      const q = inner[depth]!;
      const pr = cur.ipProto;
      let st: DecodeStatus;
      if (pr === 4 || pr === 41) st = decoder.decapIP(cur, q);
      else if (pr === 47) st = decoder.decapGRE(cur, q);
      else if (pr === 17) {
        const t = UDP_TUNNELS.get(cur.dstPort) ?? UDP_TUNNELS.get(cur.srcPort);
        const off = cur.l4Offset + 8, len = Math.min(cur.l4Len, cur.l4CapLen) - 8;
        const kind = t ? t.kind : len > 0 && looksLikeAyiya(cur.buf, off, len) ? 'ayiya' : len > 0 && looksLikeTeredo(cur.buf, off, len) ? 'teredo' : '';
        if (kind === 'vxlan') st = decoder.decapVXLAN(cur, q);
        else if (kind === 'geneve') st = decoder.decapGeneve(cur, q);
        else if (kind === 'teredo') st = decoder.decapTeredo(cur, q);
        else if (kind === 'ayiya') st = decoder.decapAYIYA(cur, q);
        else if (kind === 'gtpv1') st = decoder.decapGTPv1(cur, q);
        else if (kind === 'gre') st = decoder.decapGRE(cur, q, true);
        else return;
      } else return;
      if ((st !== DecodeStatus.Ok && st !== DecodeStatus.ConnWeird) || q.l3 === L3.None) return;
      if (tunnelPairs.size >= 4_000_000) tunnelPairs.clear();
      tunnelPairs.add(pairHash(q));
      cur = q;
    }
  };
  const filter = opts.filter;
  const every = opts.progressEvery ?? 1 << 16;
  let untilProgress = every;
  let index = 0;
  let stats;
  try {
    stats = await reader.run((raw) => {
      const i = index++;
      const st = decoder.decode(raw, p);
      if (filter && !filter(p)) return;
      if (st === DecodeStatus.NotIP || st === DecodeStatus.Weird || st === DecodeStatus.Ignored || st === DecodeStatus.Fragment) return;
      if (p.l3 === L3.None) return;
      // Tunnelled traffic all goes to worker 0 (an inner flow may cross several tunnels, and Zeek keys
      // connections without their encapsulation); so do later untunnelled packets of the address pairs
      // seen inside tunnels. Everything else is sharded by the unordered address pair. A UDP pair keeps
      // the worker its first packet got: only some of its packets may look like Teredo or AYIYA, and
      // a flow split across workers would be logged as two connections.
      let w: number;
      if (isPortTunnel(p)) {
        w = 0;
        markInner(p);
      } else {
        const h = pairHash(p);
        const udp = p.ipProto === 17;
        const known = udp ? udpPairs.get(h) : undefined;
        if (known !== undefined) w = known;
        else {
          w = (tunnelPairs.size && tunnelPairs.has(h)) || (udp && looksLikeUdpTunnel(p)) ? 0 : h % n;
          if (udp) {
            if (udpPairs.size >= 4_000_000) udpPairs.clear();
            udpPairs.set(h, w);
          }
        }
        if (w === 0 && udp && looksLikeUdpTunnel(p)) markInner(p);
      }
      if (p.reassembled) {
        // IP fragments are put back together here (their shard is only known once the transport
        // header is): the worker gets the whole datagram as a raw IP frame.
        const len = p.ipCapLen;
        if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, scratch.length * 2));
        p.buf.copy(scratch, 0, p.ipOffset, p.ipOffset + len);
        if (p.l3 === L3.IPv4) fixIPv4Header(scratch, p.ipHeaderLen, len);
        reasm.ts = raw.ts;
        reasm.interfaceId = raw.interfaceId;
        reasm.data = scratch;
        reasm.offset = 0;
        reasm.capLen = reasm.wireLen = len;
        writers[w]!.write(reasm, i);
        return;
      }
      writers[w]!.write(raw, i);
      if (--untilProgress === 0) {
        untilProgress = every;
        opts.onProgress?.({ packets: reader.stats.packets, bytes: reader.stats.bytes, connections: 0, active: 0 });
      }
    });
  } catch (err) {
    for (const w of workers) void w.terminate();
    await sink.close();
    throw failure ?? err;
  }
  for (const w of writers) w.close();
  let results;
  try {
    results = await Promise.all(done);
  } finally {
    await sink.close();
  }
  const connections = results.reduce((a, r) => a + r.connections, 0);
  opts.onProgress?.({ packets: stats.packets, bytes: stats.bytes, connections, active: 0 });
  return {
    packets: stats.packets,
    bytes: stats.bytes,
    ipPackets: results.reduce((a, r) => a + r.ipPackets, 0),
    connections,
    truncated: stats.truncated,
    warnings: stats.warnings,
    logs: [...written],
  };
}
