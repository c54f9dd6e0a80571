// Test-only harness: reads a pcap/pcapng, follows TCP/UDP conversations with a simple in-order
// reassembler and drives analyzers through a fake AnalyzerContext, so that the analyzers can be
// checked against Zeek's baselines independently of the sensor pipeline.
import { readFileSync } from 'node:fs';
import type { AnalyzerContext, AnalyzerSpec, ConnInfo, DatagramAnalyzer, StreamAnalyzer } from '../../../src/analyzers/types.js';
import type { LogSchema, ZeekRecord } from '../../../src/zeek/types.js';

export interface Written {
  path: string;
  rec: ZeekRecord;
}

export class FakeCtx implements AnalyzerContext {
  t = 0;
  written: Written[] = [];
  weirds: string[] = [];
  confirmed: string[] = [];
  violations: string[] = [];
  services = new Map<string, unknown>();
  constructor(readonly conn: ConnInfo, readonly sink?: Written[]) {}
  now(): number {
    return this.t;
  }
  write(schema: LogSchema, rec: ZeekRecord): void {
    const w = { path: schema.path, rec };
    this.written.push(w);
    this.sink?.push(w);
  }
  weird(name: string): void {
    this.weirds.push(name);
  }
  confirm(service?: string): void {
    if (service) this.confirmed.push(service);
  }
  violation(reason: string): void {
    this.violations.push(reason);
  }
  expectConnection(): void {}
  startChild(): StreamAnalyzer | undefined {
    return undefined;
  }
  service<T>(name: string): T | undefined {
    return this.services.get(name) as T | undefined;
  }
}

export function fakeConn(over: Partial<ConnInfo> = {}): ConnInfo {
  return {
    uid: 'CTEST',
    origH: '10.0.0.1',
    origP: 40000,
    respH: '192.0.2.10',
    respP: 443,
    proto: 'tcp',
    startTime: 0,
    localOrig: true,
    localResp: true,
    tunnelParents: [],
    ...over,
  };
}

interface Pkt {
  ts: number;
  link: number;
  data: Buffer;
}

function* readPackets(file: string): Generator<Pkt> {
  const b = readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic === 0x0a0d0d0a) {
    let off = 0;
    const links: number[] = [];
    let le = true;
    while (off + 12 <= b.length) {
      const type = le ? b.readUInt32LE(off) : b.readUInt32BE(off);
      if (type === 0x0a0d0d0a) le = b.readUInt32LE(off + 8) === 0x1a2b3c4d;
      const len = le ? b.readUInt32LE(off + 4) : b.readUInt32BE(off + 4);
      if (len < 12) break;
      const rd = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
      if (type === 1) links.push(le ? b.readUInt16LE(off + 8) : b.readUInt16BE(off + 8));
      else if (type === 6) {
        const ifc = rd(off + 8);
        const ts = (rd(off + 12) * 2 ** 32 + rd(off + 16)) / 1e6;
        const cap = rd(off + 20);
        yield { ts, link: links[ifc] ?? 1, data: b.subarray(off + 28, off + 28 + cap) };
      } else if (type === 3) {
        yield { ts: 0, link: links[0] ?? 1, data: b.subarray(off + 16, off + len - 4) };
      }
      off += len;
    }
    return;
  }
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const rd = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const link = rd(20);
  let off = 24;
  while (off + 16 <= b.length) {
    const ts = rd(off) + rd(off + 4) / (nano ? 1e9 : 1e6);
    const cap = rd(off + 8);
    yield { ts, link, data: b.subarray(off + 16, off + 16 + cap) };
    off += 16 + cap;
  }
}

