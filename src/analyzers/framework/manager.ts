// The analyzer framework: attaches protocol analyzers to connections by well-known port, by content
// (Zeek's dynamic protocol detection: the first bytes of each side are buffered and every candidate's
// `detect` is tried; a match attaches the analyzer and replays what was buffered), by expectation
// (FTP data channels), and as children (STARTTLS). It delivers streams, datagrams, gaps and
// end-of-data, turns confirmations into conn.log `service` and removes analyzers on violations.

import type { AnalyzerContext, AnalyzerSpec, ConnInfo, DatagramAnalyzer, StreamAnalyzer, TransportProto } from '../types.js';
import type { LogSchema, ZeekRecord } from '../../zeek/types.js';
import { analyzerFailure, analyzerSchema } from './analyzer-log.js';
import { type AppLayer, type Conn, HIST_ANALYZER_LIMIT_REACHED, Transport } from '../../flow/conn.js';

/** Zeek's dpd_buffer_size and dpd_max_packets. */
export const DPD_BUFFER_SIZE = 1024;
export const DPD_MAX_PACKETS = 100;
/** DPD::ignore_violations_after. */
export const IGNORE_VIOLATIONS_AFTER = 10 * 1024;

export interface FrameworkHost {
  /** Write a record (the sensor filters by the logs enabled for the run). */
  write(schema: LogSchema, rec: ZeekRecord): void;
  weird(c: Conn | null, name: string, addl?: string, source?: string): void;
  /** Network time. */
  now(): number;
  /** Ask the flow layer to hand this TCP connection's reassembled streams to the framework. */
  wantStreams(c: Conn): void;
  /** Zeek's Connection::FlipRoles, on an analyzer's request. */
  flipRoles(c: Conn): void;
  /** An analyzer-owned expire timer on the connection (Zeek's DNS over UDP). */
  analyzerExpire?(c: Conn, interval: number): void;
}

/**
 * Analyzers that, in Zeek, ignore stream data while the TCP connection is partial (no handshake seen:
 * `if ( TCP() && TCP()->IsPartial() ) return;` in their DeliverStream, or a ContentLine with skip_partial).
 */
const SKIP_PARTIAL = new Set(['HTTP', 'SSH', 'SSL', 'IMAP', 'POP3', 'MYSQL', 'SIP', 'SOCKS', 'RDP', 'XMPP', 'KRB', 'BITTORRENT', 'SMTP']);

/** Weirds Zeek raises through Connection::LimitReachedWeird, which also marks the history with 'X'. */
const LIMIT_WEIRDS = new Set(['DNS_Conn_count_too_large', 'DNS_max_compression_chain_depth_exceeded',
  'FTP_max_command_length_exceeded', 'SSH_max_packet_length_exceeded', 'SSH_max_string_length_exceeded',
  'exceeded_mime_max_depth', 'exceeded_mime_max_header_bytes', 'nvt_line_size_exceeded', 'nvt_option_size_exceeded',
  'HTTP_excessive_pipelining', 'Redis_excessive_pipelining', 'smtp_excessive_invalid_mail_transactions',
  'SSL_max_ssl_history_length_reached']);

/** Weirds Zeek raises from its scripts (Reporter::conn_weird / limit_reached_weird): weird.log has no source for them. */
const SCRIPT_WEIRDS = new Set(['FTP_arg_too_long', 'FTP_intermediate_line_with_reply_code', 'FTP_password_too_long', 'FTP_reply_msg_too_long', 'FTP_too_many_pending_commands', 'FTP_user_too_long', 'HTTP_response_before_request', 'LDAP_bind_opcode_already_set', 'LDAP_bind_without_opcode', 'LDAP_max_pending_messages_exceeded', 'LDAP_max_pending_searches_exceeded', 'LDAP_unknown_auth_type', 'RDP_channels_requested_exceeds_max', 'SMB_discarded_dce_rpc_analyzers', 'SMB_discarded_messages_state', 'SSH_cannot_determine_version', 'SSH_version_mismatch', 'SSL_many_server_names', 'missing_HTTP_entity', 'missing_SMTP_entity', 'smb_tree_connect_andx_response_without_tree', 'smtp_mail_transaction_invalid', 'smtp_max_path_length_exceeded', 'smtp_too_many_cc_addresses', 'smtp_too_many_rcptto_addresses', 'smtp_too_many_to_addresses', 'ssl_early_application_data', 'unknown_HTTP_method', 'unknown_SIP_method', 'HTTP_excessive_pipelining', 'Redis_excessive_pipelining', 'smtp_excessive_invalid_mail_transactions', 'SSL_max_ssl_history_length_reached']);

/** Analyzers whose Zeek implementation expires their UDP connection itself: name → interval (dns_session_timeout). */
const UDP_SESSION_EXPIRE: Record<string, number> = { DNS: 10 };

