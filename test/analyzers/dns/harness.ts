// Test-only harness: runs one analyzer spec over a corpus pcap without the sensor pipeline
// (classic pcap, Ethernet/raw/SLL/null links, IPv4/IPv6, UDP datagrams, in-order TCP streams),
// with a fake AnalyzerContext collecting records, and renders rows as Zeek's ASCII writer does
// for comparison with the baselines (ts masked as btest does).

import { readFileSync } from 'node:fs';
import type { AnalyzerContext, AnalyzerSpec, ConnInfo, DatagramAnalyzer, StreamAnalyzer, TransportProto } from '../../../src/analyzers/types.js';
import type { LogSchema, ZeekRecord } from '../../../src/zeek/types.js';
import { ipv4Text, ipv6Text } from '../../../src/analyzers/dns/addr.js';

export const SHARED = new URL('../../../../../shared/', import.meta.url);
export const corpusDir = (sub: string): URL => new URL(`corpus/zeek/${sub}/`, SHARED);

const UIDS: string[] = readFileSync(new URL('corpus/zeek/uid-sequence.txt', SHARED), 'utf8')
  .split('\n').filter((l) => /^\d+\t/.test(l)).map((l) => l.split('\t')[1]!);

export interface Written { schema: LogSchema; rec: ZeekRecord }

export class FakeCtx implements AnalyzerContext {
  t = 0;
  records: Written[] = [];
  weirds: string[] = [];
  confirmed: string[] = [];
  violations: string[] = [];
  expected: { origH: string | undefined; respH: string; respP: number; analyzer: string }[] = [];
  services = new Map<string, unknown>();
  constructor(public conn: ConnInfo, private readonly sinkRecords?: Written[]) {}
  now(): number { return this.t; }
  write(schema: LogSchema, rec: ZeekRecord): void { (this.sinkRecords ?? this.records).push({ schema, rec }); }
  weird(name: string, addl?: string): void { this.weirds.push(addl ? `${name}:${addl}` : name); }
  confirm(service?: string): void { this.confirmed.push(service ?? ''); }
  violation(reason: string): void { this.violations.push(reason); }
  expectConnection(origH: string | undefined, respH: string, respP: number, _proto: TransportProto, analyzer: string): void {
    this.expected.push({ origH, respH, respP, analyzer });
  }
  startChild(_analyzer: string): StreamAnalyzer | undefined { return undefined; }
  service<T>(name: string): T | undefined { return this.services.get(name) as T | undefined; }
}

export function fakeConn(p: Partial<ConnInfo> = {}): ConnInfo {
  return {
    uid: 'CHhAvVGS1DHFjwGM9', origH: '10.0.0.1', origP: 1234, respH: '10.0.0.2', respP: 53, proto: 'udp',
    startTime: 0, localOrig: true, localResp: true, tunnelParents: [], ...p,
  };
}

interface Dir { next: number; init: boolean; pending: Map<number, Buffer>; fin: boolean }
interface Flow {
  key: string; conn: ConnInfo; ctx: FakeCtx; an: (StreamAnalyzer & DatagramAnalyzer) | undefined;
  dirs: [Dir, Dir];
  /** Removal time of a closed TCP connection (Zeek's tcp_close_delay after both sides closed). */
  removeAt?: number;
  removed?: boolean;
}

