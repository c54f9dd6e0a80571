// One connection as Zeek's Connection + session adapter see it: identity, history, per-side state.

import type { ConnInfo, TransportProto } from '../analyzers/types.js';
import { isLocalWords, wordsToString } from './addr.js';
import { Reassembler } from './reassembly.js';

const NO_PARENTS: readonly string[] = [];

export const enum Transport { Unknown = 0, TCP = 1, UDP = 2, ICMP = 3 }

export const enum EpState { INACTIVE = 0, SYN_SENT = 1, SYN_ACK_SENT = 2, PARTIAL = 3, ESTABLISHED = 4, CLOSED = 5, RESET = 6 }

// TCP_Endpoint history masks (Session::CheckHistory); the responder's are shifted by 16.
export const HIST_SYN_PKT = 0x1, HIST_FIN_PKT = 0x2, HIST_RST_PKT = 0x4, HIST_FIN_RST_PKT = 0x8,
  HIST_DATA_PKT = 0x10, HIST_ACK_PKT = 0x20, HIST_MULTI_FLAG_PKT = 0x40, HIST_ANALYZER_LIMIT_REACHED = 0x400;

/** TCP_Endpoint: one side's sequence space and state. */
export class TcpEndpoint {
  state = EpState.INACTIVE;
  prevState = EpState.INACTIVE;
  startSeq = 0;
  lastSeq = 0;
  ackSeq = 0;
  seqWraps = 0;
  ackWraps = 0;
  finCnt = 0;
  rstCnt = 0;
  finSeq = 0;
  didClose = false;
  histLastSyn = 0;
  histLastFin = 0;
  histLastRst = 0;
  startTime = 0;
  lastTime = 0;
  window = 0;
  windowScale = 0;
  windowSeq = 0;
  windowAckSeq = 0;
  gapCnt = 0; gapThresh = 1;
  rxmtCnt = 0; rxmtThresh = 1;
  win0Cnt = 0; win0Thresh = 1;
  chkCnt = 0; chkThresh = 1;
  peer!: TcpEndpoint;
  readonly reasm = new Reassembler();
  constructor(public isOrig: boolean) {}

  /** 64-bit values as doubles (exact below 2^53). */
  lastSeq64(): number { return this.seqWraps * 4294967296 + this.lastSeq; }
  ackSeq64(): number { return this.ackWraps * 4294967296 + this.ackSeq; }
  toRelative(seq: number, wraps: number): number { return wraps * 4294967296 + seq - this.startSeq; }

  noDataAcked(): boolean {
    const ack = this.ackSeq64();
    return ack === this.startSeq || ack === this.startSeq + 1;
  }

  /** TCP_Endpoint::Size: bytes sent, from sequence numbers. */
  size(): number {
    if (this.prevState === EpState.SYN_SENT && this.state === EpState.RESET && this.peer.state === EpState.INACTIVE && !this.noDataAcked()) return 0;
    const last = this.lastSeq64(), ack = this.ackSeq64();
    let size = (last > ack ? last : ack) - this.startSeq;
    if (size < 0) size += 18446744073709551616; // uint64 wrap, as Zeek
    if (size !== 0) size--;
    if (this.finCnt > 0 && size !== 0) size--;
    return size;
  }

  updateLastSeq(seq: number): void {
    if (seq < this.lastSeq) this.seqWraps++;
    this.lastSeq = seq;
  }

  updateAckSeq(seq: number): void {
    if (seq < this.ackSeq) this.ackWraps++;
    this.ackSeq = seq;
  }

  isActive(): boolean {
    return this.state !== EpState.INACTIVE && !this.didClose;
  }
}

/** Where the flow layer reports to (the analyzer framework and the logs). Optional per-conn state lives on Conn.app. */
export interface AppLayer {
  newConnection(c: Conn): void;
  deliverStream(c: Conn, isOrig: boolean, data: Buffer, off: number, len: number): void;
  gap(c: Conn, isOrig: boolean, len: number): void;
  endOfData(c: Conn, isOrig: boolean): void;
  deliverPacket(c: Conn, isOrig: boolean, data: Buffer, off: number, len: number): void;
  removed(c: Conn): void;
}

export class Conn implements ConnInfo {
  uid = '';
  // Originator / responder addresses as four words (v4-mapped for IPv4), ports, IP protocol.
  o0 = 0; o1 = 0; o2 = 0; o3 = 0;
  r0 = 0; r1 = 0; r2 = 0; r3 = 0;
  oPort = 0;
  rPort = 0;
  ipProto = 0;
  transport = Transport.Unknown;
  oneWay = false;
  hash = 0;
  /** Bucket chain in the flow table. */
  next: Conn | null = null;
  /** Creation order, for flushing in a deterministic order. */
  serial = 0;

