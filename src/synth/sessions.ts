// Session builders: a TCP session (handshake, payload exchanges segmented at an MSS with ACKs, FIN or RST
// teardown, optional retransmission and capture loss), a UDP exchange and an ICMP echo series. A session
// is a time-ordered stream of frames; the Scheduler interleaves many of them by timestamp. Sessions do not
// own a frame buffer: when the scheduler asks, a session describes its next frame to a shared FrameBuilder.
// All times are integer microseconds since the epoch.

import { ACK, FIN, FrameBuilder, PSH, RST, SYN, ipBytes, macFor, synOptions } from './packets.js';
import type { PacketSink } from './pcap-writer.js';
import { Rng } from './rng.js';

export interface Endpoint {
  ip: string;
  /** Port (TCP/UDP); ignored for ICMP. */
  port?: number;
  /** MAC address as 6 bytes; derived from the IP when omitted. */
  mac?: Buffer;
}

export type Side = 'client' | 'server';

export interface Message {
  from: Side;
  data: Buffer;
  /** Microseconds the sender waits before sending this message (think time), after the previous packet. */
  delay?: number;
}

interface Host {
  ip: Buffer;
  mac: Buffer;
  port: number;
  ttl: number;
  ipId: number;
}

function host(e: Endpoint, ttl: number, ipId: number): Host {
  const ip = ipBytes(e.ip);
  return { ip, mac: e.mac ?? macFor(ip), port: e.port ?? 0, ttl, ipId };
}

const enum Kind { Tcp, Udp, Icmp }
const EMPTY = Buffer.alloc(0);

/** Base of all sessions: a generator yields the time of each next frame after describing it in `pending*`. */
export abstract class Session {
  /** Time of the next frame (µs), or Infinity when finished. */
  nextTime = Infinity;
  /** Tie-breaker among equal times (insertion order), set by the Scheduler. */
  order = 0;
  protected readonly client: Host;
  protected readonly server: Host;
  private it: Generator<number, void, void> | undefined;

  // The next frame.
  private pKind: Kind = Kind.Tcp;
  private pFromClient = true;
  private pFlags = 0;
  private pSeq = 0;
  private pAck = 0;
  private pOpts: Buffer | null = null;
  private pData: Buffer = EMPTY;
  private pOff = 0;
  private pLen = 0;
  private pIcmpType = 0;
  private pIcmpSeq = 0;
  private pIcmpId = 0;
  private pWin = 65535;

  constructor(client: Endpoint, server: Endpoint, rng: Rng) {
    this.client = host(client, rng.pick([64, 128, 64, 255]), rng.int(0, 0xffff));
    this.server = host(server, rng.pick([64, 128, 64, 57]), rng.int(0, 0xffff));
    if (this.client.ip.length !== this.server.ip.length) throw new Error('client and server must be the same IP family');
  }

  protected abstract frames(): Generator<number, void, void>;

  /** Starts the session; called by the Scheduler (or by hand) before the first emit. */
  begin(): void {
    this.it = this.frames();
    this.advance();
  }

  private advance(): void {
    const r = this.it!.next();
    this.nextTime = r.done ? Infinity : r.value;
  }

  /** Writes the pending frame to the sink through the shared builder, then prepares the next one. */
  emit(b: FrameBuilder, sink: PacketSink): void {
    const from = this.pFromClient ? this.client : this.server;
    const to = this.pFromClient ? this.server : this.client;
    b.srcMac = from.mac;
    b.dstMac = to.mac;
    b.src = from.ip;
    b.dst = to.ip;
    b.ttl = from.ttl;
    b.ipId = from.ipId;
    from.ipId = (from.ipId + 1) & 0xffff;
    b.setPayload(this.pData, this.pOff, this.pLen);
    let len: number;
    if (this.pKind === Kind.Tcp) {
      b.sport = from.port;
      b.dport = to.port;
      b.seq = this.pSeq;
      b.ack = this.pAck;
      b.flags = this.pFlags;
      b.win = this.pWin;
      b.tcpOptions = this.pOpts;
      len = b.buildTcp();
    } else if (this.pKind === Kind.Udp) {
      b.sport = from.port;
      b.dport = to.port;
      len = b.buildUdp();
    } else {
      b.icmpType = this.pIcmpType;
      b.icmpCode = 0;
      b.icmpId = this.pIcmpId;
      b.icmpSeq = this.pIcmpSeq;
      len = b.buildIcmp();
    }
    sink.writePacket(this.nextTime, b.buf, 0, len);
    this.advance();
  }

