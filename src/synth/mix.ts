// A deterministic mixed capture: many concurrent flows with a realistic packet-size mix (web-like TCP
// request/response with keep-alive, bulk transfers, rejected and unanswered connection attempts, DNS and
// other UDP, ICMP echo; IPv4 and some IPv6), streamed to a pcap file of (at least) a target size.
// With `apps`, TCP/UDP payloads are real application messages instead of opaque bytes: HTTP/1.1 (port 80),
// TLS 1.2 handshakes with X.509 chains then application-data records (443), DNS, FTP control sessions with
// a passive-mode data connection opened between the 150 and 226 replies, SSH-2 sessions (banners, KEXINIT,
// ECDH, encrypted packets; successful and failed logins) and SMB2 SESSION_SETUP with NTLMSSP (success and
// logon failure). The payload builders are src/demo/proto's.

import { PcapWriter } from './pcap-writer.js';
import { Rng } from './rng.js';
import { Scheduler } from './scheduler.js';
import { IcmpEchoSeries, TcpSession, UdpExchange, type Message, type Session } from './sessions.js';
import { clientFinish, clientHello, CT_APPDATA, serverFinish, serverFlight } from '../demo/proto/tls.js';
import { buildCertificate } from '../demo/proto/x509.js';
import {
  AUTH_SIZES, CLIENT_KEX, ecdhInit, ecdhReplyAndNewKeys, ed25519FromSeed, encrypted, kexInit, newKeys, SERVER_KEX,
} from '../demo/proto/ssh.js';
import { smbNtlmLogon, type NtlmServerNames } from '../demo/proto/smb.js';
import { ftpConversation, ftpLine } from '../demo/proto/ftp.js';

export interface MixOptions {
  /** Stop starting new flows once the file reaches this many bytes (the flows in progress still finish). */
  targetBytes: number;
  seed?: number;
  /** Real application payloads (HTTP, DNS) instead of opaque bytes. */
  apps?: boolean;
  /** Capture start, µs since the epoch (default 2026-01-05T09:00:00Z). */
  start?: number;
  /** Mean time between new flows, µs (default 400). */
  meanGap?: number;
}

export interface MixResult {
  packets: number;
  bytes: number;
  flows: { tcp: number; udp: number; icmp: number };
  /** Application sessions of the `apps` mix by kind (http, tls, dns, ftp, ftp-data, ssh, smb). */
  apps?: Record<string, number>;
  firstTs: number;
  lastTs: number;
}

