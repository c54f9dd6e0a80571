// Tunnels as Zeek decapsulates them: UDP-based tunnels (VXLAN, Geneve, Teredo, AYIYA, GTPv1-U) whose
// outer UDP connection is logged with the tunnel's service, and IP-level tunnels (IP-in-IP, GRE incl.
// ERSPAN) which are Zeek EncapsulatingConns with a uid of their own but no connection. The inner
// packet goes back through the flow table with the encapsulation stack (conn.log tunnel_parents,
// tunnel.log DISCOVER/CLOSE).

import type { Conn, EncapStack, EncapsulatingConn } from '../flow/conn.js';
import { wordsToString } from '../flow/addr.js';
import { type DecodedPacket, L3 } from '../decode/packet.js';
import type { LogSink } from '../zeek/types.js';
import { tunnelSchema } from '../zeek/schemas/tunnel.js';

/** Zeek's Tunnel::max_depth. */
export const TUNNEL_MAX_DEPTH = 4;

/** UDP tunnels by responder port (base/packet-protocols): Zeek's Tunnel::Type and the service name. */
export const UDP_TUNNELS: ReadonlyMap<number, { kind: 'vxlan' | 'geneve' | 'teredo' | 'ayiya' | 'gtpv1' | 'gre'; type: string; service: string }> = new Map([
  [4789, { kind: 'vxlan', type: 'Tunnel::VXLAN', service: 'vxlan' }],
  [6081, { kind: 'geneve', type: 'Tunnel::GENEVE', service: 'geneve' }],
  [3544, { kind: 'teredo', type: 'Tunnel::TEREDO', service: 'teredo' }],
  [5072, { kind: 'ayiya', type: 'Tunnel::AYIYA', service: 'ayiya' }],
  [2152, { kind: 'gtpv1', type: 'Tunnel::GTPv1', service: 'gtpv1' }],
  [2123, { kind: 'gtpv1', type: 'Tunnel::GTPv1', service: 'gtpv1' }],
  [4754, { kind: 'gre', type: 'Tunnel::GRE', service: '' }],
] as const);

export type TunnelKind = 'vxlan' | 'geneve' | 'teredo' | 'ayiya' | 'gtpv1' | 'gre';
export const TUNNEL_BIT: Record<TunnelKind, number> = { vxlan: 1, geneve: 2, teredo: 4, ayiya: 8, gtpv1: 16, gre: 32 };
export const AYIYA_TUNNEL = { kind: 'ayiya' as const, type: 'Tunnel::AYIYA', service: 'ayiya' };
export const TEREDO_TUNNEL = { kind: 'teredo' as const, type: 'Tunnel::TEREDO', service: 'teredo' };

/** Teredo's DetectProtocol: a UDP payload on any port that looks like Teredo (Zeek's packet analyzer). */
export function looksLikeTeredo(d: Buffer, off: number, len: number): boolean {
  if (len < 40) return false;
  if (len > 8 && (d[off]! >> 4) !== 6 && (d[off] !== 0 || (d[off + 1] !== 0 && d[off + 1] !== 1))) return false;
  // The anchored pattern: an IPv6 header with a Teredo (2001:0000::/32) source or destination.
  if (d[off]! >= 0x60 && d[off]! <= 0x6f) {
    if ((d[off + 8] === 0x20 && d[off + 9] === 0x01 && d[off + 10] === 0 && d[off + 11] === 0) ||
        (d[off + 24] === 0x20 && d[off + 25] === 0x01 && d[off + 26] === 0 && d[off + 27] === 0)) return true;
  }
  let p = off, n = len;
  let val = d[p + 1]!;
  if (val === 1) {
    const idLen = d[p + 2]!, auLen = d[p + 3]!;
    if (n < 13 + idLen + auLen) return false;
    p += 13 + idLen + auLen;
    n -= 13 + idLen + auLen;
    if (n < 40) return false;
    val = d.readUInt16BE(p);
  }
  if (val === 0) {
    if (n < 8) return false;
    p += 8;
    n -= 8;
    if (n < 40) return false;
    return (d[p]! >> 4) === 6;
  }
  return false;
}

/** AYIYA's DetectProtocol. */
export function looksLikeAyiya(d: Buffer, off: number, len: number): boolean {
  return len >= 3 && d[off + 1] === 0x52 && d[off + 2] === 0x11;
}