interface Expectation {
  origH: string | undefined;
  respH: string;
  respP: number;
  proto: TransportProto;
  analyzer: string;
  until: number;
}

class Entry implements AnalyzerContext {
  inst: StreamAnalyzer | DatagramAnalyzer | null = null;
  confirmed = false;
  removed = false;
  /** Children (startChild) are fed by their parent, not by the framework. */
  child = false;
  constructor(readonly fw: AnalyzerFramework, readonly c: Conn, readonly app: ConnApp, readonly spec: AnalyzerSpec) {}

  get conn(): ConnInfo { return this.c; }
  now(): number { return this.fw.host.now(); }
  write(schema: LogSchema, rec: ZeekRecord): void { this.fw.host.write(schema, rec); }
  weird(name: string, addl?: string): void {
    if (LIMIT_WEIRDS.has(name)) this.c.checkHistory(HIST_ANALYZER_LIMIT_REACHED, 'X');
    this.fw.host.weird(this.c, name, addl, SCRIPT_WEIRDS.has(name) ? undefined : this.spec.name);
  }
  /** Services this analyzer confirmed (an analyzer may confirm an embedded protocol too, e.g. ntlm inside ldap). */
  services: string[] | null = null;
  confirm(service?: string): void {
    if (this.removed) return;
    const s = (service ?? this.spec.service).toLowerCase();
    if (!s || this.services?.includes(s)) return;
    this.confirmed = true;
    (this.services ??= []).push(s);
    if (!this.c.services.includes(s)) this.c.services.push(s);
  }
  violation(reason: string, data?: string): void {
    if (this.removed) return;
    // TCP_ApplicationAnalyzer::AnalyzerViolation: incomplete connections (partial, or a content gap on
    // either side) are too unreliable to judge, so their violations are ignored.
    const c = this.c;
    if (c.orig && (c.isPartial || c.orig.reasm.hadGap || c.resp!.reasm.hadGap)) return;
    if (this.c.payloadSize() > IGNORE_VIOLATIONS_AFTER) return;
    this.removed = true;
    this.app.violated.add(this.spec.name);
    // analyzer_failed → analyzer.log, only for an analyzer whose service was confirmed and not failed before.
    if (this.services && this.services.some((s) => this.c.services.includes(s)) && !this.app.failed.has(this.spec.name)) {
      this.app.failed.add(this.spec.name);
      this.fw.host.write(analyzerSchema, analyzerFailure(this.fw.host.now(), 'protocol', this.spec.name, this.c, reason, data));
    }
    if (this.services) {
      for (const s of this.services) {
        const i = this.c.services.indexOf(s);
        if (i >= 0) this.c.services.splice(i, 1);
      }
    }
    try { this.inst?.done?.(); } catch { /* an analyzer failing on removal must not stop the run */ }
  }
  expectConnection(origH: string | undefined, respH: string, respP: number, proto: TransportProto, analyzer: string, timeout: number): void {
    this.fw.expect({ origH, respH, respP, proto, analyzer, until: this.now() + timeout });
  }
  startChild(analyzer: string): StreamAnalyzer | undefined {
    const spec = this.fw.byName(analyzer, 'tcp');
    if (!spec) return undefined;
    const e = this.app.attach(spec, true);
    return e?.inst && 'deliverStream' in e.inst ? e.inst : undefined;
  }
  flipRoles(): void { this.fw.host.flipRoles(this.c); }
  service<T>(name: string): T | undefined { return this.fw.service<T>(name); }
}

/** A prefix buffer that holds `need` bytes (grown by doubling up to DPD_BUFFER_SIZE; small first). */
function grow(buf: Buffer | null, used: number, need: number): Buffer {
  if (buf && buf.length >= need) return buf;
  let n = buf ? buf.length : 128;
  while (n < need) n *= 2;
  const b = Buffer.allocUnsafe(Math.min(DPD_BUFFER_SIZE, n));
  if (buf) buf.copy(b, 0, 0, used);
  return b;
}

/** Per-connection analyzer state (Conn.app). */
export class ConnApp {
  readonly entries: Entry[] = [];
  readonly violated = new Set<string>();
  /** Analyzers logged to analyzer.log (Zeek's c$failed_analyzers). */
  readonly failed = new Set<string>();
  // DPD state: buffered prefixes of both sides and the order they came in.
  dpdActive = false;
  candidates: AnalyzerSpec[] = [];
  origBuf: Buffer | null = null;
  origLen = 0;
  respBuf: Buffer | null = null;
  respLen = 0;
  /** Replay order: [isOrig ? 1 : 0, start, end] triples into the side buffers. */
  chunks: number[] = [];
  packets = 0;

