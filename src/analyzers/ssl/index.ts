// SSL/TLS and DTLS analyzers: parser events → ssl.log (and x509.log through the x509 module), as
// Zeek's scripts/base/protocols/ssl/{main,files}.zeek build them.

import type { AnalyzerContext, AnalyzerSpec, DatagramAnalyzer, StreamAnalyzer } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { sslLog } from '../../zeek/schemas/ssl.js';
import { x509Log } from '../../zeek/schemas/x509.js';
import { certMatchesHostname, logCertificate, type X509Cert } from '../x509/index.js';
import { alertDescription, cipherDesc, ecCurve, versionString } from './consts.js';
import { DtlsRecordLayer, TLSv13, TlsRecordLayer, type TlsEvents } from './parser.js';

export { TlsRecordLayer, DtlsRecordLayer } from './parser.js';
export type { TlsEvents } from './parser.js';

const HRR_RANDOM = Buffer.from('CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C', 'hex');
const MAX_HISTORY = 100;

const HISTORY_CHARS: Record<number, string> = {
  0: 'h', 1: 'c', 3: 'v', 4: 't', 5: 'e', 6: 'j', 8: 'o', 11: 'x', 12: 'k', 13: 'r', 14: 'n', 15: 'y', 16: 'g',
  20: 'f', 21: 'w', 22: 'u', 23: 'a', 24: 'p', 254: 'm',
};

interface ChainEntry {
  cert?: X509Cert;
}

interface SslInfo {
  ts: number;
  versionNum?: number;
  version?: string;
  cipher?: string;
  curve?: string;
  serverName?: string;
  sessionId?: string;
  resumed: boolean;
  clientTicketEmptySessionSeen: boolean;
  clientKeyExchangeSeen: boolean;
  clientPskSeen: boolean;
  lastAlert?: string;
  nextProtocol?: string;
  established: boolean;
  logged: boolean;
  hrrSeen: boolean;
  history: string;
  certChain?: ChainEntry[];
  clientCertChain?: ChainEntry[];
  certChainFps?: string[];
  clientCertChainFps?: string[];
  subject?: string;
  issuer?: string;
  clientSubject?: string;
  clientIssuer?: string;
  sniMatchesCert?: boolean;
}

/** Log builder for one connection (Zeek's c$ssl). */
export class SslSession implements TlsEvents {
  info: SslInfo | undefined;
  /** Set by the analyzer: stops the parser (disable_analyzer_after_detection). */
  onDisable: (() => void) | undefined;
  private dead = false;

  constructor(private readonly ctx: AnalyzerContext, private readonly service: string) {}

  private session(): SslInfo {
    return (this.info ??= {
      ts: this.ctx.now(),
      resumed: false,
      clientTicketEmptySessionSeen: false,
      clientKeyExchangeSeen: false,
      clientPskSeen: false,
      established: false,
      logged: false,
      hrrSeen: false,
      history: '',
    });
  }

  private addHistory(isClient: boolean, ch: string): void {
    const s = this.session();
    if (s.history.length === MAX_HISTORY) return;
    s.history += isClient ? ch.toUpperCase() : ch.toLowerCase();
    if (s.history.length === MAX_HISTORY) this.ctx.weird('SSL_max_ssl_history_length_reached', String(MAX_HISTORY));
  }

  clientHello(_version: number, recordVersion: number, sessionId: Buffer): void {
    const s = this.session();
    if (sessionId.length > 0 && sessionId.some((x) => x !== 0)) {
      s.sessionId = sessionId.toString('hex');
      s.clientTicketEmptySessionSeen = false;
    }
    if (recordVersion === 0) this.addHistory(true, 'c');
  }

  serverHello(version: number, random: Buffer, sessionId: Buffer, cipher: number): void {
    const s = this.session();
    if (s.versionNum === undefined) {
      s.versionNum = version;
      s.version = versionString(version);
    }
    s.cipher = cipherDesc(cipher);
    if (random.equals(HRR_RANDOM)) s.hrrSeen = true;
    const vn = s.versionNum;
    if (s.sessionId !== undefined && s.sessionId === sessionId.toString('hex') && Math.floor(vn / 0xff) !== 0x7f && vn !== TLSv13) s.resumed = true;
    if (version === 2) this.addHistory(false, 's');
  }

  extension(isClient: boolean, code: number, valLen: number): void {
    const s = this.session();
    if (isClient && code === 35 && valLen > 0) s.clientTicketEmptySessionSeen = true;
    else if (isClient && code === 41) s.clientPskSeen = true;
    else if (!isClient && code === 41 && s.clientPskSeen) s.resumed = true;
  }

  supportedVersions(isClient: boolean, versions: number[]): void {
    if (isClient || versions.length !== 1) return;
    const s = this.session();
    s.versionNum = versions[0]!;
    s.version = versionString(versions[0]!);
  }