/** Runs `specs` (first matching by port, or all with detect for TCP) over the pcap; returns records in write order. */
export function runPcap(path: string | URL, specs: AnalyzerSpec[], opts: { attachAll?: boolean; ignoreChecksums?: boolean; services?: Record<string, unknown> } = {}): { records: Written[]; flows: Flow[] } {
  const buf = readFileSync(path);
  const records: Written[] = [];
  const flows = new Map<string, Flow>();
  const order: Flow[] = [];
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const r32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = r32(20);
  let off = 24;
  const expectations: { respH: string; respP: number; analyzer: string }[] = [];
  while (off + 16 <= buf.length) {
    const ts = r32(off) + r32(off + 4) / (nano ? 1e9 : 1e6);
    const cap = r32(off + 8);
    const p = off + 16;
    off = p + cap;
    if (off > buf.length) break;
    let l3 = p, et = 0;
    if (link === 1) { et = buf.readUInt16BE(p + 12); l3 = p + 14; while (et === 0x8100) { et = buf.readUInt16BE(l3 + 2); l3 += 4; } }
    else if (link === 113) { et = buf.readUInt16BE(p + 14); l3 = p + 16; }
    else if (link === 0) { const af = buf.readUInt32LE(p); et = af === 2 ? 0x800 : 0x86dd; l3 = p + 4; }
    else if (link === 101 || link === 12 || link === 228 || link === 229 || link === 14) { et = (buf[p]! >> 4) === 4 ? 0x800 : 0x86dd; }
    else continue;
    let src: string, dst: string, proto: number, l4: number, l4end: number;
    if (et === 0x800) {
      const ihl = (buf[l3]! & 15) * 4;
      proto = buf[l3 + 9]!;
      src = ipv4Text(buf, l3 + 12); dst = ipv4Text(buf, l3 + 16);
      l4 = l3 + ihl; l4end = Math.min(off, l3 + buf.readUInt16BE(l3 + 2));
    } else if (et === 0x86dd) {
      proto = buf[l3 + 6]!;
      src = ipv6Text(buf, l3 + 8); dst = ipv6Text(buf, l3 + 24);
      l4 = l3 + 40; l4end = Math.min(off, l4 + buf.readUInt16BE(l3 + 4));
    } else continue;
    if (proto !== 6 && proto !== 17) continue;
    if (!opts.ignoreChecksums && !checksumOk(buf, et === 0x800, l3, l4, l4end, proto)) continue;
    const sp = buf.readUInt16BE(l4), dp = buf.readUInt16BE(l4 + 2);
    const k1 = `${proto}|${src}|${sp}|${dst}|${dp}`, k2 = `${proto}|${dst}|${dp}|${src}|${sp}`;
    let f = flows.get(k1);
    let isOrig = true;
    if (!f) { f = flows.get(k2); isOrig = false; }
    const flags = proto === 6 ? buf[l4 + 13]! : 0;
    if (!f) {
      // Zeek: a SYN-ACK first makes the responder the originator's peer (flip on SYN-ACK).
      let oh = src, op = sp, rh = dst, rp = dp;
      isOrig = true;
      if (proto === 6 && (flags & 0x12) === 0x12) { oh = dst; op = dp; rh = src; rp = sp; isOrig = false; }
      const likely = (x: number): boolean => specs.some((sp2) => sp2.transport === 'udp' && sp2.ports.includes(x));
      if (proto === 17 && likely(sp) && !likely(dp)) { oh = dst; op = dp; rh = src; rp = sp; isOrig = false; }
      const conn: ConnInfo = {
        uid: UIDS[order.length] ?? `C${order.length}`, origH: oh, origP: op, respH: rh, respP: rp,
        proto: proto === 6 ? 'tcp' : 'udp', startTime: ts, localOrig: true, localResp: true, tunnelParents: [],
      };
      const ctx = new FakeCtx(conn, records);
      ctx.t = ts;
      for (const [k, v] of Object.entries(opts.services ?? {})) ctx.services.set(k, v);
      const key = `${proto}|${oh}|${op}|${rh}|${rp}`;
      f = { key, conn, ctx, an: undefined, dirs: [{ next: 0, init: false, pending: new Map(), fin: false }, { next: 0, init: false, pending: new Map(), fin: false }] };
      const tr = proto === 6 ? 'tcp' : 'udp';
      const exp = expectations.findIndex((e) => e.respH === rh && e.respP === rp);
      let spec: AnalyzerSpec | undefined;
      if (exp >= 0) { spec = specs.find((s) => s.name === expectations[exp]!.analyzer); expectations.splice(exp, 1); }
      spec ??= specs.find((s) => s.transport === tr && (s.ports.includes(rp) || opts.attachAll));
      if (spec) f.an = spec.create(ctx) as StreamAnalyzer & DatagramAnalyzer;
      flows.set(key, f);
      order.push(f);
    }
    for (const g of order) {
      if (g.removeAt !== undefined && !g.removed && ts >= g.removeAt) { g.removed = true; g.ctx.t = ts; g.an?.done?.(); }
    }
    f.ctx.t = ts;
    const an = f.an;
    if (!an) continue;
    if (proto === 17) {
      an.deliverPacket(isOrig, buf, l4 + 8, Math.max(0, l4end - l4 - 8));
    } else {
      const hl = (buf[l4 + 12]! >> 4) * 4;
      const seq = buf.readUInt32BE(l4 + 4);
      const d = f.dirs[isOrig ? 0 : 1];
      const payload = buf.subarray(l4 + hl, l4end);
      if (flags & 0x02) { d.next = (seq + 1) >>> 0; d.init = true; }
      else if (!d.init) { d.next = seq; d.init = true; }
      if (payload.length > 0) {
        const s = (flags & 0x02) ? (seq + 1) >>> 0 : seq;
        d.pending.set(s, Buffer.from(payload));
        for (;;) {
          let progressed = false;
          for (const [ps, pb] of d.pending) {
            const delta = (d.next - ps) | 0;
            if (delta >= 0 && delta < pb.length) {
              an.deliverStream(isOrig, pb, delta, pb.length - delta);
              d.next = (ps + pb.length) >>> 0;
              d.pending.delete(ps); progressed = true; break;
            } else if (delta >= pb.length) { d.pending.delete(ps); progressed = true; break; }
          }
          if (!progressed) break;
        }
      }
      if ((flags & 0x05) && !d.fin) { d.fin = true; an.endOfData?.(isOrig); }
      if (f.removeAt === undefined && ((flags & 0x04) || (f.dirs[0].fin && f.dirs[1].fin))) f.removeAt = ts + 5;
    }
    for (const e of f.ctx.expected) expectations.push({ respH: e.respH, respP: e.respP, analyzer: e.analyzer });
    f.ctx.expected.length = 0;
  }
  for (const f of order) if (!f.removed) f.an?.done?.();
  return { records, flows: order };
}