  startTime = 0;
  lastTime = 0;
  history = '';
  histSeen = 0;
  origPkts = 0;
  origIpBytes = 0;
  respPkts = 0;
  respIpBytes = 0;
  /** UDP/ICMP request/reply lengths (-1 = never seen), as UDPSessionAdapter / ICMPSessionAdapter. */
  reqLen = -1;
  repLen = -1;
  // UDP checksum history counters
  reqChkCnt = 0; reqChkThresh = 1; repChkCnt = 0; repChkThresh = 1;
  missedBytes = 0;

  // TCP
  orig: TcpEndpoint | null = null;
  resp: TcpEndpoint | null = null;
  seenFirstAck = false;
  isPartial = false;
  firstPacketSeen = 0;
  isActive = true;
  closeDeferred = false;
  deferredGenEvent = false;

  services: string[] = [];
  /** conn.log tunnel_parents, in the order they were added. */
  parentUids: string[] | null = null;
  /** Identity of the current encapsulation stack (null when not tunnelled). */
  encap: EncapStack | null = null;
  tunnelChanges = 0;
  /** Packet-level tunnel analyzers that raised a violation on this connection (bit per kind). */
  tunnelViolated = 0;
  /** Teredo: valid encapsulation seen from the originator (1) / responder (2). */
  tunnelValid = 0;
  /** An analyzer's own expire timer interval (Zeek's DNS_Analyzer::ExpireTimer), 0 when none. */
  appExpire = 0;

  inactivityTimeout = 0;
  /** Bumped by Zeek's CancelTimers (analyzer timers of the TCP adapter). */
  analyzerGen = 0;
  /** Connection::DidWeird. */
  didWeird = false;
  /** Generation counters that invalidate scheduled timers. */
  inactivityGen = 0;
  removed = false;
  /** How often each weird name was raised on this connection (Zeek's per-connection sampling). */
  weirds: Map<string, number> | null = null;
  /** The analyzer framework's per-connection state. */
  app: unknown = null;
  /** Set once by the table: conn.log written. */
  logged = false;

  /** Address text, made on first use (cleared when the roles flip). */
  textO: string | null = null;
  textR: string | null = null;
  get origH(): string { return this.textO ??= wordsToString(this.o0, this.o1, this.o2, this.o3); }
  get respH(): string { return this.textR ??= wordsToString(this.r0, this.r1, this.r2, this.r3); }
  get origP(): number { return this.oPort; }
  get respP(): number { return this.rPort; }
  get proto(): TransportProto {
    switch (this.transport) {
      case Transport.TCP: return 'tcp';
      case Transport.UDP: return 'udp';
      case Transport.ICMP: return 'icmp';
      default: return 'unknown_transport';
    }
  }
  get localOrig(): boolean { return isLocalWords(this.o0, this.o1, this.o2, this.o3); }
  get localResp(): boolean { return isLocalWords(this.r0, this.r1, this.r2, this.r3); }
  get tunnelParents(): readonly string[] { return this.parentUids ?? NO_PARENTS; }

  /** Session::CheckHistory: add `code` the first time `mask` is seen. Returns true if it was seen before. */
  checkHistory(mask: number, code: string): boolean {
    if ((this.histSeen & mask) === 0) {
      this.histSeen |= mask;
      this.history += code;
      return false;
    }
    return true;
  }

  /** Session::ScaledHistoryEntry with base 10. Returns the new [counter, threshold]. */
  scaledHistory(code: string, counter: number, threshold: number): [number, number] {
    counter++;
    if (counter === threshold) {
      this.history += code;
      const nt = threshold * 10;
      if (nt > 0xffffffff) counter = 0; else threshold = nt;
    }
    return [counter, threshold];
  }

  /** Bytes sent by each side so far (for DPD's ignore_violations_after). */
  payloadSize(): number {
    if (this.orig && this.resp) return this.orig.size() + this.resp.size();
    return Math.max(0, this.reqLen) + Math.max(0, this.repLen);
  }
}

/** A tunnel the packet came through: Zeek's EncapsulatingConn. */
export interface EncapsulatingConn {
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** Zeek's Tunnel::Type name, e.g. Tunnel::VXLAN. */
  tunnelType: string;
  /** The outer connection for UDP-based tunnels, else null (IP tunnels). */
  conn: Conn | null;
}

/** An encapsulation stack, outermost first. Equal stacks are the same object (interned by the sensor). */
export interface EncapStack {
  readonly items: readonly EncapsulatingConn[];
  readonly id: number;
}

export function newTcpEndpoints(c: Conn): void {
  const o = new TcpEndpoint(true), r = new TcpEndpoint(false);
  o.peer = r;
  r.peer = o;
  c.orig = o;
  c.resp = r;
}