const POOL_SIZE = 8 << 20;
const TLS_SITES = 32;
const SSH_HOST_KEYS = 8;
const SSH_SERVER_BANNERS = ['SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10', 'SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_7.4'];
const SSH_CLIENT_BANNERS = ['SSH-2.0-OpenSSH_9.6', 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10', 'SSH-2.0-PuTTY_Release_0.80', 'SSH-2.0-libssh2_1.10.0'];
const SSH_METHODS = 'publickey,password';
const USERS = ['jsmith', 'adavis', 'backup', 'svc_sql', 'administrator', 'mlopez', 'kchen', 'helpdesk'];
const DAY_MS = 86_400_000;

export class MixGenerator {
  private readonly rng: Rng;
  private readonly pool: Buffer;
  private readonly ephemeral = new Map<number, number>();
  readonly flows = { tcp: 0, udp: 0, icmp: 0 };
  /** Estimated bytes the flows started so far will write (payload plus per-packet overhead). */
  planned = 0;
  /** Sessions that belong to the flow next() returned and start later (FTP data connections); the caller schedules them. */
  readonly extra: Session[] = [];
  /** Application sessions by kind (apps mix). */
  readonly apps: Record<string, number> = {};
  private readonly startMs: number;
  private chains: Buffer[][] = [];
  private caCert: Buffer | undefined;
  private hostKeys: ReturnType<typeof ed25519FromSeed>[] = [];

  constructor(private readonly o: { seed?: number; apps?: boolean; start?: number }) {
    this.rng = new Rng(o.seed ?? 0x5eed);
    this.pool = new Rng((o.seed ?? 0x5eed) ^ 0xa5a5a5a5).fill(Buffer.allocUnsafe(POOL_SIZE));
    this.startMs = Math.floor((o.start ?? Date.UTC(2026, 0, 5, 9, 0, 0) * 1000) / 1000);
  }

  private count(kind: string): void {
    this.apps[kind] = (this.apps[kind] ?? 0) + 1;
  }

  /** The certificate chain (leaf, CA) of TLS site `i`, built once (RSA signing is slow). */
  private chain(i: number): Buffer[] {
    let c = this.chains[i];
    if (!c) {
      const ca = [['C', 'US'], ['O', 'Wirehunt Synthetic Trust'], ['CN', 'Wirehunt Synth CA 1']] as const;
      if (!this.caCert) {
        this.caCert = buildCertificate({ serial: Buffer.from([0x01, 0x5e, 0xed]), issuer: ca, subject: ca, notBefore: this.startMs - 400 * DAY_MS, notAfter: this.startMs + 3000 * DAY_MS, ca: true });
      }
      const host = `site${i}.contoso.net`;
      const serial = this.rng.fill(Buffer.alloc(16));
      serial[0] = serial[0]! & 0x7f;
      const leaf = buildCertificate({
        serial, issuer: ca, subject: [['C', 'US'], ['O', 'Contoso'], ['CN', host]],
        notBefore: this.startMs - (10 + i) * DAY_MS, notAfter: this.startMs + (80 + i) * DAY_MS, dnsNames: [host, `www.${host}`],
      });
      c = [leaf, this.caCert];
      this.chains[i] = c;
    }
    return c;
  }

  private hostKey(i: number): ReturnType<typeof ed25519FromSeed> {
    let k = this.hostKeys[i];
    if (!k) {
      k = ed25519FromSeed(this.rng.fill(Buffer.alloc(32)));
      this.hostKeys[i] = k;
    }
    return k;
  }

  /** TLS 1.2 application-data records carrying `plain` bytes (AES-GCM overhead), bodies viewed from the pool. */
  private tlsAppData(plain: number): Buffer {
    const parts: Buffer[] = [];
    for (let left = Math.max(1, Math.round(plain)); left > 0; ) {
      const n = Math.min(16384, left);
      const h = Buffer.allocUnsafe(5);
      h[0] = CT_APPDATA;
      h.writeUInt16BE(0x0303, 1);
      h.writeUInt16BE(n + 24, 3);
      parts.push(h, this.bytes(n + 24));
      left -= n;
    }
    return Buffer.concat(parts);
  }

  /** A full TLS 1.2 handshake with SNI and a certificate chain, then request/response application data. */
  private tls(r: Rng, sizes: readonly number[]): Message[] {
    const site = r.int(0, TLS_SITES - 1);
    const out: Message[] = [
      { from: 'client', data: clientHello(r, `site${site}.contoso.net`) },
      { from: 'server', data: serverFlight(r, this.chain(site)), delay: r.int(500, 8000) },
      { from: 'client', data: clientFinish(r) },
      { from: 'server', data: serverFinish(r) },
    ];
    sizes.forEach((size, i) => {
      out.push({ from: 'client', data: this.tlsAppData(r.int(200, 900)), delay: i ? r.int(1000, 200000) : 0 });
      out.push({ from: 'server', data: this.tlsAppData(size), delay: r.int(100, 30000) });
    });
    return out;
  }

  /** An SSH-2 session: banners, key exchange, password authentication (success or failures), then a shell. */
  private ssh(r: Rng, success: boolean): Message[] {
    const user = r.pick(USERS);
    const out: Message[] = [
      { from: 'server', data: Buffer.from(`${r.pick(SSH_SERVER_BANNERS)}\r\n`, 'latin1') },
      { from: 'client', data: Buffer.from(`${r.pick(SSH_CLIENT_BANNERS)}\r\n`, 'latin1') },
      { from: 'client', data: kexInit(r, CLIENT_KEX) },
      { from: 'server', data: kexInit(r, SERVER_KEX) },
      { from: 'client', data: ecdhInit(r) },
      { from: 'server', data: ecdhReplyAndNewKeys(r, this.hostKey(r.int(0, SSH_HOST_KEYS - 1))), delay: 2000 },
      { from: 'client', data: newKeys(r) },
      { from: 'client', data: encrypted(r, AUTH_SIZES.serviceRequest) },
      { from: 'server', data: encrypted(r, AUTH_SIZES.serviceAccept) },
      { from: 'client', data: encrypted(r, AUTH_SIZES.noneRequest(user)) },
      { from: 'server', data: encrypted(r, AUTH_SIZES.failure(SSH_METHODS)) },
    ];
    const tries = success ? 1 : r.int(1, 4);
    for (let i = 0; i < tries; i++) {
      out.push({ from: 'client', data: encrypted(r, AUTH_SIZES.passwordRequest(user, `pw-${r.u32().toString(36)}`)), delay: r.int(50_000, 1_500_000) });
      if (success) out.push({ from: 'server', data: encrypted(r, AUTH_SIZES.success), delay: 30000 });
      else out.push({ from: 'server', data: encrypted(r, AUTH_SIZES.failure(SSH_METHODS)), delay: r.int(1_800_000, 2_600_000) });
    }
    if (success) {
      for (let i = r.int(4, 30); i > 0; i--) {
        out.push({ from: 'client', data: encrypted(r, r.int(9, 60)), delay: r.int(100_000, 2_000_000) });
        out.push({ from: 'server', data: encrypted(r, r.int(30, 1400)), delay: r.int(2000, 30000) });
      }
    }
    return out;
  }

  /** SMB2 NEGOTIATE and SESSION_SETUP with SPNEGO/NTLMSSP, ending in STATUS_SUCCESS or STATUS_LOGON_FAILURE. */
  private smb(r: Rng, success: boolean, tUs: number): Message[] {
    const n = r.int(1, 12);
    const names: NtlmServerNames = {
      nbDomain: 'CONTOSO', nbComputer: `FS${n}`, dnsDomain: 'contoso.local', dnsComputer: `fs${n}.contoso.local`, dnsTree: 'contoso.local',
    };
    const pairs = smbNtlmLogon(r, {
      nowMs: Math.floor(tUs / 1000), serverGuid: r.fill(Buffer.alloc(16)), sessionId: (BigInt(r.u32()) << 12n) | 0x1000000000001n,
      names, domain: success ? 'CONTOSO' : r.pick(['CONTOSO', '', 'WORKGROUP']), user: r.pick(USERS),
      workstation: `WS-${r.int(1, 400)}`, success,
    });
    const out: Message[] = [];
    for (const [c, s] of pairs) {
      out.push({ from: 'client', data: c, delay: out.length ? r.int(500, 5000) : 0 });
      out.push({ from: 'server', data: s, delay: r.int(300, 3000) });
    }
    return out;
  }

  /**
   * An FTP control session in passive mode; its data connection (pushed to `extra`) opens after the 150
   * reply and ends before the 226. Times are bounded from TcpSession's pacing: a message is sent at most
   * (delay + rtt + a few µs) after the previous one; a data segment takes ≤ 16 µs at 1 Gbit/s.
   */
  private ftp(t: number, r: Rng, seed: number, cip: string, sip: string, size: number): TcpSession {
    const rtt = r.int(1000, 40000);
    const command = r.chance(0.7) ? 'RETR' : 'STOR';
    const body = this.bytes(size);
    const dataPort = r.int(40000, 50000);
    const conv = ftpConversation({
      user: r.chance(0.2) ? 'anonymous' : r.pick(USERS), password: `pw-${r.u32().toString(36)}`, command,
      file: `${command === 'RETR' ? 'pub/report' : 'upload/backup'}-${r.int(100, 99999)}.${r.pick(['pdf', 'tar.gz', 'zip', 'csv'])}`,
      size: body.length, serverIp: sip, dataPort,
    });
    const msgs: Message[] = [];
    let delays = 0;
    for (const [from, line] of conv.before) {
      const delay = from === 'client' ? r.int(5_000, 300_000) : r.int(300, 3000);
      delays += delay;
      msgs.push({ from, data: ftpLine(line), delay });
    }
    const n = conv.before.length;
    const t150 = t + rtt + delays + n * (rtt + 100);
    const dataStart = t150 + 20_000;
    const segs = Math.ceil(body.length / 1460);
    const dataSpan = 4 * rtt + 16 * segs + 1000;
    const lag = (n + 1) * (rtt + 100);
    conv.after.forEach(([from, line], i) => msgs.push({ from, data: ftpLine(line), delay: i === 0 ? 20_000 + lag + dataSpan + 50_000 : r.int(20_000, 300_000) }));
    const data: Message[] = [{ from: command === 'RETR' ? 'server' : 'client', data: body }];
    this.plan(msgs, 1, 7 * 80);
    this.plan(data, 1, 7 * 80);
    this.count('ftp');
    this.count('ftp-data');
    this.flows.tcp += 2;
    this.extra.push(new TcpSession({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: dataPort }, start: dataStart, seed: seed ^ 0x2f2f, rtt, messages: data }));
    return new TcpSession({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: 21 }, start: t, seed, rtt, messages: msgs });
  }

  /** The apps-only flows that are neither web nor DNS: FTP, SSH, SMB/NTLM. */
  private appFlow(t: number, r: Rng, seed: number, v6: boolean, cip: string, sip: string, x: number): Session {
    if (x < 0.535) {
      if (v6) { cip = this.clientIp(false); sip = this.serverIp(false); }
      return this.ftp(t, r, seed, cip, sip, Math.min(r.logNormal(9.5, 1.8), 4 << 20));
    }
    this.flows.tcp++;
    if (x < 0.55) {
      this.count('ssh');
      const messages = this.ssh(r, r.chance(0.6));
      this.plan(messages, 1, 7 * 80);
      return new TcpSession({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: 22 }, start: t, seed, rtt: r.int(1000, 80000), messages });
    }
    this.count('smb');
    const messages = this.smb(r, r.chance(0.7), t);
    this.plan(messages, 1, 7 * 80);
    return new TcpSession({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: 445 }, start: t, seed, rtt: r.int(300, 20000), messages });
  }

  /** Opaque payload: a view of the random pool (no copy). */
  private bytes(len: number): Buffer {
    const l = Math.max(1, Math.min(Math.floor(len), POOL_SIZE));
    const off = this.rng.int(0, POOL_SIZE - l);
    return this.pool.subarray(off, off + l);
  }

  private clientIp(v6: boolean): string {
    const r = this.rng;
    return v6 ? `fd00:10:${r.int(1, 8).toString(16)}::${r.int(2, 250).toString(16)}` : `10.${r.int(0, 3)}.${r.int(0, 15)}.${r.int(2, 250)}`;
  }

  private serverIp(v6: boolean): string {
    const r = this.rng;
    if (v6) return `2001:db8:${r.int(1, 40).toString(16)}::${r.int(1, 20).toString(16)}`;
    return r.pick(['93.184.216', '151.101.1', '142.250.74', '104.16.132', '13.107.42', '52.96.0', '192.168.1'])
      + `.${r.int(1, 60)}`;
  }

  private port(ip: string): number {
    let h = 0;
    for (let i = 0; i < ip.length; i++) h = (Math.imul(h, 31) + ip.charCodeAt(i)) | 0;
    const p = this.ephemeral.get(h) ?? 32768 + (h >>> 0) % 20000;
    this.ephemeral.set(h, p >= 60999 ? 32768 : p + 1);
    return p;
  }

  private http(size: number, host: string, path: string): [Buffer, Buffer] {
    const req = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) wirehunt-synth\r\n`
      + `Accept: */*\r\nConnection: keep-alive\r\n\r\n`, 'latin1');
    const body = this.bytes(size);
    const head = Buffer.from(`HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1');
    return [req, Buffer.concat([head, body])];
  }

  private dns(name: string, id: number): [Buffer, Buffer] {
    const labels = Buffer.concat([...name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
    const q = Buffer.alloc(12 + labels.length + 4);
    q.writeUInt16BE(id, 0); q.writeUInt16BE(0x0100, 2); q.writeUInt16BE(1, 4);
    labels.copy(q, 12); q.writeUInt16BE(1, 12 + labels.length); q.writeUInt16BE(1, 14 + labels.length);
    const a = Buffer.alloc(q.length + 16);
    q.copy(a); a.writeUInt16BE(0x8180, 2); a.writeUInt16BE(1, 6);
    const o = q.length;
    a.writeUInt16BE(0xc00c, o); a.writeUInt16BE(1, o + 2); a.writeUInt16BE(1, o + 4); a.writeUInt32BE(300, o + 6);
    a.writeUInt16BE(4, o + 10); a.writeUInt32BE(this.rng.u32(), o + 12);
    return [q, a];
  }

  /** A new flow starting at time `t` (µs). */
  next(t: number): Session {
    const r = this.rng;
    const seed = r.u32();
    const v6 = r.chance(0.12);
    const cip = this.clientIp(v6);
    const sip = this.serverIp(v6);
    const x = r.float();
    const s = this.make(t, r, seed, v6, cip, sip, x);
    return s;
  }

  private plan(messages: readonly Message[], perMessagePackets: number, fixed: number): void {
    let p = fixed;
    for (const m of messages) p += m.data.length + (Math.ceil(m.data.length / 1460) * 1.5 + perMessagePackets) * 80;
    this.planned += p;
  }

  private make(t: number, r: Rng, seed: number, v6: boolean, cip: string, sip: string, x: number): Session {
    if (x < 0.46) {
      // Web-like: 1–4 request/response pairs on one connection.
      this.flows.tcp++;
      const messages: Message[] = [];
      const pairs = r.chance(0.3) ? r.int(2, 4) : 1;
      const tls = this.o.apps === true && r.chance(0.5);
      if (tls) {
        const sizes: number[] = [];
        for (let i = 0; i < pairs; i++) sizes.push(Math.min(r.logNormal(8.0, 1.5), 3 << 20));
        messages.push(...this.tls(r, sizes));
        this.count('tls');
      } else if (this.o.apps) this.count('http');
      for (let i = 0; i < pairs && !tls; i++) {
        const size = Math.min(r.logNormal(8.0, 1.5), 3 << 20);
        if (this.o.apps) {
          const [req, resp] = this.http(size, `host${r.int(1, 500)}.example.com`, `/obj/${r.u32().toString(16)}`);
          messages.push({ from: 'client', data: req, delay: i ? r.int(1000, 200000) : 0 }, { from: 'server', data: resp, delay: r.int(100, 30000) });
        } else {
          messages.push({ from: 'client', data: this.bytes(r.int(180, 900)), delay: i ? r.int(1000, 200000) : 0 },
            { from: 'server', data: this.bytes(size), delay: r.int(100, 30000) });
        }
      }
      this.plan(messages, 1, 7 * 80);
      return new TcpSession({
        client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: tls ? 443 : this.o.apps ? r.pick([80, 80, 80, 8080]) : r.pick([80, 443, 443, 8080, 443]) },
        start: t, seed, rtt: r.int(2000, 120000), messages,
        close: r.chance(0.1) ? 'rst' : r.chance(0.03) ? 'none' : 'fin', closer: r.chance(0.6) ? 'client' : 'server',
        retransmitRate: r.chance(0.1) ? 0.01 : 0, lossRate: r.chance(0.02) ? 0.005 : 0,
      });
    }
    if (x < 0.465) {
      // Bulk transfer (download or upload) of 1–8 MB: in the apps mix an FTP transfer or a TLS download.
      if (this.o.apps) {
        if (v6 || r.chance(0.5)) {
          this.flows.tcp++;
          this.count('tls');
          const messages = this.tls(r, [r.int(1, 8) << 20]);
          this.plan(messages, 1, 7 * 80);
          return new TcpSession({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: 443 }, start: t, seed, rtt: r.int(1000, 60000), messages });
        }
        return this.ftp(t, r, seed, cip, sip, r.int(1, 8) << 20);
      }
      this.flows.tcp++;
      const up = r.chance(0.25);
      const messages: Message[] = [
        { from: 'client', data: this.bytes(r.int(100, 400)) },
        { from: up ? 'client' : 'server', data: this.bytes(r.int(1, 8) << 20) },
        { from: up ? 'server' : 'client', data: this.bytes(r.int(20, 200)) },
      ];
      this.plan(messages, 1, 7 * 80);
      return new TcpSession({
        client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: r.pick([22, 443, 445, 873]) },
        start: t, seed, rtt: r.int(1000, 60000), messages, retransmitRate: 0.001,
      });
    }
    if (x < 0.52) {
      this.flows.tcp++;
      this.planned += 3 * 80;
      return new TcpSession({
        client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: r.pick([22, 23, 25, 135, 139, 445, 3389, 5900, 8443]) },
        start: t, seed, messages: [], handshake: r.chance(0.5) ? 'rejected' : 'unanswered',
      });
    }
    if (this.o.apps && x < 0.56) return this.appFlow(t, r, seed, v6, cip, sip, x);
    if (x < 0.85) {
      // DNS query/answer (sometimes a retry).
      this.flows.udp++;
      if (this.o.apps) this.count('dns');
      const id = r.int(0, 0xffff);
      const [q, a] = this.o.apps
        ? this.dns(`h${r.int(1, 5000)}.${r.pick(['example.com', 'example.org', 'contoso.net', 'wirehunt.test'])}`, id)
        : [this.bytes(r.int(28, 60)), this.bytes(r.int(60, 480))];
      const messages: Message[] = [{ from: 'client', data: q }];
      if (r.chance(0.05)) messages.push({ from: 'client', data: q, delay: 1000000 });
      if (!r.chance(0.03)) messages.push({ from: 'server', data: a });
      this.plan(messages, 1, 0);
      return new UdpExchange({ client: { ip: cip, port: this.port(cip) }, server: { ip: v6 ? sip : `10.0.0.${r.int(1, 3)}`, port: 53 }, start: t, messages, seed, rtt: r.int(300, 40000) });
    }
    if (x < 0.95) {
      // Other UDP: NTP-like pairs, syslog-like one-way, or a media-like burst of mid-size datagrams.
      this.flows.udp++;
      const kind = r.int(0, 2);
      const messages: Message[] = [];
      if (kind === 0) messages.push({ from: 'client', data: this.bytes(48) }, { from: 'server', data: this.bytes(48) });
      else if (kind === 1) for (let i = r.int(1, 6); i > 0; i--) messages.push({ from: 'client', data: this.bytes(r.int(60, 400)), delay: r.int(1000, 500000) });
      else for (let i = r.int(10, 120); i > 0; i--) messages.push({ from: r.chance(0.8) ? 'server' : 'client', data: this.bytes(r.int(160, 1300)), delay: r.int(5000, 20000) });
      this.plan(messages, 1, 0);
      return new UdpExchange({ client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: [123, 514, 3478][kind]! }, start: t, messages, seed });
    }
    this.flows.icmp++;
    const count = r.int(1, 5);
    const payload = this.bytes(r.chance(0.8) ? 56 : r.int(8, 1400));
    this.planned += count * 2 * (payload.length + 58);
    return new IcmpEchoSeries({ client: { ip: cip }, server: { ip: sip }, start: t, count, reply: !r.chance(0.2), seed, payload });
  }
}

