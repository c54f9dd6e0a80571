// The connection table: numeric 5-tuple keys hashed into buckets (no strings per packet), Zeek's
// session semantics for TCP, UDP, ICMP and unknown IP protocols, and Zeek's timers (inactivity,
// TCP attempt/expire/close delays) driven by network time.

import { type DecodedPacket, L3, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, TCP_URG } from '../decode/packet.js';
import { type AppLayer, Conn, type EncapStack, EpState, HIST_ACK_PKT, HIST_ANALYZER_LIMIT_REACHED, HIST_DATA_PKT,
  HIST_FIN_PKT, HIST_FIN_RST_PKT, HIST_MULTI_FLAG_PKT, HIST_RST_PKT, HIST_SYN_PKT, type TcpEndpoint, Transport,
  newTcpEndpoints } from './conn.js';

// Zeek's defaults (scripts/base/init-bare.zeek).
export const TCP_SYN_TIMEOUT = 5;
export const TCP_SESSION_TIMER = 6;
export const TCP_CONNECTION_LINGER = 5;
export const TCP_ATTEMPT_DELAY = 5;
export const TCP_CLOSE_DELAY = 5;
export const TCP_INACTIVITY_TIMEOUT = 300;
export const UDP_INACTIVITY_TIMEOUT = 60;
export const ICMP_INACTIVITY_TIMEOUT = 60;
export const UNKNOWN_IP_INACTIVITY_TIMEOUT = 60;
export const TUNNEL_MAX_CHANGES = 5;
const TOO_LARGE_SEQ_DELTA = 1048576;
const TCP_STORM_THRESH = 1000;

const enum TimerKind { Inactivity = 0, TcpExpire = 1, TcpAttempt = 2, TcpDelete = 3, AppExpire = 4 }

export interface FlowHooks {
  /** The analyzer framework, or null for conn-only analysis. */
  app: AppLayer | null;
  weird(c: Conn | null, name: string, addl?: string, source?: string): void;
  /** A connection was created (after role flipping). */
  created?(c: Conn): void;
  /** The connection's encapsulation changed (Zeek's tunnel_changed); `e` null when no longer tunnelled. */
  tunnelChanged?(c: Conn, e: EncapStack | null): void;
  /** The connection is gone (timeout, close, end of input): write its conn.log row. */
  removed(c: Conn): void;
}

export interface FlowConfig {
  /** Zeek's likely_server_ports, split by transport. */
  likelyTcp: ReadonlySet<number>;
  likelyUdp: ReadonlySet<number>;
  newUid(): string;
  /** Zeek's tcp_close_delay (seconds a closed connection waits before removal); default TCP_CLOSE_DELAY. */
  closeDelay?: number;
}

export interface FlowStats {
  connections: number;
  active: number;
  packets: number;
}

function seqDelta(a: number, b: number): number {
  return (a - b) | 0;
}

function icmp4Counterpart(type: number, code: number): [number, boolean] {
  switch (type) {
    case 8: return [0, false];
    case 0: return [8, false];
    case 13: return [14, false];
    case 14: return [13, false];
    case 15: return [16, false];
    case 16: return [15, false];
    case 10: return [9, false];
    case 9: return [10, false];
    case 17: return [18, false];
    case 18: return [17, false];
    default: return [code, true];
  }
}

function icmp6Counterpart(type: number, code: number): [number, boolean] {
  switch (type) {
    case 128: return [129, false];
    case 129: return [128, false];
    case 133: return [134, false];
    case 134: return [133, false];
    case 135: return [136, false];
    case 136: return [135, false];
    case 130: return [131, false];
    case 131: return [130, false];
    case 139: return [140, false];
    case 140: return [139, false];
    case 144: return [145, false];
    case 145: return [144, false];
    default: return [code, true];
  }
}

export class FlowTable {
  private buckets: (Conn | null)[];
  private mask: number;
  private count = 0;
  private serial = 0;
  /** Network time: the latest packet time seen. */
  now = 0;
  packets = 0;

  // Timer heap: parallel arrays, no allocation per entry beyond array growth.
  private hT: number[] = [];
  private hC: Conn[] = [];
  private hK: number[] = [];
  private hG: number[] = [];
  private nextTimer = Infinity;

  // Scratch for the current packet's key.
  private s0 = 0; private s1 = 0; private s2 = 0; private s3 = 0;
  private d0 = 0; private d1 = 0; private d2 = 0; private d3 = 0;