function ipStr(b: Buffer, off: number, v6: boolean): string {
  if (!v6) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(b.readUInt16BE(off + i * 2).toString(16));
  // compress longest zero run
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (parts[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return parts.slice(0, best).join(':') + '::' + parts.slice(best + bestLen).join(':');
}

function isPrivate(a: string): boolean {
  return /^(10\.|192\.168\.|127\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|fe80:|fc|fd)/.test(a);
}

interface Dir {
  next: number | undefined;
  pending: Map<number, Buffer>;
  fin: boolean;
}

interface Conn {
  ctx: FakeCtx;
  an: (StreamAnalyzer | DatagramAnalyzer)[];
  origH: string;
  origP: number;
  dirs: [Dir, Dir];
}

export interface RunOptions {
  /** Called to pick analyzers for a connection; default: the spec whose port matches or detect() says yes. */
  specs: AnalyzerSpec[];
  services?: Map<string, unknown>;
}

/** Runs the analyzers over the capture and returns every record written, in order. */
export function runPcap(file: string, opts: RunOptions): { written: Written[]; ctxs: FakeCtx[] } {
  const written: Written[] = [];
  const conns = new Map<string, Conn>();
  const ctxs: FakeCtx[] = [];
  let n = 0;
  for (const p of readPackets(file)) {
    let d = p.data;
    let off = 0;
    let etype = 0;
    if (p.link === 1) {
      etype = d.readUInt16BE(12);
      off = 14;
      while (etype === 0x8100 || etype === 0x88a8) {
        etype = d.readUInt16BE(off + 2);
        off += 4;
      }
    } else if (p.link === 113) {
      etype = d.readUInt16BE(14);
      off = 16;
    } else if (p.link === 0 || p.link === 108) {
      const fam = d.readUInt32LE(0);
      etype = fam === 2 ? 0x800 : 0x86dd;
      off = 4;
    } else if (p.link === 101 || p.link === 12) {
      etype = (d[0]! >> 4) === 6 ? 0x86dd : 0x800;
    } else continue;
    let src: string, dst: string, proto: number, l4: number, l4end: number;
    if (etype === 0x800) {
      const ihl = (d[off]! & 15) * 4;
      const tot = d.readUInt16BE(off + 2);
      proto = d[off + 9]!;
      src = ipStr(d, off + 12, false);
      dst = ipStr(d, off + 16, false);
      l4 = off + ihl;
      l4end = Math.min(d.length, off + tot);
    } else if (etype === 0x86dd) {
      proto = d[off + 6]!;
      src = ipStr(d, off + 8, true);
      dst = ipStr(d, off + 24, true);
      l4 = off + 40;
      l4end = Math.min(d.length, l4 + d.readUInt16BE(off + 4));
    } else continue;
    if (proto !== 6 && proto !== 17) continue;
    const sp = d.readUInt16BE(l4);
    const dp = d.readUInt16BE(l4 + 2);
    const k1 = `${src}|${sp}|${dst}|${dp}|${proto}`;
    const k2 = `${dst}|${dp}|${src}|${sp}|${proto}`;
    let c = conns.get(k1) ?? conns.get(k2);
    let flags = 0;
    if (proto === 6) flags = d[l4 + 13]!;
    if (!c) {
      let origH = src, origP = sp, respH = dst, respP = dp;
      if (proto === 6 && (flags & 0x12) === 0x12) { origH = dst; origP = dp; respH = src; respP = sp; }
      const conn: ConnInfo = {
        uid: `C${n++}`, origH, origP, respH, respP, proto: proto === 6 ? 'tcp' : 'udp', startTime: p.ts,
        localOrig: isPrivate(origH), localResp: isPrivate(respH), tunnelParents: [],
      };
      const ctx = new FakeCtx(conn, written);
      if (opts.services) ctx.services = opts.services;
      ctx.t = p.ts;
      ctxs.push(ctx);
      c = { ctx, an: [], origH, origP, dirs: [{ next: undefined, pending: new Map(), fin: false }, { next: undefined, pending: new Map(), fin: false }] };
      for (const s of opts.specs) {
        if (s.transport !== (proto === 6 ? 'tcp' : 'udp')) continue;
        if (s.ports.includes(respP) || s.ports.includes(origP)) c.an.push(s.create(ctx));
      }
      (c as Conn & { detectPending: boolean }).detectPending = c.an.length === 0;
      conns.set(`${origH}|${origP}|${respH}|${respP}|${proto}`, c);
    }
    c.ctx.t = p.ts;
    const isOrig = src === c.origH && sp === c.origP;
    if (proto === 17) {
      const pl = d.subarray(l4 + 8, l4end);
      maybeDetect(c, opts, isOrig, pl);
      for (const a of c.an) if ('deliverPacket' in a) a.deliverPacket(isOrig, pl, 0, pl.length);
      continue;
    }
    const doff = (d[l4 + 12]! >> 4) * 4;
    let seq = d.readUInt32BE(l4 + 4);
    let pl = d.subarray(l4 + doff, l4end);
    const dir = c.dirs[isOrig ? 0 : 1];
    if (flags & 0x02) {
      dir.next = (seq + 1) >>> 0;
      seq = (seq + 1) >>> 0;
    }
    if (pl.length > 0) {
      if (dir.next === undefined) dir.next = seq;
      const rel = (seq - dir.next) | 0;
      if (rel < 0) {
        if (-rel >= pl.length) continue;
        pl = pl.subarray(-rel);
        seq = dir.next;
      }
      if (seq !== dir.next) {
        dir.pending.set(seq, Buffer.from(pl));
        continue;
      }
      deliver(c, opts, isOrig, pl);
      dir.next = (dir.next + pl.length) >>> 0;
      for (;;) {
        let found = false;
        for (const [s, buf] of dir.pending) {
          const r: number = (s - (dir.next as number)) | 0;
          if (r <= 0) {
            dir.pending.delete(s);
            if (-r < buf.length) {
              deliver(c, opts, isOrig, buf.subarray(-r));
              dir.next = (dir.next + buf.length + r) >>> 0;
            }
            found = true;
            break;
          }
        }
        if (!found) break;
      }
    }
    if (flags & 0x05 && !dir.fin) {
      dir.fin = true;
      for (const a of c.an) if ('endOfData' in a && a.endOfData) a.endOfData(isOrig);
    }
  }
  for (const c of conns.values()) for (const a of c.an) a.done?.();
  return { written, ctxs };
}

const prefixes = new WeakMap<Conn, [Buffer, Buffer]>();
function maybeDetect(c: Conn, opts: RunOptions, isOrig: boolean, pl: Buffer): void {
  const cc = c as Conn & { detectPending: boolean };
  if (!cc.detectPending) return;
  let p = prefixes.get(c);
  if (!p) { p = [Buffer.alloc(0), Buffer.alloc(0)]; prefixes.set(c, p); }
  const i = isOrig ? 0 : 1;
  if (p[i]!.length < 1024) p[i] = Buffer.concat([p[i]!, pl]).subarray(0, 1024);
  for (const s of opts.specs) {
    if (s.transport !== c.ctx.conn.proto) continue;
    if (s.detect && s.detect(p[0]!.length ? p[0] : undefined, p[1]!.length ? p[1] : undefined)) {
      cc.detectPending = false;
      const a = s.create(c.ctx);
      c.an.push(a);
      // replay what we have seen so far
      if (c.ctx.conn.proto === 'tcp') {
        if (p[0]!.length) (a as StreamAnalyzer).deliverStream(true, p[0]!, 0, p[0]!.length);
        if (p[1]!.length) (a as StreamAnalyzer).deliverStream(false, p[1]!, 0, p[1]!.length);
      }
      return;
    }
  }
}

function deliver(c: Conn, opts: RunOptions, isOrig: boolean, pl: Buffer): void {
  const cc = c as Conn & { detectPending: boolean };
  if (cc.detectPending) {
    maybeDetect(c, opts, isOrig, pl);
    return;
  }
  for (const a of c.an) if ('deliverStream' in a) a.deliverStream(isOrig, pl, 0, pl.length);
}

/** Reads a Zeek baseline (ASCII or zeek-cut -m) into field-keyed rows. */
export function readBaseline(file: string): { fields: string[]; rows: Record<string, string>[] } {
  const lines = readFileSync(file, 'latin1').split('\n').filter((l) => l && !l.startsWith('### '));
  let fields: string[] | undefined;
  const rows: Record<string, string>[] = [];
  for (const l of lines) {
    if (l.startsWith('#fields\t')) { fields = l.split('\t').slice(1); continue; }
    if (l.startsWith('#')) continue;
    if (!fields) { fields = l.split('\t'); continue; }
    const v = l.split('\t');
    const r: Record<string, string> = {};
    fields.forEach((f, i) => (r[f] = v[i]!));
    rows.push(r);
  }
  return { fields: fields ?? [], rows };
}

/** Formats a value as Zeek's ASCII writer would (enough for comparisons in tests). */
export function fmt(v: unknown, type: string): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'number') return type === 'time' || type === 'interval' || type === 'double' ? v.toFixed(6) : String(v);
  if (Array.isArray(v)) return v.length === 0 ? '(empty)' : v.map((x) => fmt(x, '')).join(',');
  const s = String(v);
  if (s === '') return '(empty)';
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    out += ch < 0x20 || ch > 0x7e || ch === 0x5c ? '\\x' + ch.toString(16).padStart(2, '0') : s[i];
  }
  return out;
}

export const corpusDir = new URL('../../../../../shared/corpus/zeek/', import.meta.url).pathname;