/** Encapsulation stacks, interned so that equal stacks are the same object; tunnel.log. */
export class TunnelTracker {
  private nextId = 1;
  private readonly udpStacks = new Map<EncapStack | null, Map<Conn, EncapStack>>();
  private readonly ipStacks = new Map<EncapStack | null, Map<string, EncapStack>>();
  private readonly ipTunnels = new Map<string, EncapsulatingConn>();
  /** Tunnels logged as DISCOVER and not yet closed, by their outer connection. */
  private readonly active = new Set<EncapsulatingConn>();
  private readonly activeByConn = new Map<Conn, EncapsulatingConn>();
  private readonly outerConns = new Set<Conn>();

  constructor(private readonly sink: LogSink | null, private readonly newUid: () => string, private readonly now: () => number) {}

  private push(parent: EncapStack | null, ec: EncapsulatingConn): EncapStack {
    return { items: parent ? [...parent.items, ec] : [ec], id: this.nextId++ };
  }

  /** The stack for packets inside the UDP tunnel carried by `outer`. */
  udpStack(parent: EncapStack | null, outer: Conn, tunnelType: string): EncapStack {
    let m = this.udpStacks.get(parent);
    if (!m) this.udpStacks.set(parent, (m = new Map()));
    let s = m.get(outer);
    if (!s || s.items[s.items.length - 1]!.tunnelType !== tunnelType) {
      const ec: EncapsulatingConn = { uid: outer.uid, origH: outer.origH, origP: outer.oPort, respH: outer.respH, respP: outer.rPort, tunnelType, conn: outer };
      s = this.push(parent, ec);
      m.set(outer, s);
      this.outerConns.add(outer);
    }
    return s;
  }

  /** Forget stacks built on a removed outer connection (bounded memory). */
  forgetConn(c: Conn): void {
    if (!this.outerConns.delete(c)) return;
    for (const m of this.udpStacks.values()) m.delete(c);
    for (const [k, m] of this.udpStacks) if (k && k.items.some((e) => e.conn === c)) { this.udpStacks.delete(k); void m; }
  }

  /** The stack for packets inside an IP-level tunnel between the outer packet's addresses. */
  ipStack(parent: EncapStack | null, p: DecodedPacket, tunnelType: string): EncapStack {
    const src = p.l3 === L3.IPv4 ? wordsToString(0, 0, 0xffff, p.src4 >>> 0) : wordsToString(p.src6[0]!, p.src6[1]!, p.src6[2]!, p.src6[3]!);
    const dst = p.l3 === L3.IPv4 ? wordsToString(0, 0, 0xffff, p.dst4 >>> 0) : wordsToString(p.dst6[0]!, p.dst6[1]!, p.dst6[2]!, p.dst6[3]!);
    const pair = src < dst ? `${src}|${dst}` : `${dst}|${src}`;
    let ec = this.ipTunnels.get(pair);
    if (!ec) {
      ec = { uid: this.newUid(), origH: src, origP: 0, respH: dst, respP: 0, tunnelType, conn: null };
      if (this.ipTunnels.size > 100000) this.ipTunnels.clear();
      this.ipTunnels.set(pair, ec);
    }
    let m = this.ipStacks.get(parent);
    if (!m) this.ipStacks.set(parent, (m = new Map()));
    let s = m.get(pair);
    if (!s) {
      s = this.push(parent, ec);
      if (m.size > 100000) m.clear();
      m.set(pair, s);
    }
    return s;
  }

  /** Tunnel::register_all: DISCOVER for tunnels not yet active. */
  registerAll(stack: EncapStack | null): void {
    if (!stack) return;
    for (const ec of stack.items) {
      if (this.active.has(ec)) continue;
      if (this.active.size >= 200000) {
        // Bound the state: forget IP-level tunnels (they have no connection to close them).
        for (const a of this.active) if (!a.conn) this.active.delete(a);
      }
      this.active.add(ec);
      if (ec.conn && !ec.conn.removed) this.activeByConn.set(ec.conn, ec);
      this.log(ec, 'Tunnel::DISCOVER');
    }
  }

  /** The removal hook: CLOSE when a tunnel's outer connection goes away. */
  connRemoved(c: Conn): void {
    const ec = this.activeByConn.get(c);
    if (ec) {
      this.activeByConn.delete(c);
      this.active.delete(ec);
      this.log(ec, 'Tunnel::CLOSE');
    }
    this.forgetConn(c);
  }

  private log(ec: EncapsulatingConn, action: string): void {
    this.sink?.write(tunnelSchema, {
      ts: this.now(), uid: ec.uid, 'id.orig_h': ec.origH, 'id.orig_p': ec.origP, 'id.resp_h': ec.respH, 'id.resp_p': ec.respP,
      tunnel_type: ec.tunnelType, action,
    });
  }
}