  constructor(private readonly hooks: FlowHooks, private readonly cfg: FlowConfig, initialBuckets = 1 << 16) {
    let n = 1;
    while (n < initialBuckets) n <<= 1;
    this.buckets = new Array<Conn | null>(n).fill(null);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  get totalConnections(): number {
    return this.serial;
  }

  // ---------------------------------------------------------------- keys and buckets

  private static mixEndpoint(a: number, b: number, c: number, d: number, port: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ b ^ (h >>> 15), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 13), 0x85ebca6b);
    h = Math.imul(h ^ d ^ (h >>> 16), 0xc2b2ae35);
    h = Math.imul(h ^ port ^ (h >>> 13), 0x27d4eb2f);
    return h ^ (h >>> 16);
  }

  private keyHash(sport: number, dport: number, proto: number): number {
    const a = FlowTable.mixEndpoint(this.s0, this.s1, this.s2, this.s3, sport);
    const b = FlowTable.mixEndpoint(this.d0, this.d1, this.d2, this.d3, dport);
    let h = (a + b + Math.imul(proto, 0x01000193)) | 0;
    h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
    return (h ^ (h >>> 15)) >>> 0;
  }

  private lookup(hash: number, sport: number, dport: number, proto: number): Conn | null {
    for (let c: Conn | null = this.buckets[hash & this.mask]!; c; c = c.next) {
      if (c.hash !== hash || c.ipProto !== proto) continue;
      if (c.o3 === this.s3 && c.r3 === this.d3 && c.oPort === sport && c.rPort === dport &&
          c.o0 === this.s0 && c.o1 === this.s1 && c.o2 === this.s2 && c.r0 === this.d0 && c.r1 === this.d1 && c.r2 === this.d2) return c;
      if (!c.oneWay && c.o3 === this.d3 && c.r3 === this.s3 && c.oPort === dport && c.rPort === sport &&
          c.o0 === this.d0 && c.o1 === this.d1 && c.o2 === this.d2 && c.r0 === this.s0 && c.r1 === this.s1 && c.r2 === this.s2) return c;
    }
    return null;
  }

  private insert(c: Conn): void {
    const i = c.hash & this.mask;
    c.next = this.buckets[i]!;
    this.buckets[i] = c;
    if (++this.count > this.buckets.length) this.grow();
  }

  private unlink(c: Conn): void {
    const i = c.hash & this.mask;
    let p = this.buckets[i]!;
    if (p === c) {
      this.buckets[i] = c.next;
    } else {
      while (p && p.next !== c) p = p.next!;
      if (p) p.next = c.next;
    }
    c.next = null;
    this.count--;
  }

  private grow(): void {
    const old = this.buckets;
    const n = old.length * 2;
    this.buckets = new Array<Conn | null>(n).fill(null);
    this.mask = n - 1;
    for (let head of old) {
      while (head) {
        const next = head.next;
        const i = head.hash & this.mask;
        head.next = this.buckets[i]!;
        this.buckets[i] = head;
        head = next;
      }
    }
  }

  // ---------------------------------------------------------------- timers

  private schedule(t: number, c: Conn, kind: TimerKind, gen: number): void {
    const hT = this.hT, hC = this.hC, hK = this.hK, hG = this.hG;
    let i = hT.length;
    hT.push(t); hC.push(c); hK.push(kind); hG.push(gen);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (hT[p]! <= t) break;
      hT[i] = hT[p]!; hC[i] = hC[p]!; hK[i] = hK[p]!; hG[i] = hG[p]!;
      i = p;
    }
    hT[i] = t; hC[i] = c; hK[i] = kind; hG[i] = gen;
    this.nextTimer = hT[0]!;
  }

  private popTimer(): void {
    const hT = this.hT, hC = this.hC, hK = this.hK, hG = this.hG;
    const n = hT.length - 1;
    const t = hT[n]!, c = hC[n]!, k = hK[n]!, g = hG[n]!;
    hT.pop(); hC.pop(); hK.pop(); hG.pop();
    if (n > 0) {
      let i = 0;
      for (;;) {
        let m = 2 * i + 1;
        if (m >= n) break;
        if (m + 1 < n && hT[m + 1]! < hT[m]!) m++;
        if (hT[m]! >= t) break;
        hT[i] = hT[m]!; hC[i] = hC[m]!; hK[i] = hK[m]!; hG[i] = hG[m]!;
        i = m;
      }
      hT[i] = t; hC[i] = c; hK[i] = k; hG[i] = g;
    }
    this.nextTimer = hT.length ? hT[0]! : Infinity;
  }

  /** Fire every timer due at or before `t` (Zeek expires timers before it processes a packet). */
  advance(t: number): void {
    if (t > this.now) this.now = t;
    while (this.nextTimer <= t) {
      const tt = this.hT[0]!, c = this.hC[0]!, kind = this.hK[0]!, gen = this.hG[0]!;
      this.popTimer();
      if (c.removed) continue;
      this.fire(tt, c, kind, gen, this.now);
    }
  }

  /**
   * Runs one timer. As in Zeek, a timer is dispatched with the current network time (not the time it
   * was due), so rescheduling always moves past now even when the capture's clock jumps.
   */
  private fire(tt: number, c: Conn, kind: number, gen: number, now: number): void {
    void tt;
    const t = now;
    switch (kind) {
      case TimerKind.Inactivity: {
        if (gen !== c.inactivityGen || c.inactivityTimeout === 0) return;
        if (c.lastTime + c.inactivityTimeout <= t) this.remove(c);
        else this.schedule(c.lastTime + c.inactivityTimeout, c, TimerKind.Inactivity, c.inactivityGen);
        return;
      }
      case TimerKind.TcpAttempt: {
        if (gen !== c.analyzerGen || !c.isActive) return;
        const o = c.orig!, r = c.resp!;
        if ((o.state === EpState.SYN_SENT || o.state === EpState.SYN_ACK_SENT) && r.state === EpState.INACTIVE) {
          c.isActive = false;
          this.remove(c);
        }
        return;
      }
      case TimerKind.TcpExpire: {
        if (gen !== c.analyzerGen || !c.isActive) return;
        const o = c.orig!, r = c.resp!;
        if (c.lastTime + TCP_CONNECTION_LINGER < t) {
          if (o.didClose || r.didClose) {
            if ((o.didClose && r.didClose) || o.state === EpState.RESET || r.state === EpState.RESET ||
                o.state === EpState.INACTIVE || r.state === EpState.INACTIVE) {
              c.isActive = false;
              this.remove(c);
              return;
            }
          }
          if (r.state === EpState.INACTIVE && o.state === EpState.INACTIVE) {
            this.remove(c);
            return;
          }
        }
        this.schedule(t + TCP_SESSION_TIMER, c, TimerKind.TcpExpire, c.analyzerGen);
        return;
      }
      case TimerKind.TcpDelete:
        if (gen !== c.analyzerGen) return;
        this.remove(c);
        return;
      case TimerKind.AppExpire:
        // DNS_Analyzer::ExpireTimer: one second of slack for the request/reply case.
        if (c.appExpire === 0) return;
        if (t - c.lastTime >= c.appExpire - 1 || now === Infinity) this.remove(c);
        else this.schedule(t + c.appExpire, c, TimerKind.AppExpire, 0);
        return;
    }
  }

  private setInactivityTimeout(c: Conn, timeout: number): void {
    if (timeout === c.inactivityTimeout) return;
    c.inactivityGen++;
    if (timeout) this.schedule(c.lastTime + timeout, c, TimerKind.Inactivity, c.inactivityGen);
    c.inactivityTimeout = timeout;
  }

  /** Remove a connection: analyzers finish, conn.log is written, the slot is freed. */
  remove(c: Conn): void {
    if (c.removed) return;
    c.removed = true;
    this.unlink(c);
    this.hooks.app?.removed(c);
    this.hooks.removed(c);
    if (c.orig) { c.orig.reasm.release(); c.resp!.reasm.release(); }
  }

  /**
   * End of input: every remaining connection is removed (Zeek's end-of-trace behaviour). Zeek drains its
   * session table, whose iteration puts later insertions first; newest first matches its order for
   * connections that share a 4-tuple (measured on Zeek's own baselines).
   */
  flushAll(): void {
    // Zeek first expires its pending timers; of ours only the TCP attempt timer runs in expire mode
    // (a lone SYN is logged then, in timer order), the rest are dropped.
    while (this.hT.length) {
      const tt = this.hT[0]!, c = this.hC[0]!, kind = this.hK[0]!, gen = this.hG[0]!;
      this.popTimer();
      if ((kind === TimerKind.TcpAttempt || kind === TimerKind.AppExpire) && !c.removed) this.fire(tt, c, kind, gen, Infinity);
    }
    const all: Conn[] = [];
    for (let head of this.buckets) for (; head; head = head.next) all.push(head);
    all.sort((a, b) => b.serial - a.serial);
    for (const c of all) this.remove(c);
    this.hT.length = this.hC.length = this.hK.length = this.hG.length = 0;
    this.nextTimer = Infinity;
  }

  // ---------------------------------------------------------------- packets

  private weird(c: Conn | null, name: string, addl?: string, source?: string): void {
    if (c) c.didWeird = true;
    this.hooks.weird(c, name, addl, source);
  }

  /**
   * One decoded IP packet (TCP, UDP, ICMP, ICMPv6 or an unknown IP protocol; tunnels are the
   * sensor's business). `encap` is the encapsulation stack it arrived through. Returns the
   * connection it belongs to and sets `lastIsOrig`, or null when no connection was made.
   */
  lastIsOrig = false;

  /**
   * An analyzer's own expire timer (Zeek's DNS analyzer over UDP: the connection goes once it has been
   * idle for about `interval` seconds, checked every `interval` seconds from now).
   */
  analyzerExpire(c: Conn, interval: number): void {
    if (c.appExpire) return;
    c.appExpire = interval;
    this.schedule(this.now + interval, c, TimerKind.AppExpire, 0);
  }

  /** Zeek's Connection::FlipRoles on an analyzer's request (e.g. DNS reply seen first). */
  flipConn(c: Conn): void {
    this.flipRoles(c);
  }

  processPacket(p: DecodedPacket, encap: EncapStack | null, connWeird = ''): Conn | null {
    const t = p.ts;
    if (t >= this.nextTimer) this.advance(t);
    else if (t > this.now) this.now = t;
    this.packets++;
    if (p.l3 === L3.IPv4) {
      this.s0 = 0; this.s1 = 0; this.s2 = 0xffff; this.s3 = p.src4 >>> 0;
      this.d0 = 0; this.d1 = 0; this.d2 = 0xffff; this.d3 = p.dst4 >>> 0;
    } else if (p.l3 === L3.IPv6) {
      const s = p.src6, d = p.dst6;
      this.s0 = s[0]!; this.s1 = s[1]!; this.s2 = s[2]!; this.s3 = s[3]!;
      this.d0 = d[0]!; this.d1 = d[1]!; this.d2 = d[2]!; this.d3 = d[3]!;
    } else return null;

    const proto = p.ipProto;
    let transport: Transport;
    let sport = 0, dport = 0, oneWay = false;
    const l4len = p.l4Len;
    const remaining = p.l4CapLen;
    switch (proto) {
      case 6:
        if (!this.checkHeaderTrunc(20, l4len, remaining)) return null;
        transport = Transport.TCP;
        sport = p.srcPort; dport = p.dstPort;
        break;
      case 17:
        if (!this.checkHeaderTrunc(8, l4len, remaining)) return null;
        transport = Transport.UDP;
        sport = p.srcPort; dport = p.dstPort;
        break;
      case 1:
      case 58: {
        if (!this.checkHeaderTrunc(8, l4len, remaining)) return null;
        transport = Transport.ICMP;
        const [cp, ow] = proto === 1 ? icmp4Counterpart(p.icmpType, p.icmpCode) : icmp6Counterpart(p.icmpType, p.icmpCode);
        sport = p.icmpType; dport = cp; oneWay = ow;
        break;
      }
      default:
        transport = Transport.Unknown;
    }

    const hash = this.keyHash(sport, dport, proto);
    let c = this.lookup(hash, sport, dport, proto);
    if (!c) {
      c = this.newConn(p, hash, sport, dport, proto, transport, oneWay, encap);
    } else if (transport === Transport.TCP && this.isReuse(c, p, t)) {
      this.remove(c);
      c = this.newConn(p, hash, sport, dport, proto, transport, oneWay, encap);
    } else {
      this.checkEncapsulation(c, encap);
    }

    let isOrig = c.o3 === this.s3 && c.oPort === sport && c.o0 === this.s0 && c.o1 === this.s1 && c.o2 === this.s2;
    if (connWeird && !p.badChecksum) {
      // The decoder found the packet unusable past the transport header (Zeek: weird, skip).
      this.weird(c, connWeird, undefined, transport === Transport.TCP ? 'TCP' : transport === Transport.UDP ? 'UDP' : transport === Transport.ICMP ? 'ICMP' : undefined);
      this.lastIsOrig = isOrig;
      return c;
    }
    switch (transport) {
      case Transport.TCP: isOrig = this.tcpPacket(c, isOrig, p, t); break;
      case Transport.UDP: this.udpPacket(c, isOrig, p, t); break;
      case Transport.ICMP: this.icmpPacket(c, isOrig, p, t); break;
      default:
        c.lastTime = t;
        this.countPacket(c, isOrig, p);
        if (this.hooks.app) {
          const len = Math.min(p.l4Len, p.l4CapLen);
          this.hooks.app.deliverPacket(c, isOrig, p.buf, p.l4Offset, len);
        }
    }
    this.lastIsOrig = isOrig;
    return c;
  }

  private checkHeaderTrunc(min: number, len: number, remaining: number): boolean {
    if (len && len < min) { this.weird(null, 'truncated_header'); return false; }
    if (remaining < min) { this.weird(null, 'internally_truncated_header'); return false; }
    return true;
  }

  private countPacket(c: Conn, isOrig: boolean, p: DecodedPacket): void {
    if (isOrig) { c.origPkts++; c.origIpBytes += p.ipLen; } else { c.respPkts++; c.respIpBytes += p.ipLen; }
  }

  private isLikely(transport: Transport, port: number): boolean {
    if (transport === Transport.TCP) return this.cfg.likelyTcp.has(port);
    if (transport === Transport.UDP) return this.cfg.likelyUdp.has(port);
    return false;
  }

  private newConn(p: DecodedPacket, hash: number, sport: number, dport: number, proto: number, transport: Transport,
    oneWay: boolean, encap: EncapStack | null): Conn {
    const c = new Conn();
    c.o0 = this.s0; c.o1 = this.s1; c.o2 = this.s2; c.o3 = this.s3;
    c.r0 = this.d0; c.r1 = this.d1; c.r2 = this.d2; c.r3 = this.d3;
    c.oPort = sport; c.rPort = dport;
    c.ipProto = proto;
    c.transport = transport;
    c.oneWay = oneWay;
    c.hash = hash;
    c.serial = this.serial++;
    c.startTime = c.lastTime = p.ts;
    c.uid = this.cfg.newUid();

    let flip = false;
    if (transport === Transport.TCP) {
      const f = p.tcpFlags;
      if (!(f & TCP_SYN) || (f & TCP_ACK)) {
        if (this.isLikely(transport, sport)) {
          if (this.isLikely(transport, dport)) flip = !(f & TCP_SYN) && sport < dport;
          else flip = true;
        }
      }
    } else if (transport === Transport.UDP) {
      flip = this.isLikely(transport, sport) && !this.isLikely(transport, dport);
    }
    const bcast = c.r0 === 0 && c.r1 === 0 && c.r2 === 0xffff && c.r3 === 0xffffffff;
    if (flip && !bcast) this.flipRoles(c);

    if (transport === Transport.TCP) {
      newTcpEndpoints(c);
      this.schedule(p.ts + TCP_SYN_TIMEOUT, c, TimerKind.TcpExpire, c.analyzerGen);
      this.setInactivityTimeout(c, UDP_INACTIVITY_TIMEOUT);
    } else if (transport === Transport.UDP) {
      this.setInactivityTimeout(c, UDP_INACTIVITY_TIMEOUT);
    } else if (transport === Transport.ICMP) {
      this.setInactivityTimeout(c, ICMP_INACTIVITY_TIMEOUT);
    } else {
      this.setInactivityTimeout(c, UNKNOWN_IP_INACTIVITY_TIMEOUT);
    }
    if (encap) {
      c.encap = encap;
      const last = encap.items[encap.items.length - 1]!;
      c.parentUids = [last.uid];
    }
    this.insert(c);
    this.hooks.app?.newConnection(c);
    this.hooks.created?.(c);
    return c;
  }

  private flipRoles(c: Conn): void {
    let t = c.o0; c.o0 = c.r0; c.r0 = t;
    t = c.o1; c.o1 = c.r1; c.r1 = t;
    t = c.o2; c.o2 = c.r2; c.r2 = t;
    t = c.o3; c.o3 = c.r3; c.r3 = t;
    t = c.oPort; c.oPort = c.rPort; c.rPort = t;
    const tx = c.textO; c.textO = c.textR; c.textR = tx;
    if (c.orig && c.resp) {
      const e = c.orig;
      c.orig = c.resp;
      c.resp = e;
      c.orig.isOrig = true;
      c.resp.isOrig = false;
      const fp = c.firstPacketSeen;
      c.firstPacketSeen = ((fp & 1) ? 2 : 0) | ((fp & 2) ? 1 : 0);
      c.isPartial = false;
    }
    t = c.origPkts; c.origPkts = c.respPkts; c.respPkts = t;
    t = c.origIpBytes; c.origIpBytes = c.respIpBytes; c.respIpBytes = t;
    c.history += '^';
    (this.hooks.app as { flipped?(c: Conn): void } | null)?.flipped?.(c);
  }

  private checkEncapsulation(c: Conn, encap: EncapStack | null): void {
    if (c.encap === encap) return;
    if (c.tunnelChanges >= TUNNEL_MAX_CHANGES) {
      this.weird(c, 'tunnel_max_changes_per_connection_exceeded', String(TUNNEL_MAX_CHANGES));
      c.checkHistory(HIST_ANALYZER_LIMIT_REACHED, 'X');
    } else {
      c.tunnelChanges++;
      if (encap && encap.items.length) {
        const uid = encap.items[encap.items.length - 1]!.uid;
        if (!c.parentUids) c.parentUids = [uid];
        else if (!c.parentUids.includes(uid)) c.parentUids.push(uid);
      }
      this.hooks.tunnelChanged?.(c, encap);
    }
    c.encap = encap;
  }

  // ---------------------------------------------------------------- UDP / ICMP

  private udpPacket(c: Conn, isOrig: boolean, p: DecodedPacket, t: number): void {
    if (p.badChecksum) {
      this.weird(c, 'bad_UDP_checksum', undefined, 'UDP');
      if (isOrig) [c.reqChkCnt, c.reqChkThresh] = c.scaledHistory('C', c.reqChkCnt, c.reqChkThresh);
      else [c.repChkCnt, c.repChkThresh] = c.scaledHistory('c', c.repChkCnt, c.repChkThresh);
      return;
    }
    let len = p.l4Len;
    const remaining = p.l4CapLen;
    if (len === 0) len = remaining;
    const ulen = p.buf.readUInt16BE(p.l4Offset + 4);
    if (ulen !== len) this.weird(c, 'UDP_datagram_length_mismatch', `${ulen} != ${len}`, 'UDP');
    c.lastTime = t;
    const plen = ulen - 8;
    if (isOrig) {
      c.checkHistory(0x1, 'D');
      c.reqLen = c.reqLen < 0 ? plen : c.reqLen + plen;
    } else {
      c.checkHistory(0x2, 'd');
      c.repLen = c.repLen < 0 ? plen : c.repLen + plen;
    }
    // Zeek's UDP adapter forwards to its children in order: the protocol analyzers attached by port
    // first, then ConnSize. An analyzer that flips the roles (NTP, DNS) does so before this packet is
    // counted, and ConnSize counts it with the is_orig it was given.
    if (this.hooks.app) {
      const n = Math.min(len, remaining) - 8;
      if (n >= 0) this.hooks.app.deliverPacket(c, isOrig, p.buf, p.l4Offset + 8, n);
    }
    this.countPacket(c, isOrig, p);
  }

  private icmpPacket(c: Conn, isOrig: boolean, p: DecodedPacket, t: number): void {
    if (p.badChecksum) {
      this.weird(c, 'bad_ICMP_checksum', undefined, 'ICMP');
      return;
    }
    let len = p.l4Len;
    const remaining = p.l4CapLen;
    if (len === 0) len = remaining;
    c.lastTime = t;
    const plen = len - 8;
    if (isOrig) c.reqLen = c.reqLen < 0 ? plen : c.reqLen + plen;
    else c.repLen = c.repLen < 0 ? plen : c.repLen + plen;
    if (remaining >= len) this.countPacket(c, isOrig, p);
  }

  // ---------------------------------------------------------------- TCP

  private isReuse(c: Conn, p: DecodedPacket, t: number): boolean {
    const f = p.tcpFlags;
    if (p.tcpHeaderLen < 20) return false;
    if (!(f & TCP_SYN)) return false;
    const orig = c.orig!, resp = c.resp!;
    let connOrig: TcpEndpoint = orig;
    if (f & TCP_ACK) {
      if (orig.state !== EpState.INACTIVE) return false;
      connOrig = resp;
    }
    const closed = orig.didClose || resp.didClose; // TCPSessionAdapter::IsClosed
    if (!closed) {
      const baseSeq = p.tcpSeq >>> 0;
      if (baseSeq === connOrig.startSeq) return false;
      if (!(f & TCP_ACK) && connOrig.state === EpState.SYN_ACK_SENT && resp.state === EpState.INACTIVE && baseSeq === resp.startSeq) return false;
      if (connOrig.state === EpState.SYN_SENT) this.weird(c, 'SYN_seq_jump', undefined, 'TCP');
      else this.weird(c, 'active_connection_reuse', undefined, 'TCP');
    } else if ((orig.isActive() || resp.isActive()) && orig.state !== EpState.RESET && resp.state !== EpState.RESET) {
      this.weird(c, 'active_connection_reuse', undefined, 'TCP');
    } else if (t - c.lastTime < TCP_CONNECTION_LINGER && orig.state !== EpState.RESET && resp.state !== EpState.RESET) {
      this.weird(c, 'premature_connection_reuse', undefined, 'TCP');
    }
    return true;
  }

  /** Flip roles from inside TCP processing (the endpoints swap with the addresses). */
  private tcpFlip(c: Conn): void {
    this.flipRoles(c);
  }

  private checkTcpHistory(c: Conn, ep: TcpEndpoint, mask: number, code: string): boolean {
    if ((code === 'A' || code === 'D') && c.history === 'H') {
      this.tcpFlip(c);
      c.history = '^h';
      c.firstPacketSeen |= 1;
    }
    if (!ep.isOrig) {
      mask <<= 16;
      code = code.toLowerCase();
    }
    return c.checkHistory(mask, code);
  }

  private addTcpHistory(c: Conn, ep: TcpEndpoint, code: string): void {
    c.history += ep.isOrig ? code : code.toLowerCase();
  }

  private relativeSeq(ep: TcpEndpoint, curBase: number, last: number, wraps: number): number {
    let delta = seqDelta(curBase, last);
    if (delta < 0) {
      if (wraps && curBase > last) --wraps;
    } else if (delta > 0) {
      if (curBase < last) ++wraps;
    }
    if (wraps === 0) {
      delta = seqDelta(curBase, ep.startSeq);
      if (delta < 0) this.underflow = true;
      return delta;
    }
    return ep.toRelative(curBase, wraps);
  }

  private underflow = false;

  private tcpPacket(c: Conn, isOrig: boolean, p: DecodedPacket, t: number): boolean {
    const hdrLen = p.tcpHeaderLen;
    if (hdrLen < 20) { this.weird(c, 'bad_TCP_header_len', undefined, 'TCP'); return isOrig; }
    let len = p.l4Len;
    let remaining = p.l4CapLen;
    if (p.ipLen === 0) len = remaining;
    if (hdrLen > len || hdrLen > remaining) { this.weird(c, 'truncated_header', undefined, 'TCP'); return isOrig; }
    len -= hdrLen;
    remaining -= hdrLen;

    const endpoint = isOrig ? c.orig! : c.resp!;
    if (p.badChecksum) {
      this.weird(c, 'bad_TCP_checksum', undefined, 'TCP');
      [endpoint.chkCnt, endpoint.chkThresh] = c.scaledHistory(endpoint.isOrig ? 'C' : 'c', endpoint.chkCnt, endpoint.chkThresh);
      return isOrig;
    }
    const origBefore = c.orig;
    this.tcpProcess(c, endpoint, p, len, remaining, t);
    if (origBefore !== c.orig) isOrig = !isOrig;
    this.countPacket(c, isOrig, p);
    return isOrig;
  }

  private tcpProcess(c: Conn, endpoint: TcpEndpoint, p: DecodedPacket, len: number, remaining: number, t: number): void {
    const flags = p.tcpFlags;
    const SYN = (flags & TCP_SYN) !== 0, FIN = (flags & TCP_FIN) !== 0, RST = (flags & TCP_RST) !== 0, ACK = (flags & TCP_ACK) !== 0;
    const baseSeq = p.tcpSeq >>> 0;
    const ackSeq = p.tcpAck >>> 0;
    const peer = endpoint.peer;

    // SetPartialStatus
    if (endpoint.isOrig) {
      if (!(c.firstPacketSeen & 1)) c.isPartial = !SYN || ACK;
    } else if (!(c.firstPacketSeen & 2) && !c.isPartial) c.isPartial = !SYN;

    let segLen = len;
    if (SYN) segLen++;
    if (FIN) segLen++;
    if (RST) segLen -= len;
    const seqOnePast = (baseSeq + segLen) >>> 0;

    // init_endpoint
    let lastSeqInit = seqOnePast;
    switch (endpoint.state) {
      case EpState.INACTIVE:
        if (SYN) {
          endpoint.ackSeq = baseSeq;
          endpoint.startSeq = baseSeq;
        } else {
          endpoint.ackSeq = (baseSeq - 1) >>> 0;
          endpoint.startSeq = (baseSeq - 1) >>> 0;
          lastSeqInit = baseSeq;
        }
        endpoint.lastSeq = lastSeqInit;
        endpoint.startTime = t;
        break;
      case EpState.SYN_SENT:
      case EpState.SYN_ACK_SENT:
        if (SYN && baseSeq !== endpoint.startSeq) {
          this.weird(c, 'SYN_seq_jump');
          endpoint.startSeq = baseSeq; endpoint.ackSeq = baseSeq; endpoint.lastSeq = seqOnePast;
        }
        break;
      case EpState.ESTABLISHED:
      case EpState.PARTIAL:
        if (SYN) {
          if (endpoint.size() > 0) this.weird(c, 'SYN_inside_connection');
          if (baseSeq !== endpoint.startSeq) this.weird(c, 'SYN_seq_jump');
          endpoint.startSeq = baseSeq; endpoint.ackSeq = baseSeq; endpoint.lastSeq = seqOnePast;
        }
        break;
      case EpState.RESET:
        if (SYN && endpoint.prevState === EpState.INACTIVE) {
          endpoint.startSeq = baseSeq; endpoint.ackSeq = baseSeq; endpoint.lastSeq = seqOnePast;
        }
        break;
    }

    this.underflow = false;
    const relSeq = this.relativeSeq(endpoint, baseSeq, endpoint.lastSeq, endpoint.seqWraps);
    const seqUnderflow = this.underflow;
    if (seqUnderflow && !RST) this.weird(c, 'TCP_seq_underflow_or_misorder', undefined, 'TCP');

    // update_history
    const bits = (SYN ? 1 : 0) + (FIN ? 1 : 0) + (RST ? 1 : 0);
    if (bits > 1) {
      if (FIN && RST) this.checkTcpHistory(c, endpoint, HIST_FIN_RST_PKT, 'I');
      else this.checkTcpHistory(c, endpoint, HIST_MULTI_FLAG_PKT, 'Q');
    } else if (bits === 1) {
      if (SYN) {
        const code = ACK ? 'H' : 'S';
        if (this.checkTcpHistory(c, endpoint, HIST_SYN_PKT, code) && relSeq !== endpoint.histLastSyn) this.addTcpHistory(c, endpoint, code);
        endpoint.histLastSyn = relSeq;
      }
      if (FIN) {
        if (this.checkTcpHistory(c, endpoint, HIST_FIN_PKT, 'F') && relSeq + len !== endpoint.histLastFin) this.addTcpHistory(c, endpoint, 'F');
        endpoint.histLastFin = relSeq + len;
      }
      if (RST) {
        if (this.checkTcpHistory(c, endpoint, HIST_RST_PKT, 'R') && relSeq !== endpoint.histLastRst) this.addTcpHistory(c, endpoint, 'R');
        endpoint.histLastRst = relSeq;
      }
    } else if (len) {
      this.checkTcpHistory(c, endpoint, HIST_DATA_PKT, 'D');
    } else if (ACK) {
      this.checkTcpHistory(c, endpoint, HIST_ACK_PKT, 'A');
    }

    // update_window (zero-window history only; window values are not needed for the logs)
    if (p.tcpWin === 0 && !RST && endpoint.peer.state !== EpState.CLOSED && endpoint.state !== EpState.RESET) {
      [endpoint.win0Cnt, endpoint.win0Thresh] = c.scaledHistory(endpoint.isOrig ? 'W' : 'w', endpoint.win0Cnt, endpoint.win0Thresh);
    }

    if (!c.orig!.didClose || !c.resp!.didClose) c.lastTime = t;

    if (SYN) {
      if (RST) this.weird(c, 'TCP_christmas', undefined, 'TCP');
      if (flags & TCP_URG) this.weird(c, 'baroque_SYN', undefined, 'TCP');
      if (len > 0) this.weird(c, 'SYN_with_data', undefined, 'TCP');
    }
    if (FIN) {
      ++endpoint.finCnt;
      if (endpoint.finCnt >= TCP_STORM_THRESH && t < endpoint.lastTime + 1) this.weird(c, 'FIN_storm', undefined, 'TCP');
      endpoint.finSeq = relSeq + segLen;
    }
    if (RST) {
      ++endpoint.rstCnt;
      if (endpoint.rstCnt >= TCP_STORM_THRESH && t < endpoint.lastTime + 1) this.weird(c, 'RST_storm', undefined, 'TCP');
    }

    let relAck = 0;
    if (ACK) {
      if (endpoint.isOrig && !c.seenFirstAck && (endpoint.state === EpState.ESTABLISHED || endpoint.state === EpState.SYN_SENT)) c.seenFirstAck = true;
      if (peer.state === EpState.INACTIVE) {
        relAck = 1;
        // init_peer
        if (!SYN && !FIN && !RST) {
          if (endpoint.state === EpState.SYN_SENT || endpoint.state === EpState.SYN_ACK_SENT || endpoint.state === EpState.ESTABLISHED) {
            if (!c.didWeird) this.weird(c, 'possible_split_routing');
          }
        }
        const a = (ackSeq - 1) >>> 0;
        peer.startSeq = a; peer.ackSeq = a; peer.lastSeq = a;
      } else {
        this.underflow = false;
        relAck = this.relativeSeq(peer, ackSeq, peer.ackSeq, peer.ackWraps);
        if (this.underflow) {
          relAck = 0;
          this.weird(c, 'TCP_ack_underflow_or_misorder', undefined, 'TCP');
        } else if (!RST) {
          const deltaAck = seqDelta(ackSeq, peer.ackSeq);
          if (ackSeq === 0 && deltaAck > TOO_LARGE_SEQ_DELTA) { /* broken ack */ }
          else if (deltaAck > 0) peer.updateAckSeq(ackSeq);
        }
      }
    }

    // update_last_seq
    const deltaLast = seqDelta(seqOnePast, endpoint.lastSeq);
    if ((SYN || RST) && (deltaLast > TOO_LARGE_SEQ_DELTA || deltaLast < -TOO_LARGE_SEQ_DELTA)) { /* distrust */ }
    else if (FIN && endpoint.lastSeq === ((endpoint.startSeq + 1) >>> 0)) endpoint.updateLastSeq(seqOnePast);
    else if (endpoint.state === EpState.RESET) { /* distrust */ }
    else if (deltaLast > 0) endpoint.updateLastSeq(seqOnePast);
    else if (deltaLast <= 0 && len > 0) {
      [endpoint.rxmtCnt, endpoint.rxmtThresh] = c.scaledHistory(endpoint.isOrig ? 'T' : 't', endpoint.rxmtCnt, endpoint.rxmtThresh);
    }
    endpoint.lastTime = t;

    // state machine
    this.doClose = false;
    this.genEvent = false;
    switch (endpoint.state) {
      case EpState.INACTIVE: this.updateInactive(c, endpoint, peer, baseSeq, len, flags, t); break;
      case EpState.SYN_SENT:
      case EpState.SYN_ACK_SENT: this.updateSynSent(c, endpoint, peer, len, flags); break;
      case EpState.ESTABLISHED:
      case EpState.PARTIAL: this.updateEstablished(c, endpoint, peer, flags); break;
      case EpState.CLOSED:
        if (SYN) this.weird(c, 'SYN_after_close', undefined, 'TCP');
        if (FIN && deltaLast > 0) this.weird(c, 'FIN_advanced_last_seq', undefined, 'TCP');
        if (RST && endpoint.peer.state !== EpState.CLOSED) {
          this.setState(c, endpoint, EpState.RESET);
          if (!endpoint.didClose) this.doClose = true;
        }
        break;
      case EpState.RESET:
        if (SYN) this.weird(c, 'SYN_after_reset', undefined, 'TCP');
        if (FIN) this.weird(c, 'FIN_after_reset', undefined, 'TCP');
        if (len > 0 && !RST) this.weird(c, 'data_after_reset', undefined, 'TCP');
        break;
    }
    const doClose = this.doClose, genEvent = this.genEvent;

    if (ACK) this.ackReceived(c, peer, relAck);

    // CheckPIA_FirstPacket
    if (endpoint.isOrig) c.firstPacketSeen |= 1; else c.firstPacketSeen |= 2;

    const relDataSeq = SYN ? relSeq + 1 : relSeq;
    if (len > 0 && !RST && !seqUnderflow) {
      if (remaining >= len) this.dataSent(c, endpoint, relDataSeq, p, len);
      else this.weird(c, 'truncated_tcp_payload', undefined, 'TCP');
    }
    this.checkEOF(c, endpoint);
    if (doClose) this.connectionClosed(c, endpoint, peer, genEvent);
  }

  private doClose = false;
  private genEvent = false;

  private setState(c: Conn, ep: TcpEndpoint, s: EpState): void {
    if (s === ep.state) return;
    const hs = (x: EpState) => x === EpState.INACTIVE || x === EpState.SYN_SENT || x === EpState.SYN_ACK_SENT;
    if (!hs(s) && hs(ep.state) && hs(ep.peer.state)) this.setInactivityTimeout(c, TCP_INACTIVITY_TIMEOUT);
    ep.prevState = ep.state;
    ep.state = s;
  }

  private updateInactive(c: Conn, endpoint: TcpEndpoint, peer: TcpEndpoint, baseSeq: number, len: number, flags: number, t: number): void {
    const SYN = (flags & TCP_SYN) !== 0, FIN = (flags & TCP_FIN) !== 0, RST = (flags & TCP_RST) !== 0, ACK = (flags & TCP_ACK) !== 0;
    const isOrig = endpoint.isOrig;
    if (SYN) {
      if (isOrig) {
        if (ACK) {
          this.weird(c, 'connection_originator_SYN_ack', undefined, 'TCP');
          this.setState(c, endpoint, EpState.SYN_ACK_SENT);
        } else this.setState(c, endpoint, EpState.SYN_SENT);
        this.schedule(t + TCP_ATTEMPT_DELAY, c, TimerKind.TcpAttempt, c.analyzerGen);
      } else {
        if (ACK) {
          // bad_SYN_ack check needs seq_between; weird only.
        } else if (peer.state === EpState.SYN_ACK_SENT && baseSeq === endpoint.startSeq) {
          c.isPartial = false;
          this.tcpFlip(c);
          this.setState(c, peer, EpState.ESTABLISHED);
          c.firstPacketSeen |= 1;
        } else this.weird(c, 'simultaneous_open', undefined, 'TCP');
        if (peer.state === EpState.SYN_SENT) this.setState(c, peer, EpState.ESTABLISHED);
        else if (peer.state === EpState.INACTIVE) this.weird(c, 'unsolicited_SYN_response', undefined, 'TCP');
        this.setState(c, endpoint, EpState.ESTABLISHED);
      }
    }
    if (FIN) {
      this.setState(c, endpoint, EpState.CLOSED);
      this.doClose = this.genEvent = true;
      if (peer.state !== EpState.PARTIAL && !SYN) this.weird(c, 'spontaneous_FIN', undefined, 'TCP');
    }
    if (RST) {
      this.setState(c, endpoint, EpState.RESET);
      let isReject = false;
      if (endpoint.isOrig) {
        if (peer.state === EpState.ESTABLISHED) isReject = true;
      } else if (peer.state === EpState.SYN_SENT || peer.state === EpState.SYN_ACK_SENT) isReject = true;
      this.doClose = true;
      this.genEvent = !isReject;
      if (!isReject && peer.state === EpState.INACTIVE) this.weird(c, 'spontaneous_RST', undefined, 'TCP');
    }
    if (endpoint.state === EpState.INACTIVE) {
      if (!endpoint.isOrig && len === 0 && c.orig!.state === EpState.SYN_SENT) {
        // an ack of the SYN before the SYN-ACK: not a partial connection
      } else if (ACK && peer.state === EpState.ESTABLISHED) {
        this.setState(c, endpoint, EpState.ESTABLISHED);
        c.isPartial = false;
        c.firstPacketSeen |= endpoint.isOrig ? 1 : 2;
      } else {
        this.setState(c, endpoint, EpState.PARTIAL);
      }
    }
  }

  private updateSynSent(c: Conn, endpoint: TcpEndpoint, peer: TcpEndpoint, len: number, flags: number): void {
    const SYN = (flags & TCP_SYN) !== 0, FIN = (flags & TCP_FIN) !== 0, RST = (flags & TCP_RST) !== 0, ACK = (flags & TCP_ACK) !== 0;
    if (SYN) {
      if (endpoint.isOrig) {
        if (ACK && !FIN && !RST && endpoint.state !== EpState.SYN_ACK_SENT) this.weird(c, 'repeated_SYN_with_ack', undefined, 'TCP');
      } else if (!ACK && endpoint.state !== EpState.SYN_SENT) this.weird(c, 'repeated_SYN_reply_wo_ack', undefined, 'TCP');
    }
    if (FIN) {
      if (peer.state === EpState.INACTIVE || peer.state === EpState.SYN_SENT) this.weird(c, 'inappropriate_FIN', undefined, 'TCP');
      this.setState(c, endpoint, EpState.CLOSED);
      this.doClose = this.genEvent = true;
    }
    if (RST) {
      this.setState(c, endpoint, EpState.RESET);
      this.connectionReset(c);
      this.doClose = true;
    } else if (len > 0) this.weird(c, 'data_before_established', undefined, 'TCP');
  }

  private updateEstablished(c: Conn, endpoint: TcpEndpoint, peer: TcpEndpoint, flags: number): void {
    const SYN = (flags & TCP_SYN) !== 0, FIN = (flags & TCP_FIN) !== 0, RST = (flags & TCP_RST) !== 0, ACK = (flags & TCP_ACK) !== 0;
    if (SYN && endpoint.state === EpState.PARTIAL && peer.state === EpState.INACTIVE && !ACK) {
      this.weird(c, 'SYN_after_partial', undefined, 'TCP');
      this.setState(c, endpoint, EpState.SYN_SENT);
    }
    if (FIN && !RST) {
      this.setState(c, endpoint, EpState.CLOSED);
      if (peer.state === EpState.RESET && peer.prevState === EpState.CLOSED) this.setState(c, peer, EpState.CLOSED);
      this.doClose = this.genEvent = true;
    }
    if (RST) {
      this.setState(c, endpoint, EpState.RESET);
      this.doClose = true;
      if (peer.state !== EpState.RESET || peer.prevState !== EpState.ESTABLISHED) this.connectionReset(c);
    }
  }

  private connectionReset(c: Conn): void {
    c.isActive = false;
  }

  private dataPending(c: Conn, ep: TcpEndpoint): boolean {
    const r = ep.reasm;
    if (r.skipDeliveries) return false;
    const delivered = ep.startSeq + r.lastReassemSeq;
    const last = ep.lastSeq64();
    if (last < delivered) return false;
    if (delivered !== last - 1 && delivered !== last) return true;
    if (ep.state !== EpState.RESET && !ep.peer.reasm.empty) return true;
    void c;
    return false;
  }

  private checkEOF(c: Conn, ep: TcpEndpoint): void {
    const r = ep.reasm;
    if (!r.didEOF && (ep.finCnt > 0 || ep.state === EpState.CLOSED || ep.state === EpState.RESET) && !this.dataPending(c, ep)) {
      r.didEOF = true;
      this.hooks.app?.endOfData(c, ep.isOrig);
      if (c.closeDeferred) {
        c.closeDeferred = false;
        this.connectionClosed(c, ep, ep.peer, c.deferredGenEvent);
      }
    }
  }

  private connectionClosed(c: Conn, endpoint: TcpEndpoint, peer: TcpEndpoint, genEvent: boolean): void {
    if (this.dataPending(c, endpoint)) {
      c.closeDeferred = true;
      if (!c.deferredGenEvent) c.deferredGenEvent = genEvent;
      return;
    }
    c.closeDeferred = false;
    if (endpoint.didClose) return;
    endpoint.didClose = true;
    const closeComplete = endpoint.state === EpState.RESET || peer.didClose || peer.state === EpState.INACTIVE;
    if (closeComplete) {
      if (endpoint.prevState !== EpState.INACTIVE || peer.state !== EpState.INACTIVE) {
        if (c.deferredGenEvent) { genEvent = true; c.deferredGenEvent = false; }
        if (genEvent) c.isActive = false; // ConnectionFinished
      }
      c.analyzerGen++; // CancelTimers
      this.schedule(c.lastTime + (this.cfg.closeDelay ?? TCP_CLOSE_DELAY), c, TimerKind.TcpDelete, c.analyzerGen);
    } else if (endpoint.prevState !== EpState.INACTIVE) {
      this.schedule(c.lastTime + TCP_SESSION_TIMER, c, TimerKind.TcpExpire, c.analyzerGen);
    }
  }

  private dataSent(c: Conn, ep: TcpEndpoint, seq: number, p: DecodedPacket, len: number): void {
    const r = ep.reasm;
    if (r.skipDeliveries) return;
    const ack = ep.toRelative(ep.ackSeq, ep.ackWraps);
    let off = p.payloadOffset;
    if (off === 0 || off < p.l4Offset) off = p.l4Offset + p.tcpHeaderLen;
    if (seq < ack) {
      if (seq + len <= ack) return;
      const acked = ack - seq;
      seq += acked; off += acked; len -= acked;
    }
    if (c.app && this.hooks.app && !r.sink) this.attachSink(c, ep); // only connections with analyzers need the bytes
    const w = r.newData(seq, p.buf, off, len, ep.noDataAcked());
    if (w) this.weird(c, w, undefined, 'TCP');
  }

  private attachSink(c: Conn, ep: TcpEndpoint): void {
    const app = this.hooks.app!;
    const isOrigRef = ep;
    ep.reasm.sink = {
      data: (_seq, data, off, len) => app.deliverStream(c, isOrigRef.isOrig, data, off, len),
      gap: (_seq, len) => app.gap(c, isOrigRef.isOrig, len),
    };
  }

  /** Make the analyzer framework receive this connection's streams (called when analyzers attach). */
  wantStreams(c: Conn): void {
    if (!this.hooks.app || !c.orig) return;
    if (!c.orig.reasm.sink) this.attachSink(c, c.orig);
    if (!c.resp!.reasm.sink) this.attachSink(c, c.resp!);
  }

  private ackReceived(c: Conn, ep: TcpEndpoint, seq: number): void {
    if (ep.finCnt > 0 && seq >= ep.finSeq) seq = ep.finSeq - 1;
    const r = ep.reasm;
    if (seq <= r.trimSeq) return;
    if (seq > r.lastReassemSeq) {
      // TCP_Reassembler::Undelivered
      if (!(seq <= 2 && c.isPartial)) {
        r.undelivered(seq, (_s, glen) => this.gap(c, ep, glen));
      }
    }
    r.trim(seq);
    this.checkEOF(c, ep);
  }

  private gap(c: Conn, ep: TcpEndpoint, len: number): void {
    const clean = (a: TcpEndpoint) => a.state === EpState.ESTABLISHED || (a.state === EpState.CLOSED && a.prevState === EpState.ESTABLISHED);
    if (clean(ep) && clean(ep.peer)) {
      [ep.gapCnt, ep.gapThresh] = c.scaledHistory(ep.isOrig ? 'G' : 'g', ep.gapCnt, ep.gapThresh);
      c.missedBytes += len;
    }
  }
}