  constructor(readonly fw: AnalyzerFramework, readonly c: Conn) {}

  attach(spec: AnalyzerSpec, child = false): Entry | undefined {
    for (const e of this.entries) if (e.spec === spec && !e.removed) return e;
    const e = new Entry(this.fw, this.c, this, spec);
    e.child = child;
    try {
      e.inst = spec.create(e);
    } catch {
      return undefined;
    }
    this.entries.push(e);
    if (this.c.transport === Transport.TCP) this.fw.host.wantStreams(this.c);
    else {
      const x = UDP_SESSION_EXPIRE[spec.name];
      if (x) this.fw.host.analyzerExpire?.(this.c, x);
    }
    return e;
  }

  /** Buffer a prefix and run detection; returns analyzers attached now (they still need the replay). */
  private dpd(isOrig: boolean, data: Buffer, off: number, len: number): Entry[] | null {
    this.packets++;
    const room = DPD_BUFFER_SIZE - this.origLen - this.respLen;
    const take = Math.min(room, len);
    if (take > 0) {
      if (isOrig) {
        this.origBuf = grow(this.origBuf, this.origLen, this.origLen + take);
        data.copy(this.origBuf, this.origLen, off, off + take);
        this.chunks.push(1, this.origLen, this.origLen + take);
        this.origLen += take;
      } else {
        this.respBuf = grow(this.respBuf, this.respLen, this.respLen + take);
        data.copy(this.respBuf, this.respLen, off, off + take);
        this.chunks.push(0, this.respLen, this.respLen + take);
        this.respLen += take;
      }
    }
    let found: Entry[] | null = null;
    if (take > 0) {
      const op = this.origBuf ? this.origBuf.subarray(0, this.origLen) : undefined;
      const rp = this.respBuf ? this.respBuf.subarray(0, this.respLen) : undefined;
      for (let i = 0; i < this.candidates.length; i++) {
        const spec = this.candidates[i]!;
        if (this.violated.has(spec.name)) continue;
        let hit = false;
        try { hit = spec.detect!(op, rp); } catch { hit = false; }
        if (!hit) continue;
        this.candidates.splice(i--, 1);
        const e = this.attach(spec);
        if (e) (found ??= []).push(e);
      }
    }
    return found;
  }

  private stopDpd(): void {
    this.dpdActive = false;
    this.origBuf = this.respBuf = null;
    this.chunks = [];
    this.candidates = [];
  }

  /** Replay the buffered prefix to a newly attached analyzer; the current chunk goes in full. */
  private replay(e: Entry, stream: boolean, isOrig: boolean, data: Buffer, off: number, len: number): void {
    const ch = this.chunks;
    // The last recorded chunk (if any) is the current one; replay the earlier ones from the buffers.
    const lastIsCurrent = ch.length >= 3 && (ch[ch.length - 3] === 1) === isOrig;
    const n = lastIsCurrent ? ch.length - 3 : ch.length;
    for (let i = 0; i < n && !e.removed; i += 3) {
      const o = ch[i] === 1;
      const buf = o ? this.origBuf! : this.respBuf!;
      this.feed(e, stream, o, buf, ch[i + 1]!, ch[i + 2]! - ch[i + 1]!);
    }
    if (!e.removed) this.feed(e, stream, isOrig, data, off, len);
  }

  private feed(e: Entry, stream: boolean, isOrig: boolean, data: Buffer, off: number, len: number): void {
    const inst = e.inst;
    if (!inst) return;
    if (stream && this.c.isPartial && SKIP_PARTIAL.has(e.spec.name)) return;
    try {
      if (stream) (inst as StreamAnalyzer).deliverStream?.(isOrig, data, off, len);
      else (inst as DatagramAnalyzer).deliverPacket?.(isOrig, data, off, len);
    } catch {
      e.violation('analyzer error');
    }
  }

  deliver(stream: boolean, isOrig: boolean, data: Buffer, off: number, len: number): void {
    const n = this.entries.length;
    for (let i = 0; i < n; i++) {
      const e = this.entries[i]!;
      if (!e.removed && !e.child) this.feed(e, stream, isOrig, data, off, len);
    }
    if (this.dpdActive && len > 0) {
      const found = this.dpd(isOrig, data, off, len);
      if (found) for (const e of found) this.replay(e, stream, isOrig, data, off, len);
      if (this.origLen + this.respLen >= DPD_BUFFER_SIZE || this.packets >= DPD_MAX_PACKETS || this.candidates.length === 0) this.stopDpd();
    }
  }

  gap(isOrig: boolean, len: number): void {
    for (const e of this.entries) {
      if (e.removed || e.child) continue;
      try { (e.inst as StreamAnalyzer).gap?.(isOrig, len); } catch { e.violation('analyzer error'); }
    }
    // Zeek's PIA gives up on content detection after a gap.
    if (this.dpdActive) this.stopDpd();
  }

