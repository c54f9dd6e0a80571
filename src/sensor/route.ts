// Which worker thread analyses a captured frame, as a Zeek cluster spreads flows over workers: a symmetric
// hash of the outermost address pair, so IP fragments, tunnels and both directions of a flow stay
// together. The rules are a function of the frames seen so far, so every thread that routes the same
// capture from its start gets the same answers (each worker can read the file itself).
//
// Most frames are classified by a cheap address-only parse (fastParse) that reads exactly the fields the
// full decoder would give for them; every frame it cannot vouch for (tunnels, fragments, IPv6 extension
// headers, unusual link types, anything the decoder would reject) goes through the full decoder.
import { Decoder, DecodeStatus, DecodedPacket, LINKTYPE_RAW } from '../decode/index.js';
import type { RawPacket } from '../capture/types.js';
import { L3 } from '../decode/packet.js';
import { UDP_TUNNELS, looksLikeAyiya, looksLikeTeredo } from './tunnels.js';
import { Fast, fastParse } from './fastparse.js';

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

const MAX_REMEMBERED = 4_000_000;
/** Address pairs per generation; more start a new generation early (bounds memory on scans). */
const MAX_PAIRS = 1 << 20;
/**
 * Seconds of network time an address pair is remembered after its last frame: twice the longest
 * inactivity timeout (TCP's 300 s), so every connection of a forgotten pair is gone before it may move.
 */
const PAIR_MEMORY = 600;

export interface RouterOptions {
  /** A capture filter on the outer packet: frames it rejects go nowhere (every frame is then fully decoded). */
  filter?: (p: DecodedPacket) => boolean;
  /** Use the full decoder for every frame (tests compare the two). */
  alwaysDecode?: boolean;
  /**
   * What a unit of work costs each shard (default 1 each): a shard whose thread also reads and routes the
   * capture counts its frames dearer, so new address pairs go to it less often.
   */
  weights?: number[];
}

export class ShardRouter {
  /** After route() returned a shard for a datagram rebuilt from IP fragments: that datagram as a raw IP frame. */
  readonly whole: RawPacket = { ts: 0, linkType: LINKTYPE_RAW, interfaceId: 0, wireLen: 0, data: Buffer.alloc(0), offset: 0, capLen: 0 };
  /** Whether the last routed frame is to be analysed as `whole` instead of the frame itself. */
  reassembled = false;
  /** Frames the cheap parse classified and frames that needed the full decoder. */
  fast = 0;
  slow = 0;

  // Checksums are the analysing thread's to verify (and to report as weirds): the router drops nothing
  // for them, so a frame goes to the same shard whatever its checksums.
  private readonly decoder = new Decoder({ ignoreChecksums: true });
  private readonly p = new DecodedPacket();
  private readonly inner = [new DecodedPacket(), new DecodedPacket(), new DecodedPacket(), new DecodedPacket(), new DecodedPacket()];
  private scratch = Buffer.allocUnsafe(65536);
  private readonly tunnelPairs = new Set<number>();
  private readonly udpPairs = new Map<number, number>();
  // The shard each address pair got, in two generations of PAIR_MEMORY seconds each; the work routed
  // to each shard so far (frames + bytes) picks the shard of a new pair.
  private pairs = new Map<number, number>();
  private oldPairs = new Map<number, number>();
  private generationEnd = -Infinity;
  private readonly load: Float64Array;
  private readonly weights: Float64Array;
  private readonly filter: ((p: DecodedPacket) => boolean) | undefined;
  private readonly alwaysDecode: boolean;

  constructor(readonly shards: number, opts: RouterOptions = {}) {
    this.filter = opts.filter;
    this.alwaysDecode = !!opts.alwaysDecode || !!opts.filter;
    this.load = new Float64Array(shards);
    this.weights = new Float64Array(shards).fill(1);
    if (opts.weights) for (let i = 0; i < shards; i++) this.weights[i] = opts.weights[i] ?? 1;
  }

  /**
   * The shard of an untunnelled address pair: the one it already has, or for a new pair the shard with
   * the least work so far (flows are far from equal in size, so a fixed hash of the pair can leave one
   * shard with much more than its share).
   */
  private pairShard(h: number, ts: number): number {
    if (ts >= this.generationEnd || this.pairs.size >= MAX_PAIRS) {
      this.oldPairs = ts - this.generationEnd >= PAIR_MEMORY ? new Map() : this.pairs;
      this.pairs = new Map();
      this.generationEnd = ts + PAIR_MEMORY;
    }
    let w = this.pairs.get(h);
    if (w === undefined) {
      w = this.oldPairs.get(h);
      if (w === undefined) {
        const load = this.load;
        w = 0;
        for (let i = 1; i < load.length; i++) if (load[i]! < load[w]!) w = i;
      }
      this.pairs.set(h, w);
    }
    return w;
  }

