// The per-packet work of the sensor: decoder → flow table → analyzers → log records, shared by the
// single-threaded run, the worker threads and the live sensor. It does not load the analyzer registry
// (the caller passes the selected specs and the service factories), so a conn-level worker thread starts
// without compiling every analyzer.

import type { RawPacket } from '../capture/types.js';
import { Decoder, DecodeStatus, DecodedPacket } from '../decode/index.js';
import { L3 } from '../decode/packet.js';
import { FlowTable } from '../flow/table.js';
import { type Conn, type EncapStack, Transport } from '../flow/conn.js';
import { UidGenerator } from '../flow/uid.js';
import { wordsToString } from '../flow/addr.js';
import { AnalyzerFramework } from '../analyzers/framework/manager.js';
import type { AnalyzerSpec } from '../analyzers/types.js';
import type { LogSink } from '../zeek/types.js';
import { connSchema } from '../zeek/schemas/conn.js';
import { weirdSchema } from '../zeek/schemas/weird.js';
import { connRecord, weirdRecord } from './records.js';
import { WeirdPolicy } from './weirds.js';
import { analyzerFailure, analyzerSchema } from '../analyzers/framework/analyzer-log.js';
import { AYIYA_TUNNEL, TEREDO_TUNNEL, TUNNEL_BIT, TUNNEL_MAX_DEPTH, TunnelTracker, UDP_TUNNELS, looksLikeAyiya, looksLikeTeredo } from './tunnels.js';

/** What a run enables for a given `--analyzers` selection. */
export interface Selection {
  specs: AnalyzerSpec[];
  conn: boolean;
  tunnel: boolean;
  weird: boolean;
  /** Log paths allowed (null = all). */
  logs: Set<string> | null;
  /** Names nothing in wirehunt provides. */
  unknown: string[];
  likely: { tcp: Set<number>; udp: Set<number> };
}

const MAX_WEIRDS_PER_RUN = 1000000;

/** Packets whose checksum was wrong, by layer (the bad_*_checksum weirds, before weird sampling; none under -C). */
export interface BadChecksums {
  ip: number;
  tcp: number;
  udp: number;
}

/** The per-packet work of the sensor, shared by the single-threaded run and the worker threads. */
export interface Pipeline {
  /** One captured frame; `index` is its 0-based number in the capture (uids are keyed by it). */
  packet(raw: RawPacket, index: number): void;
  /** End of input: flush every connection. */
  finish(): void;
  /** Fire the timers due by network time `t` (a live sensor advancing time on the wall clock when idle). */
  advance?(t: number): void;
  ipPackets(): number;
  connections(): number;
  active(): number;
  badChecksums(): BadChecksums;
}

export interface PipelineOptions {
  ignoreChecksums?: boolean;
  filter?: (p: DecodedPacket) => boolean;
  /** Called once per new connection, right after the flow table creates it (live process attribution). */
  connCreated?: (c: Conn) => void;
  /** Zeek's tcp_close_delay in seconds (a live sensor shortens it so closed connections are logged sooner). */
  closeDelay?: number;
  /** Per-run services beside the registry's (e.g. 'http.options' and 'ftp.options' from Zeek redefs). */
  services?: Record<string, () => unknown>;
  /** The registry's service factories for the analyzers (index.ts passes them; conn-level runs need none). */
  serviceFactories?: Record<string, () => unknown>;
}