  protected tcp(fromClient: boolean, flags: number, seq: number, ack: number, data: Buffer = EMPTY, off = 0, len = 0, opts: Buffer | null = null, win = 65535): void {
    this.pKind = Kind.Tcp;
    this.pFromClient = fromClient;
    this.pFlags = flags;
    this.pSeq = seq >>> 0;
    this.pAck = ack >>> 0;
    this.pData = data;
    this.pOff = off;
    this.pLen = len;
    this.pOpts = opts;
    this.pWin = win;
  }

  protected udp(fromClient: boolean, data: Buffer, off = 0, len = data.length - off): void {
    this.pKind = Kind.Udp;
    this.pFromClient = fromClient;
    this.pData = data;
    this.pOff = off;
    this.pLen = len;
  }

  protected icmp(fromClient: boolean, type: number, id: number, seq: number, data: Buffer): void {
    this.pKind = Kind.Icmp;
    this.pFromClient = fromClient;
    this.pIcmpType = type;
    this.pIcmpId = id;
    this.pIcmpSeq = seq;
    this.pData = data;
    this.pOff = 0;
    this.pLen = data.length;
  }

  /** Writes every frame of this session alone, in order (handy for tests and single-flow captures). */
  writeAll(sink: PacketSink, b = new FrameBuilder()): void {
    if (!this.it) this.begin();
    while (this.nextTime !== Infinity) this.emit(b, sink);
  }
}

export interface TcpSessionOptions {
  client: Endpoint;
  server: Endpoint;
  /** Time of the SYN, µs since the epoch. */
  start: number;
  messages: readonly Message[];
  /** Seed for ISNs, TTLs, loss and retransmission (default 1). */
  seed?: number;
  /** Round-trip time in µs (default 20 ms). */
  rtt?: number;
  mss?: number;
  /** The receiver ACKs every n-th segment and the last one of a message (default 2). */
  ackEvery?: number;
  /** 'full' (default); 'rejected': the server answers the SYN with RST; 'unanswered': SYN retried, no answer. */
  handshake?: 'full' | 'rejected' | 'unanswered';
  /** Teardown: 'fin' (default, orderly), 'rst' (abort), 'none' (left open). */
  close?: 'fin' | 'rst' | 'none';
  /** Which side starts the teardown (default client). */
  closer?: Side;
  /** Probability that a data segment is seen twice (retransmitted after an RTO). */
  retransmitRate?: number;
  /** Probability that a data segment is never seen by the sensor although it was delivered (capture loss). */
  lossRate?: number;
  /** Per-byte serialization time in µs (default 0.008: 1 Gbit/s). */
  usPerByte?: number;
}

export class TcpSession extends Session {
  private readonly rng: Rng;
  constructor(private readonly o: TcpSessionOptions) {
    const rng = new Rng(o.seed ?? 1);
    super(o.client, o.server, rng);
    this.rng = rng;
  }