  keyShare(isClient: boolean, groups: number[]): void {
    if (isClient || groups.length !== 1) return;
    this.session().curve = ecCurve(groups[0]!);
  }

  ecdhServerParams(curve: number): void {
    this.session().curve = ecCurve(curve);
  }

  serverName(isClient: boolean, names: string[]): void {
    const s = this.session();
    if (isClient && names.length > 0) {
      s.serverName = names[0]!;
      if (names.length > 1) this.ctx.weird('SSL_many_server_names', names.join(','));
    }
  }

  alpn(isClient: boolean, protocols: string[]): void {
    const s = this.session();
    if (isClient) return;
    if (protocols.length > 0) s.nextProtocol = protocols[0]!;
  }

  connectionFlipped(): void {
    this.session().history += '^';
  }

  handshakeMessage(isClient: boolean, msgType: number): void {
    const s = this.session();
    if (isClient && msgType === 16) s.clientKeyExchangeSeen = true;
    if (msgType === 2) {
      if (s.hrrSeen) {
        this.addHistory(isClient, 'j');
        s.hrrSeen = false;
      } else this.addHistory(isClient, 's');
      return;
    }
    this.addHistory(isClient, HISTORY_CHARS[msgType] ?? 'z');
  }

  certificates(isClient: boolean, certs: Buffer[]): void {
    for (let i = 0; i < certs.length; i++) {
      const der = certs[i]!;
      if (der.length === 0) {
        this.ctx.weird('zero_length_certificate');
        continue;
      }
      const cert = logCertificate(this.ctx, Buffer.from(der), i === 0, isClient);
      // files.zeek file_sniff: the chain is kept with the connection's ssl record
      const s = this.info;
      if (!s) continue;
      if (!s.certChain) {
        s.certChain = [];
        s.clientCertChain = [];
        s.certChainFps = [];
        s.clientCertChainFps = [];
      }
      (isClient ? s.clientCertChain! : s.certChain).push(cert ? { cert } : {});
    }
  }

  changeCipherSpec(isClient: boolean): void {
    const s = this.session();
    this.addHistory(isClient, 'i');
    if (isClient && s.clientTicketEmptySessionSeen && !s.clientKeyExchangeSeen) s.resumed = true;
  }

  alert(isClient: boolean, _level: number, desc: number): void {
    const s = this.session();
    this.addHistory(isClient, 'l');
    s.lastAlert = alertDescription(desc);
  }

  heartbeat(isClient: boolean): void {
    this.addHistory(isClient, 'b');
  }

  plaintextData(_isClient: boolean, contentType: number): void {
    const s = this.session();
    if (s.version === undefined || s.established || contentType !== 23) return;
    this.ctx.weird('ssl_early_application_data');
  }

  established(): void {
    const s = this.session();
    s.established = true;
    this.finishing();
    this.logRecord();
    this.onDisable?.();
  }

  confirm(): void {
    this.session();
    this.ctx.confirm(this.service);
  }

  violation(reason: string): void {
    if (this.dead) return;
    this.dead = true;
    if (this.info && !this.info.logged) this.finishing();
    if (this.info) this.logRecord();
    this.ctx.violation(reason);
  }

  weird(name: string, addl?: string): void {
    this.ctx.weird(name, addl);
  }

  /** Connection removal (finalize_ssl). */
  finish(): void {
    const s = this.info;
    if (!s) return;
    if (!s.logged) this.finishing();
    this.logRecord();
  }

  /** hook ssl_finishing (files.zeek). */
  private finishing(): void {
    const s = this.info!;
    if (s.certChain) for (const e of s.certChain) if (e.cert) s.certChainFps!.push(e.cert.fingerprint);
    if (s.clientCertChain) for (const e of s.clientCertChain) if (e.cert) s.clientCertChainFps!.push(e.cert.fingerprint);
    const leaf = s.certChain?.[0]?.cert;
    if (leaf) {
      if (s.serverName !== undefined) s.sniMatchesCert = certMatchesHostname(leaf, s.serverName);
      s.subject = leaf.subject;
      s.issuer = leaf.issuer;
    }
    const cleaf = s.clientCertChain?.[0]?.cert;
    if (cleaf) {
      s.clientSubject = cleaf.subject;
      s.clientIssuer = cleaf.issuer;
    }
  }