function checksumOk(buf: Buffer, v4: boolean, l3: number, l4: number, end: number, proto: number): boolean {
  if (proto === 17 && v4 && buf.readUInt16BE(l4 + 6) === 0) return true;
  let sum = 0;
  const add = (o: number, n: number): void => {
    for (let i = 0; i + 1 < n; i += 2) sum += buf.readUInt16BE(o + i);
    if (n & 1) sum += buf[o + n - 1]! << 8;
  };
  if (v4) add(l3 + 12, 8); else add(l3 + 8, 32);
  sum += proto + (end - l4);
  add(l4, end - l4);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

function esc(s: string): string {
  let o = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) o += '\\\\';
    else if (c < 0x20 || c > 0x7e) o += '\\x' + c.toString(16).padStart(2, '0');
    else o += s[i];
  }
  return o;
}

/** One record as an ASCII log line (ts masked). */
export function renderRow(schema: LogSchema, rec: ZeekRecord): string {
  return schema.fields.map((f, i) => {
    const v = rec[f.name];
    if (i === 0 && f.name === 'ts') return 'XXXXXXXXXX.XXXXXX';
    if (v === undefined) return '-';
    if (Array.isArray(v)) {
      if (v.length === 0) return '(empty)';
      return v.map((x) => (typeof x === 'number' ? (f.type.includes('interval') ? x.toFixed(6) : String(x)) : esc(x))).join(',');
    }
    if (typeof v === 'boolean') return v ? 'T' : 'F';
    if (typeof v === 'number') return f.type === 'time' || f.type === 'interval' ? v.toFixed(6) : f.type === 'double' ? String(v) : String(v);
    if (v === '') return '(empty)';
    return esc(v as string);
  }).join('\t');
}

/** Baseline data rows of a log (btest banner and # lines dropped). */
export function baselineRows(path: string | URL): { fields: string[]; rows: string[] } {
  const lines = readFileSync(path, 'latin1').split('\n');
  let fields: string[] = [];
  const rows: string[] = [];
  for (const l of lines) {
    if (!l || l.startsWith('###')) continue;
    if (l.startsWith('#fields\t')) { fields = l.split('\t').slice(1); continue; }
    if (l.startsWith('#')) continue;
    rows.push(l);
  }
  return { fields, rows };
}

/** Whether the corpus case ran Zeek with -C. */
export function caseIgnoresChecksums(caseDir: URL): boolean {
  const j = JSON.parse(readFileSync(new URL('case.json', caseDir), 'utf8')) as { zeek_cmd: string };
  return / -C|-Cr /.test(j.zeek_cmd);
}