  protected *frames(): Generator<number, void, void> {
    const o = this.o;
    const rng = this.rng;
    const rtt = o.rtt ?? 20000;
    const half = Math.max(1, Math.round(rtt / 2));
    const mss = o.mss ?? 1460;
    const ackEvery = o.ackEvery ?? 2;
    const usPerByte = o.usPerByte ?? 0.008;
    const opts = synOptions(mss);
    let t = o.start;
    let cSeq = rng.u32();
    let sSeq = rng.u32();

    this.tcp(true, SYN, cSeq, 0, EMPTY, 0, 0, opts, 64240);
    yield t;
    if (o.handshake === 'unanswered') {
      for (const wait of [1000000, 2000000]) {
        t += wait;
        this.tcp(true, SYN, cSeq, 0, EMPTY, 0, 0, opts, 64240);
        yield t;
      }
      return;
    }
    cSeq = (cSeq + 1) >>> 0;
    t += half;
    if (o.handshake === 'rejected') {
      this.tcp(false, RST | ACK, 0, cSeq);
      yield t;
      return;
    }
    this.tcp(false, SYN | ACK, sSeq, cSeq, EMPTY, 0, 0, opts, 65160);
    yield t;
    sSeq = (sSeq + 1) >>> 0;
    t += half;
    this.tcp(true, ACK, cSeq, sSeq);
    yield t;

    let lastFrom: Side = 'client';
    for (const m of o.messages) {
      const fc = m.from === 'client';
      t += (m.delay ?? 0) + (m.from === lastFrom ? 50 : half);
      lastFrom = m.from;
      const len = m.data.length;
      let unacked = 0;
      for (let off = 0; off < len; ) {
        const n = Math.min(mss, len - off);
        const last = off + n >= len;
        const seq = fc ? cSeq : sSeq;
        const ack = fc ? sSeq : cSeq;
        const flags = last ? ACK | PSH : ACK;
        if (!rng.chance(o.lossRate ?? 0)) {
          this.tcp(fc, flags, seq, ack, m.data, off, n);
          yield t;
          if (rng.chance(o.retransmitRate ?? 0)) {
            t += Math.max(rtt, 200000);
            this.tcp(fc, flags, seq, ack, m.data, off, n);
            yield t;
          }
        }
        if (fc) cSeq = (cSeq + n) >>> 0;
        else sSeq = (sSeq + n) >>> 0;
        off += n;
        t += 2 + Math.ceil((n + 54) * usPerByte);
        if (++unacked >= ackEvery || last) {
          unacked = 0;
          t += last ? half : 1;
          this.tcp(!fc, ACK, fc ? sSeq : cSeq, fc ? cSeq : sSeq);
          yield t;
        }
      }
    }

    const close = o.close ?? 'fin';
    if (close === 'none') return;
    const cc = (o.closer ?? 'client') === 'client';
    t += half;
    if (close === 'rst') {
      this.tcp(cc, RST | ACK, cc ? cSeq : sSeq, cc ? sSeq : cSeq);
      yield t;
      return;
    }
    this.tcp(cc, FIN | ACK, cc ? cSeq : sSeq, cc ? sSeq : cSeq);
    yield t;
    if (cc) cSeq = (cSeq + 1) >>> 0;
    else sSeq = (sSeq + 1) >>> 0;
    t += half;
    this.tcp(!cc, FIN | ACK, cc ? sSeq : cSeq, cc ? cSeq : sSeq);
    yield t;
    if (cc) sSeq = (sSeq + 1) >>> 0;
    else cSeq = (cSeq + 1) >>> 0;
    t += half;
    this.tcp(cc, ACK, cc ? cSeq : sSeq, cc ? sSeq : cSeq);
    yield t;
  }
}

export interface UdpExchangeOptions {
  client: Endpoint;
  server: Endpoint;
  start: number;
  /** One datagram per message. */
  messages: readonly Message[];
  /** Time between a datagram and the other side's answer, µs (default 10 ms). */
  rtt?: number;
  seed?: number;
}

export class UdpExchange extends Session {
  constructor(private readonly o: UdpExchangeOptions) {
    super(o.client, o.server, new Rng(o.seed ?? 1));
  }

  protected *frames(): Generator<number, void, void> {
    const half = Math.max(1, Math.round((this.o.rtt ?? 10000) / 2));
    let t = this.o.start;
    let first = true;
    let lastFrom: Side = 'client';
    for (const m of this.o.messages) {
      if (!first) t += (m.delay ?? 0) + (m.from === lastFrom ? 20 : half);
      else t += m.delay ?? 0;
      first = false;
      lastFrom = m.from;
      this.udp(m.from === 'client', m.data);
      yield t;
    }
  }
}

export interface IcmpEchoOptions {
  client: Endpoint;
  server: Endpoint;
  start: number;
  count: number;
  /** µs between requests (default 1 s). */
  interval?: number;
  /** Echo payload (default 56 bytes of a ping pattern). */
  payload?: Buffer;
  /** Whether the server answers (default true). */
  reply?: boolean;
  /** Echo identifier (default derived from the seed). */
  id?: number;
  rtt?: number;
  seed?: number;
}

export class IcmpEchoSeries extends Session {
  private readonly id: number;
  constructor(private readonly o: IcmpEchoOptions) {
    const rng = new Rng(o.seed ?? 1);
    super(o.client, o.server, rng);
    this.id = o.id ?? rng.int(1, 0xffff);
  }

  protected *frames(): Generator<number, void, void> {
    const o = this.o;
    const v6 = this.client.ip.length === 16;
    const payload = o.payload ?? Buffer.from(Array.from({ length: 56 }, (_, i) => (i + 0x10) & 0xff));
    const half = Math.max(1, Math.round((o.rtt ?? 10000) / 2));
    for (let i = 0; i < o.count; i++) {
      const t = o.start + i * (o.interval ?? 1000000);
      this.icmp(true, v6 ? 128 : 8, this.id, i + 1, payload);
      yield t;
      if (o.reply !== false) {
        this.icmp(false, v6 ? 129 : 0, this.id, i + 1, payload);
        yield t + half;
      }
    }
  }
}