  private logRecord(): void {
    const s = this.info!;
    if (s.logged) return;
    s.logged = true;
    const c = this.ctx.conn;
    const rec: ZeekRecord = {
      ts: s.ts,
      uid: c.uid,
      'id.orig_h': c.origH,
      'id.orig_p': c.origP,
      'id.resp_h': c.respH,
      'id.resp_p': c.respP,
      version: s.version,
      cipher: s.cipher,
      curve: s.curve,
      server_name: s.serverName,
      resumed: s.resumed,
      last_alert: s.lastAlert,
      next_protocol: s.nextProtocol,
      established: s.established,
      ssl_history: s.history,
      cert_chain_fps: s.certChainFps,
      client_cert_chain_fps: s.clientCertChainFps,
      sni_matches_cert: s.sniMatchesCert,
      // Not ssl.log columns (Zeek's default filter excludes them), kept for the event model.
      subject: s.subject,
      issuer: s.issuer,
      client_subject: s.clientSubject,
      client_issuer: s.clientIssuer,
    };
    this.ctx.write(sslLog, rec);
  }
}

export class SslAnalyzer implements StreamAnalyzer {
  readonly session: SslSession;
  readonly parser: TlsRecordLayer;
  constructor(private readonly ctx: AnalyzerContext) {
    this.session = new SslSession(ctx, 'ssl');
    this.parser = new TlsRecordLayer(this.session);
    this.session.onDisable = () => this.parser.disable();
  }
  deliverStream(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    if (this.ctx.conn.isPartial) return; // TCP()->IsPartial()
    this.parser.deliver(isOrig, data, offset, len);
  }
  gap(): void {
    this.parser.gap();
  }
  done(): void {
    this.session.finish();
  }
}

export class DtlsAnalyzer implements DatagramAnalyzer {
  readonly session: SslSession;
  readonly parser: DtlsRecordLayer;
  constructor(ctx: AnalyzerContext) {
    this.session = new SslSession(ctx, 'dtls');
    this.parser = new DtlsRecordLayer(this.session);
    this.session.onDisable = () => this.parser.disable();
  }
  deliverPacket(isOrig: boolean, data: Buffer, offset: number, len: number): void {
    this.parser.deliver(isOrig, data, offset, len);
  }
  done(): void {
    this.session.finish();
  }
}

const v03 = (b: number | undefined) => b === 0 || b === 1 || b === 2 || b === 3;

/** dpd_tls_client: /^\x16\x03[\x00-\x03]..\x01...\x03[\x00-\x03]/ */
export function tlsClientHelloPrefix(b: Buffer | undefined): boolean {
  return !!b && b.length >= 11 && b[0] === 0x16 && b[1] === 3 && v03(b[2]) && b[5] === 1 && b[9] === 3 && v03(b[10]);
}

/** dpd_tls_server: an optional alert record, then a ServerHello with a TLS or TLS 1.3 draft version. */
export function tlsServerHelloPrefix(b: Buffer | undefined): boolean {
  if (!b) return false;
  const at = (o: number) => {
    if (b.length < o + 11) return false;
    if (!(b[o] === 0x16 && b[o + 1] === 3 && v03(b[o + 2]) && b[o + 5] === 2)) return false;
    const v0 = b[o + 9]!, v1 = b[o + 10]!;
    return (v0 === 3 && v1 <= 4) || (v0 === 0x7f && v1 <= 0x50);
  };
  if (at(0)) return true;
  return b.length >= 7 && b[0] === 0x15 && b[1] === 3 && v03(b[2]) && at(7);
}

const dv = (x: number | undefined) => x === 0xff || x === 0xfd;

function dtlsClientHelloAt(b: Buffer, o: number): boolean {
  if (b.length < o + 27) return false;
  for (let i = 3; i <= 9; i++) if (b[o + i] !== 0) return false;
  return b[o] === 0x16 && b[o + 1] === 0xfe && dv(b[o + 2]) && b[o + 13] === 1 && b[o + 25] === 0xfe && dv(b[o + 26]);
}

/**
 * dpd_dtls_client: a DTLS 1.0/1.2 ClientHello in epoch 0. Zeek matches UDP signatures on each
 * datagram; the prefix handed to us is the datagrams concatenated, so any offset may start one
 * (the pattern is long and specific enough not to match by chance).
 */
export function dtlsClientHelloPrefix(b: Buffer | undefined): boolean {
  if (!b) return false;
  for (let o = 0; o + 27 <= b.length; o++) if (b[o] === 0x16 && dtlsClientHelloAt(b, o)) return true;
  return false;
}

export const specs: AnalyzerSpec[] = [
  {
    name: 'SSL',
    service: 'ssl',
    scripts: ['ssl'],
    transport: 'tcp',
    ports: [443, 465, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223],
    detect: (orig, resp) => tlsClientHelloPrefix(orig) || tlsServerHelloPrefix(resp),
    create: (ctx) => new SslAnalyzer(ctx),
    logs: [sslLog, x509Log],
  },
  {
    name: 'DTLS',
    service: 'dtls',
    scripts: ['ssl'],
    transport: 'udp',
    ports: [443],
    detect: (orig) => dtlsClientHelloPrefix(orig),
    create: (ctx) => new DtlsAnalyzer(ctx),
    logs: [sslLog, x509Log],
  },
];