  /** The shard (0 .. shards-1) that analyses this frame, or -1 when none does (not IP, dropped, a fragment held for reassembly). */
  route(raw: RawPacket): number {
    this.reassembled = false;
    const p = this.p;
    if (!this.alwaysDecode) {
      const r = fastParse(raw, p);
      if (r === Fast.Routed && !(p.ipProto === 17 && (TUNNEL_PORTS[p.srcPort] === 1 || TUNNEL_PORTS[p.dstPort] === 1))) {
        this.fast++;
        return this.decide(p, raw, true);
      }
      if (r === Fast.NotIP) {
        this.fast++;
        return -1;
      }
    }
    this.slow++;
    const st = this.decoder.decode(raw, p);
    if (this.filter && !this.filter(p)) return -1;
    if (st === DecodeStatus.NotIP || st === DecodeStatus.Weird || st === DecodeStatus.Ignored || st === DecodeStatus.Fragment) return -1;
    if (p.l3 === L3.None) return -1;
    const w = this.decide(p, raw, false);
    if (w >= 0 && p.reassembled) this.takeWhole(p, raw);
    return w;
  }

  /**
   * The routing rules. Tunnelled traffic all goes to shard 0 (an inner flow may cross several tunnels, and
   * Zeek keys connections without their encapsulation); so do later untunnelled packets of the address
   * pairs seen inside tunnels. Everything else is sharded by the unordered address pair (pairShard). A UDP
   * pair keeps the shard its first packet got: only some of its packets may look like Teredo or AYIYA,
   * and a flow split across shards would be logged as two connections. When `p` came from the cheap
   * parse, tunnels found by content are decoded fully to learn the pairs inside.
   */
  private decide(p: DecodedPacket, raw: RawPacket, parsedFast: boolean): number {
    const w = this.shardOf(p, raw, parsedFast);
    // What a frame costs its shard to analyse: a per-frame part and its bytes (checksums, reassembly).
    this.load[w] += (128 + raw.capLen) * this.weights[w]!;
    return w;
  }

  private shardOf(p: DecodedPacket, raw: RawPacket, parsedFast: boolean): number {
    if (isPortTunnel(p)) {
      this.markInner(p);
      return 0;
    }
    const h = pairHash(p);
    const udp = p.ipProto === 17;
    let w: number;
    const known = udp ? this.udpPairs.get(h) : undefined;
    if (known !== undefined) w = known;
    else {
      w = (this.tunnelPairs.size && this.tunnelPairs.has(h)) || (udp && looksLikeUdpTunnel(p)) ? 0 : this.pairShard(h, raw.ts);
      if (udp) {
        if (this.udpPairs.size >= MAX_REMEMBERED) this.udpPairs.clear();
        this.udpPairs.set(h, w);
      }
    }
    if (w === 0 && udp && looksLikeUdpTunnel(p)) {
      if (parsedFast) this.decoder.decode(raw, p);
      this.markInner(p);
    }
    return w;
  }

  /** Remembers the address pairs carried inside a tunnel packet (every level). */
  private markInner(outer: DecodedPacket): void {
    const decoder = this.decoder;
    let cur = outer;
    for (let depth = 0; depth < this.inner.length; depth++) {
      const q = this.inner[depth]!;
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
      if (this.tunnelPairs.size >= MAX_REMEMBERED) this.tunnelPairs.clear();
      this.tunnelPairs.add(pairHash(q));
      cur = q;
    }
  }

  /** IP fragments are put back together by the router (their shard is only known once the transport header is). */
  private takeWhole(p: DecodedPacket, raw: RawPacket): void {
    const len = p.ipCapLen;
    if (this.scratch.length < len) this.scratch = Buffer.allocUnsafe(Math.max(len, this.scratch.length * 2));
    p.buf.copy(this.scratch, 0, p.ipOffset, p.ipOffset + len);
    if (p.l3 === L3.IPv4) fixIPv4Header(this.scratch, p.ipHeaderLen, len);
    const w = this.whole;
    w.ts = raw.ts;
    w.interfaceId = raw.interfaceId;
    w.data = this.scratch;
    w.offset = 0;
    w.capLen = w.wireLen = len;
    this.reassembled = true;
  }
}