export function createPipeline(sel: Selection, sink: LogSink, opts: PipelineOptions): Pipeline {
  const decoder = new Decoder({ ignoreChecksums: !!opts.ignoreChecksums });
  const uids = new UidGenerator();
  const newUid = () => uids.next();

  // weird.log as Zeek's weird framework writes it (sampling, per-name actions).
  let weirdCount = 0;
  const policy = new WeirdPolicy();
  let flow!: FlowTable;
  // The packet being processed and its tunnel depth, for weirds not tied to a connection.
  let curP: DecodedPacket | null = null;
  let curDepth = 0;
  const bad: BadChecksums = { ip: 0, tcp: 0, udp: 0 };
  const weird = (c: Conn | null, name: string, addl?: string, source?: string): void => {
    // Counted as Zeek's find-checksum-offloading.zeek counts them (outside tunnels), whatever is logged.
    if (name.startsWith('bad_') && (c || curDepth === 0)) {
      if (name === 'bad_TCP_checksum') bad.tcp++;
      else if (name === 'bad_UDP_checksum') bad.udp++;
      else if (name === 'bad_IP_checksum') bad.ip++;
    }
    if (!sel.weird || weirdCount >= MAX_WEIRDS_PER_RUN) return;
    let src: string | undefined, dst: string | undefined;
    if (!c) {
      // Zeek's packet-level weirds: on the flow (IP addresses known) and marked _in_tunnel inside a tunnel.
      if (curDepth > 0) name += '_in_tunnel';
      const p = curP;
      if (p && p.l3 === L3.IPv4) { src = wordsToString(0, 0, 0xffff, p.src4 >>> 0); dst = wordsToString(0, 0, 0xffff, p.dst4 >>> 0); }
      else if (p && p.l3 === L3.IPv6) {
        src = wordsToString(p.src6[0]!, p.src6[1]!, p.src6[2]!, p.src6[3]!);
        dst = wordsToString(p.dst6[0]!, p.dst6[1]!, p.dst6[2]!, p.dst6[3]!);
      }
    }
    const d = policy.decide(c, name, src !== undefined ? `${src}|${dst}` : '');
    if (!d) return;
    weirdCount++;
    const rec = weirdRecord(flow.now, c, name, addl, source, src, dst);
    if (d.notice) rec.notice = true;
    sink.write(weirdSchema, rec);
  };

  const tunnels = new TunnelTracker(sel.tunnel ? sink : null, newUid, () => flow.now);

  const framework = sel.specs.length ? new AnalyzerFramework(sel.specs, {
    write: (s, r) => sink.write(s, r),
    weird,
    now: () => flow.now,
    wantStreams: (c) => flow.wantStreams(c),
    flipRoles: (c) => flow.flipConn(c),
    analyzerExpire: (c, interval) => flow.analyzerExpire(c, interval),
  }, opts.services ? { ...opts.serviceFactories, ...opts.services } : opts.serviceFactories ?? {}) : null;

  flow = new FlowTable({
    app: framework,
    weird,
    created: (c) => { if (c.encap) tunnels.registerAll(c.encap); opts.connCreated?.(c); },
    tunnelChanged: (_c, e) => tunnels.registerAll(e),
    removed: (c) => {
      if (sel.conn) sink.write(connSchema, connRecord(c));
      tunnels.connRemoved(c);
    },
  }, { likelyTcp: sel.likely.tcp, likelyUdp: sel.likely.udp, newUid, closeDelay: opts.closeDelay });

  // One DecodedPacket per tunnel depth, reused for every frame.
  const pk: DecodedPacket[] = [];
  for (let i = 0; i <= TUNNEL_MAX_DEPTH + 1; i++) pk.push(new DecodedPacket());
  let ipPackets = 0;
  let wireLen = 0, capLen = 0;

  const sideWeirds = (): void => {
    for (let i = 0; i < decoder.sideWeirdCount; i++) weird(null, decoder.sideWeirds[i]!);
  };

  const handle = (p: DecodedPacket, status: DecodeStatus, encap: EncapStack | null, depth: number): void => {
    curP = p;
    curDepth = depth;
    if (decoder.sideWeirdCount) sideWeirds();
    if (status === DecodeStatus.Weird) { weird(null, decoder.weird); return; }
    if (status !== DecodeStatus.Ok && status !== DecodeStatus.ConnWeird) return;
    if (p.l3 === L3.None) return;
    ipPackets++;
    const proto = p.ipProto;
    if (status === DecodeStatus.Ok && (proto === 4 || proto === 41 || proto === 47)) {
      if (depth >= TUNNEL_MAX_DEPTH) { weird(null, 'exceeded_tunnel_max_depth', undefined, 'IPTUNNEL'); return; }
      const inner = pk[depth + 1]!;
      const st = proto === 47 ? decoder.decapGRE(p, inner) : decoder.decapIP(p, inner);
      if (st === DecodeStatus.Weird) { weird(null, decoder.weird); return; }
      if (st !== DecodeStatus.Ok && st !== DecodeStatus.ConnWeird) { if (decoder.sideWeirdCount) sideWeirds(); return; }
      const stack = tunnels.ipStack(encap, p, proto === 47 ? 'Tunnel::GRE' : 'Tunnel::IP');
      handle(inner, st, stack, depth + 1);
      return;
    }
    const c = flow.processPacket(p, encap, status === DecodeStatus.ConnWeird ? decoder.weird : '');
    if (!c || status !== DecodeStatus.Ok || c.transport !== Transport.UDP || p.badChecksum) return;
    const isOrig = flow.lastIsOrig;
    let tun = UDP_TUNNELS.get(c.rPort);
    if (!tun) {
      // Zeek's UDP analyzer tries protocol detection (AYIYA, then Teredo) on other ports.
      const off = p.l4Offset + 8, n = Math.min(p.l4Len, p.l4CapLen) - 8;
      if (n <= 0) return;
      if (looksLikeAyiya(p.buf, off, n)) tun = AYIYA_TUNNEL;
      else if (looksLikeTeredo(p.buf, off, n)) tun = TEREDO_TUNNEL;
      else return;
    }
    const bit = TUNNEL_BIT[tun.kind];
    if (c.tunnelViolated & bit) return;
    if (depth >= TUNNEL_MAX_DEPTH) {
      c.checkHistory(0x400, 'X');
      curP = p; curDepth = depth;
      weird(null, 'exceeded_tunnel_max_depth', undefined, tun.kind.toUpperCase());
      return;
    }
    const inner = pk[depth + 1]!;
    let st: DecodeStatus;
    switch (tun.kind) {
      case 'vxlan': st = decoder.decapVXLAN(p, inner, wireLen, capLen); break;
      case 'geneve': st = decoder.decapGeneve(p, inner, wireLen, capLen); break;
      case 'teredo': st = decoder.decapTeredo(p, inner, wireLen, capLen); break;
      case 'ayiya': st = decoder.decapAYIYA(p, inner, wireLen, capLen); break;
      case 'gtpv1': st = decoder.decapGTPv1(p, inner, wireLen, capLen); break;
      default: st = decoder.decapGRE(p, inner, true);
    }
    if (decoder.sideWeirdCount) {
      for (let i = 0; i < decoder.sideWeirdCount; i++) weird(c, decoder.sideWeirds[i]!, undefined, tun.kind.toUpperCase());
      decoder.sideWeirdCount = 0;
    }
    if (st === DecodeStatus.Violation) {
      // Packet analyzers' violations go to analyzer.log directly (once: the analyzer then skips the connection).
      c.tunnelViolated |= bit;
      sink.write(analyzerSchema, analyzerFailure(flow.now, 'packet', tun.kind.toUpperCase(), c, decoder.violation));
      return;
    }
    if (decoder.tunnelConfirmed && tun.service) {
      let confirm = true;
      if (tun.kind === 'teredo') {
        // Tunnel::delay_teredo_confirmation: valid Teredo from both sides first.
        c.tunnelValid |= isOrig ? 1 : 2;
        confirm = c.tunnelValid === 3;
      }
      if (confirm && !c.services.includes(tun.service)) c.services.push(tun.service);
    }
    if (st === DecodeStatus.Weird) { weird(c, decoder.weird); return; }
    if (st !== DecodeStatus.Ok && st !== DecodeStatus.ConnWeird) { if (decoder.sideWeirdCount) sideWeirds(); return; }
    // GRE over UDP is still an IP-level tunnel for Zeek (keyed by the address pair, ports 0).
    const stack = tun.kind === 'gre' ? tunnels.ipStack(encap, p, 'Tunnel::GRE') : tunnels.udpStack(encap, c, tun.type);
    handle(inner, st, stack, depth + 1);
  };

  const filter = opts.filter;
  const p0 = pk[0]!;

  return {
    packet(raw: RawPacket, index: number): void {
      uids.at(index);
      curP = p0;
      curDepth = 0;
      wireLen = raw.wireLen;
      capLen = raw.capLen;
      const st = decoder.decode(raw, p0);
      if (filter && !filter(p0)) return;
      if (st === DecodeStatus.Ok && p0.ipProto === 6 && !decoder.sideWeirdCount) {
        // The common case, straight to the flow table.
        ipPackets++;
        flow.processPacket(p0, null);
      } else {
        handle(p0, st, null, 0);
      }
    },
    finish(): void {
      flow.flushAll();
    },
    advance: (t: number) => flow.advance(t),
    ipPackets: () => ipPackets,
    connections: () => flow.totalConnections,
    active: () => flow.size,
    badChecksums: () => ({ ...bad }),
  };
}