  endOfData(isOrig: boolean): void {
    for (const e of this.entries) {
      if (e.removed || e.child) continue;
      try { (e.inst as StreamAnalyzer).endOfData?.(isOrig); } catch { e.violation('analyzer error'); }
    }
  }

  done(): void {
    for (const e of this.entries) {
      if (e.removed) continue;
      e.removed = true;
      try { e.inst?.done?.(); } catch { /* keep going */ }
    }
  }
}

export class AnalyzerFramework implements AppLayer {
  private readonly tcpPorts = new Map<number, AnalyzerSpec[]>();
  private readonly udpPorts = new Map<number, AnalyzerSpec[]>();
  private readonly tcpDetect: AnalyzerSpec[] = [];
  private readonly udpDetect: AnalyzerSpec[] = [];
  private expectations: Expectation[] = [];
  private readonly services = new Map<string, unknown>();

  constructor(readonly specs: readonly AnalyzerSpec[], readonly host: FrameworkHost,
    private readonly serviceFactories: Record<string, () => unknown> = {}) {
    for (const s of specs) {
      const ports = s.transport === 'tcp' ? this.tcpPorts : this.udpPorts;
      for (const p of s.ports) {
        const l = ports.get(p);
        if (l) l.push(s); else ports.set(p, [s]);
      }
      if (s.detect) (s.transport === 'tcp' ? this.tcpDetect : this.udpDetect).push(s);
    }
  }

  byName(name: string, transport: 'tcp' | 'udp'): AnalyzerSpec | undefined {
    const up = name.toUpperCase();
    return this.specs.find((s) => s.name === up && s.transport === transport) ?? this.specs.find((s) => s.name === up);
  }

  service<T>(name: string): T | undefined {
    if (!this.services.has(name)) {
      const f = this.serviceFactories[name];
      this.services.set(name, f ? f() : undefined);
    }
    return this.services.get(name) as T | undefined;
  }

  expect(x: Expectation): void {
    const now = this.host.now();
    if (this.expectations.length > 1000) this.expectations = this.expectations.filter((e) => e.until >= now);
    this.expectations.push(x);
  }

  private takeExpectation(c: Conn, transport: 'tcp' | 'udp'): AnalyzerSpec | undefined {
    if (!this.expectations.length) return undefined;
    const now = this.host.now();
    for (let i = 0; i < this.expectations.length; i++) {
      const x = this.expectations[i]!;
      if (x.until < now) { this.expectations.splice(i--, 1); continue; }
      if (x.proto !== transport || x.respP !== c.rPort) continue;
      if (x.respH !== c.respH) continue;
      if (x.origH !== undefined && x.origH !== c.origH) continue;
      this.expectations.splice(i, 1);
      return this.byName(x.analyzer, transport);
    }
    return undefined;
  }

  newConnection(c: Conn): void {
    let transport: 'tcp' | 'udp';
    if (c.transport === Transport.TCP) transport = 'tcp';
    else if (c.transport === Transport.UDP) transport = 'udp';
    else return;
    const expected = this.takeExpectation(c, transport);
    const byPort = expected ? [expected] : (transport === 'tcp' ? this.tcpPorts : this.udpPorts).get(c.rPort);
    const detect = transport === 'tcp' ? this.tcpDetect : this.udpDetect;
    if (!byPort && !detect.length) return;
    const app = new ConnApp(this, c);
    c.app = app;
    if (byPort) for (const s of byPort) app.attach(s);
    if (!expected) {
      for (const s of detect) if (!byPort || !byPort.includes(s)) app.candidates.push(s);
      if (app.candidates.length) {
        app.dpdActive = true;
        if (transport === 'tcp') this.host.wantStreams(c);
      }
    }
  }

  deliverStream(c: Conn, isOrig: boolean, data: Buffer, off: number, len: number): void {
    const app = c.app as ConnApp | null;
    if (app) app.deliver(true, isOrig, data, off, len);
  }

  gap(c: Conn, isOrig: boolean, len: number): void {
    const app = c.app as ConnApp | null;
    if (app) app.gap(isOrig, len);
  }

  endOfData(c: Conn, isOrig: boolean): void {
    const app = c.app as ConnApp | null;
    if (app) app.endOfData(isOrig);
  }

  deliverPacket(c: Conn, isOrig: boolean, data: Buffer, off: number, len: number): void {
    const app = c.app as ConnApp | null;
    if (app) app.deliver(false, isOrig, data, off, len);
  }

  removed(c: Conn): void {
    const app = c.app as ConnApp | null;
    if (app) app.done();
  }
}
