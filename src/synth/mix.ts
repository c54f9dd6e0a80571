// A deterministic mixed capture: many concurrent flows with a realistic packet-size mix (web-like TCP
// request/response with keep-alive, bulk transfers, rejected and unanswered connection attempts, DNS and
// other UDP, ICMP echo; IPv4 and some IPv6), streamed to a pcap file of (at least) a target size.
// With `apps`, TCP/UDP payloads are real HTTP/1.1 and DNS messages instead of opaque bytes.

import { PcapWriter } from './pcap-writer.js';
import { Rng } from './rng.js';
import { Scheduler } from './scheduler.js';
import { IcmpEchoSeries, TcpSession, UdpExchange, type Message, type Session } from './sessions.js';

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
  firstTs: number;
  lastTs: number;
}

const POOL_SIZE = 8 << 20;

export class MixGenerator {
  private readonly rng: Rng;
  private readonly pool: Buffer;
  private readonly ephemeral = new Map<number, number>();
  readonly flows = { tcp: 0, udp: 0, icmp: 0 };
  /** Estimated bytes the flows started so far will write (payload plus per-packet overhead). */
  planned = 0;

  constructor(private readonly o: { seed?: number; apps?: boolean }) {
    this.rng = new Rng(o.seed ?? 0x5eed);
    this.pool = new Rng((o.seed ?? 0x5eed) ^ 0xa5a5a5a5).fill(Buffer.allocUnsafe(POOL_SIZE));
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
      for (let i = 0; i < pairs; i++) {
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
        client: { ip: cip, port: this.port(cip) }, server: { ip: sip, port: r.pick([80, 443, 443, 8080, 443]) },
        start: t, seed, rtt: r.int(2000, 120000), messages,
        close: r.chance(0.1) ? 'rst' : r.chance(0.03) ? 'none' : 'fin', closer: r.chance(0.6) ? 'client' : 'server',
        retransmitRate: r.chance(0.1) ? 0.01 : 0, lossRate: r.chance(0.02) ? 0.005 : 0,
      });
    }
    if (x < 0.465) {
      // Bulk transfer (download or upload) of 1–8 MB.
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
    if (x < 0.85) {
      // DNS query/answer (sometimes a retry).
      this.flows.udp++;
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
  const gen = new MixGenerator({ seed: opts.seed, apps: opts.apps });
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
  return { packets: w.packets, bytes: w.bytes, flows: { ...gen.flows }, firstTs: firstTs / 1e6, lastTs: lastTs / 1e6 };
}