/** Writes a mixed capture to `path`; see MixOptions. */
export function generateMixedCapture(path: string, opts: MixOptions): MixResult {
  const w = PcapWriter.toFile(path);
  const gen = new MixGenerator({ seed: opts.seed, apps: opts.apps, start: opts.start });
  const rng = new Rng((opts.seed ?? 0x5eed) ^ 0x1234567);
  let firstTs = -1;
  let lastTs = 0;
  const sink = {
    writePacket(ts: number, f: Buffer, off: number, len: number): void {
      if (firstTs < 0) firstTs = ts;
      lastTs = ts;
      w.writePacket(ts, f, off, len);
    },
  };
  const sched = new Scheduler(sink);
  const meanGap = opts.meanGap ?? 400;
  let arrival = opts.start ?? Date.UTC(2026, 0, 5, 9, 0, 0) * 1000;
  try {
    // Start flows until the planned bytes reach the target, let them finish, and top up if the plan fell short.
    while (w.bytes < opts.targetBytes) {
      while (gen.planned < opts.targetBytes || (w.bytes < opts.targetBytes && sched.size === 0)) {
        if (arrival <= sched.nextTime) {
          sched.add(gen.next(arrival));
          while (gen.extra.length) sched.add(gen.extra.shift()!);
          arrival += Math.max(1, Math.round(rng.exp(meanGap)));
        } else sched.step();
      }
      sched.run();
      gen.planned = w.bytes;
      arrival = Math.max(arrival, lastTs + 1);
    }
  } finally {
    w.close();
  }
  return { packets: w.packets, bytes: w.bytes, flows: { ...gen.flows }, ...(opts.apps ? { apps: { ...gen.apps } } : {}), firstTs: firstTs / 1e6, lastTs: lastTs / 1e6 };
}
