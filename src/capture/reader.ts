// Streaming pcap / pcapng reader. One buffer (CHUNK bytes) is filled by large reads; packets are
// handed out as views into it through one reused RawPacket. When a record straddles the end of the
// buffer, only that partial record is moved to the front before the next read, so the copying is
// bounded by one record per chunk (linear overall).
//
// Timestamps follow what Zeek sees through libpcap opened at microsecond precision: nanosecond
// (and other pcapng resolutions) are truncated to whole microseconds, and ts = sec + usec / 1e6.

import type { ByteSource } from './bytesource.js';
import { CaptureError, type CaptureStats, type PacketSource, type RawPacket } from './types.js';

/** Read size and buffer capacity. */
export const CHUNK = 4 << 20;
/** Largest caplen accepted; anything larger means a corrupt file (libpcap's own limit is 256 KiB). */
export const MAX_CAPLEN = 256 * 1024;
/** Most interfaces we track per pcapng section. */
const MAX_INTERFACES = 65536;

const PCAP_USEC = 0xa1b2c3d4;
const PCAP_NSEC = 0xa1b23c4d;
const PCAP_USEC_SWAPPED = 0xd4c3b2a1;
const PCAP_NSEC_SWAPPED = 0x4d3cb2a1;
/** Alexey Kuznetsov's modified pcap: 24-byte record headers (ifindex, protocol, packet type). */
const PCAP_KUZNETZOV = 0xa1b2cd34;
const PCAP_KUZNETZOV_SWAPPED = 0x34cdb2a1;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;
const PCAPNG_BOM_SWAPPED = 0x4d3c2b1a;

const BT_IDB = 1;
const BT_PB = 2; // obsolete Packet Block
const BT_SPB = 3;
const BT_EPB = 6;

const enum Fmt { Unknown, Pcap, Pcapng }

function u32le(b: Buffer, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}
function u32be(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function u16le(b: Buffer, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function u16be(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Per-interface timestamp conversion (pcapng). */
interface Iface {
  linkType: number;
  snapLen: number;
  /** Timestamp units per second (10^n or 2^n). */
  unitsPerSec: number;
  /** if_tsoffset, seconds. */
  tsOffset: number;
}

/**
 * Hands the reader a fresh buffer of at least CHUNK bytes to continue in. The reader never writes over
 * bytes of a frame it has delivered: with a supplier, instead of moving a partial record to the front of
 * its buffer it copies it into the next buffer, so every frame stays where it was delivered until the
 * supplier is called again (then the previous buffer is the caller's to recycle).
 */
export type BufferSupplier = () => Buffer | Promise<Buffer>;

export class CaptureReader implements PacketSource {
  private buf: Buffer;
  private start = 0;
  private end = 0;
  private eof = false;
  private stopped = false;
  private running = false;
  private readonly pkt: RawPacket;
  readonly stats: CaptureStats = { packets: 0, bytes: 0, truncated: false, warnings: [] };
  /** The detected format, for callers that want to know ("pcap" / "pcapng"). */
  format: 'pcap' | 'pcapng' | undefined;

  // pcapng section state
  private le = true;
  private ifaces: Iface[] = [];
  private warnedNoIface = false;
  /** Bytes of an oversized non-packet block still to discard. */
  private skip = 0;

  /** Out-parameters of tsToSeconds (avoids allocating a pair per packet). */
  private tsSec = 0;
  private tsUsec = 0;

  constructor(private readonly src: ByteSource, private readonly supplier?: BufferSupplier) {
    this.buf = supplier ? Buffer.alloc(0) : Buffer.allocUnsafe(CHUNK);
    this.pkt = { ts: 0, linkType: 0, interfaceId: 0, wireLen: 0, data: this.buf, offset: 0, capLen: 0 };
  }

  stop(): void {
    this.stopped = true;
  }

  async run(onPacket: (pkt: RawPacket) => void): Promise<CaptureStats> {
    if (this.running) throw new CaptureError(`${this.src.name}: capture is already being read`);
    this.running = true;
    try {
      if (this.supplier) this.buf = await this.supplier();
      await this.fill(4);
      const avail = this.end - this.start;
      if (avail < 4) {
        if (avail === 0) throw new CaptureError(`${this.src.name}: empty file, not a pcap or pcapng file`);
        throw new CaptureError(`${this.src.name}: not a pcap or pcapng file (only ${avail} bytes)`);
      }
      const magic = u32be(this.buf, this.start);
      let fmt = Fmt.Unknown;
      if (magic === PCAP_USEC || magic === PCAP_NSEC || magic === PCAP_USEC_SWAPPED || magic === PCAP_NSEC_SWAPPED ||
        magic === PCAP_KUZNETZOV || magic === PCAP_KUZNETZOV_SWAPPED) fmt = Fmt.Pcap;
      else if (magic === PCAPNG_SHB) fmt = Fmt.Pcapng;
      if (fmt === Fmt.Unknown) {
        throw new CaptureError(`${this.src.name}: not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
      }
      if (fmt === Fmt.Pcap) {
        this.format = 'pcap';
        await this.runPcap(onPacket);
      } else {
        this.format = 'pcapng';
        await this.runPcapng(onPacket);
      }
      return this.stats;
    } finally {
      await this.src.close();
    }
  }

  private warn(msg: string): void {
    if (this.stats.warnings.length < 100) this.stats.warnings.push(`${this.src.name}: ${msg}`);
  }

  private markTruncated(what: string): void {
    this.stats.truncated = true;
    this.warn(`truncated file: ${what} cut short after ${this.stats.packets} packets`);
  }

  /**
   * Makes at least `n` bytes available at buf[start..] unless the input ends first (n ≤ CHUNK).
   * Moves the unconsumed tail to the front of the buffer when it would not fit.
   */
  private async fill(n: number): Promise<void> {
    while (this.end - this.start < n && !this.eof) {
      if (this.start > 0 && (this.start + n > this.buf.length || this.end === this.buf.length)) {
        if (this.supplier) {
          const next = await this.supplier();
          this.buf.copy(next, 0, this.start, this.end);
          this.buf = next;
        } else this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      const got = await this.src.read(this.buf, this.end, this.buf.length - this.end);
      if (got === 0) this.eof = true;
      else this.end += got;
    }
  }

  /** Discards this.skip bytes (an oversized block we do not interpret). Returns false at EOF. */
  private async discard(): Promise<boolean> {
    while (this.skip > 0) {
      const avail = this.end - this.start;
      if (avail === 0) {
        if (this.eof) return false;
        this.start = this.end = 0;
        if (this.supplier) this.buf = await this.supplier();
        const got = await this.src.read(this.buf, 0, this.buf.length);
        if (got === 0) { this.eof = true; return false; }
        this.end = got;
        continue;
      }
      const take = avail < this.skip ? avail : this.skip;
      this.start += take;
      this.skip -= take;
    }
    return true;
  }

  // ---------------------------------------------------------------- pcap

  private async runPcap(onPacket: (pkt: RawPacket) => void): Promise<void> {
    await this.fill(24);
    const buf0 = this.buf;
    if (this.end - this.start < 24) {
      this.markTruncated('pcap file header');
      return;
    }
    const s = this.start;
    const magic = u32be(buf0, s);
    const le = magic === PCAP_USEC_SWAPPED || magic === PCAP_NSEC_SWAPPED || magic === PCAP_KUZNETZOV_SWAPPED;
    const nsec = magic === PCAP_NSEC || magic === PCAP_NSEC_SWAPPED;
    const rh = magic === PCAP_KUZNETZOV || magic === PCAP_KUZNETZOV_SWAPPED ? 24 : 16; // record header size
    const rd32 = le ? u32le : u32be;
    const linkType = rd32(buf0, s + 20) & 0xffff; // upper bits: FCS length flags
    // As libpcap: a record longer than the file's snaplen delivers snaplen bytes (the rest is skipped).
    let snapLen = rd32(buf0, s + 16);
    if (snapLen === 0 || snapLen > MAX_CAPLEN) snapLen = MAX_CAPLEN;
    this.start += 24;
    const pkt = this.pkt;
    pkt.linkType = linkType;
    pkt.interfaceId = 0;
    const stats = this.stats;

    for (;;) {
      const buf = this.buf;
      pkt.data = buf;
      let p = this.start;
      const end = this.end;
      while (end - p >= rh) {
        const capLen = rd32(buf, p + 8);
        if (capLen > MAX_CAPLEN) {
          this.start = p;
          this.warn(`record ${stats.packets + 1} has an absurd captured length (${capLen} bytes); stopped reading this file`);
          return;
        }
        if (end - p - rh < capLen) break;
        const sec = rd32(buf, p);
        pkt.capLen = capLen > snapLen ? snapLen : capLen;
        let frac = rd32(buf, p + 4);
        if (nsec) frac = Math.floor(frac / 1000);
        pkt.ts = sec + frac / 1e6;
        pkt.wireLen = rd32(buf, p + 12);
        pkt.offset = p + rh;
        p += rh + capLen;
        this.start = p;
        stats.packets++;
        stats.bytes += pkt.capLen;
        onPacket(pkt);
        if (this.stopped) return;
      }
      this.start = p;
      if (this.eof) {
        if (this.end > this.start) this.markTruncated('last record');
        return;
      }
      const need = end - p >= rh ? rh + rd32(buf, p + 8) : rh;
      await this.fill(need);
      if (this.end - this.start < need) {
        if (this.end > this.start) this.markTruncated('last record');
        return;
      }
    }
  }

  // ---------------------------------------------------------------- pcapng

  private async runPcapng(onPacket: (pkt: RawPacket) => void): Promise<void> {
    const stats = this.stats;
    for (;;) {
      const buf = this.buf;
      let p = this.start;
      const end = this.end;
      let need = 12;
      while (end - p >= 12) {
        let type = this.le ? u32le(buf, p) : u32be(buf, p);
        if (type === PCAPNG_SHB) {
          const bom = u32le(buf, p + 8);
          if (bom === PCAPNG_BOM) this.le = true;
          else if (bom === PCAPNG_BOM_SWAPPED) this.le = false;
          else {
            this.start = p;
            this.warn(`section header block with a bad byte-order magic (0x${bom.toString(16)}); stopped reading this file`);
            return;
          }
          type = PCAPNG_SHB;
        }
        const le = this.le;
        const len = le ? u32le(buf, p + 4) : u32be(buf, p + 4);
        if (len < 12 || (len & 3) !== 0) {
          this.start = p;
          this.warn(`block of type 0x${type.toString(16)} has an invalid length (${len}); stopped reading this file`);
          return;
        }
        if (len > buf.length - 64) {
          if (type === BT_EPB || type === BT_SPB || type === BT_PB || type === PCAPNG_SHB || type === BT_IDB) {
            this.start = p;
            this.warn(`block of type 0x${type.toString(16)} has an absurd length (${len} bytes); stopped reading this file`);
            return;
          }
          // An oversized block we would skip anyway (custom, name resolution, statistics…): discard it.
          this.start = p;
          this.skip = len;
          need = 0;
          break;
        }
        if (end - p < len) { need = len; break; }

        if (type === BT_EPB || type === BT_PB || type === BT_SPB) {
          const r = this.packetBlock(buf, p, len, type, le);
          if (r < 0) { this.start = p; return; }
          p += len;
          this.start = p;
          if (r > 0) {
            stats.packets++;
            stats.bytes += this.pkt.capLen;
            onPacket(this.pkt);
            if (this.stopped) return;
          }
          continue;
        }
        if (type === PCAPNG_SHB) {
          if (len < 28) {
            this.start = p;
            this.warn(`section header block too short (${len} bytes); stopped reading this file`);
            return;
          }
          const major = le ? u16le(buf, p + 12) : u16be(buf, p + 12);
          if (major !== 1) {
            this.start = p;
            this.warn(`unsupported pcapng version ${major}; stopped reading this file`);
            return;
          }
          this.ifaces.length = 0;
        } else if (type === BT_IDB) {
          if (!this.interfaceBlock(buf, p, len, le)) { this.start = p; return; }
        }
        // Other blocks (name resolution, statistics, custom, systemd journal, decryption secrets…) are skipped.
        p += len;
        this.start = p;
      }
      this.start = p;
      if (this.skip > 0) {
        if (!(await this.discard())) { this.markTruncated('block'); return; }
        continue;
      }
      if (this.eof) {
        if (this.end > this.start) this.markTruncated('last block');
        return;
      }
      await this.fill(need);
      if (this.end - this.start < need) {
        if (this.end > this.start) this.markTruncated('last block');
        return;
      }
    }
  }

  /** Parses an IDB. Returns false when the file must stop. */
  private interfaceBlock(buf: Buffer, p: number, len: number, le: boolean): boolean {
    if (len < 20) {
      this.warn(`interface description block too short (${len} bytes); stopped reading this file`);
      return false;
    }
    if (this.ifaces.length >= MAX_INTERFACES) {
      this.warn(`more than ${MAX_INTERFACES} interfaces in one section; stopped reading this file`);
      return false;
    }
    const rd16 = le ? u16le : u16be;
    const rd32 = le ? u32le : u32be;
    const iface: Iface = { linkType: rd16(buf, p + 8), snapLen: rd32(buf, p + 12), unitsPerSec: 1e6, tsOffset: 0 };
    let o = p + 16;
    const optEnd = p + len - 4;
    while (o + 4 <= optEnd) {
      const code = rd16(buf, o);
      const olen = rd16(buf, o + 2);
      const v = o + 4;
      if (code === 0) break;
      if (v + olen > optEnd) break;
      if (code === 9 && olen >= 1) {
        const r = buf[v];
        const e = r & 0x7f;
        iface.unitsPerSec = r & 0x80 ? Math.pow(2, e) : Math.pow(10, e);
      } else if (code === 14 && olen >= 8) {
        const hi = le ? buf.readInt32LE(v + 4) : buf.readInt32BE(v);
        const lo = le ? u32le(buf, v) : u32be(buf, v + 4);
        iface.tsOffset = hi * 4294967296 + lo;
      }
      o = v + ((olen + 3) & ~3);
    }
    this.ifaces.push(iface);
    return true;
  }

  /**
   * Fills this.pkt from an EPB / SPB / PB. Returns 1 to deliver, 0 to skip the block, -1 to stop.
   */
  private packetBlock(buf: Buffer, p: number, len: number, type: number, le: boolean): number {
    const rd32 = le ? u32le : u32be;
    const pkt = this.pkt;
    pkt.data = buf;
    let ifId: number;
    let capLen: number;
    let dataOff: number;
    if (type === BT_SPB) {
      if (len < 16) { this.warn(`simple packet block too short (${len} bytes); stopped reading this file`); return -1; }
      ifId = 0;
      const iface = this.ifaces[0];
      if (!iface) return this.noInterface(0);
      pkt.wireLen = rd32(buf, p + 8);
      capLen = pkt.wireLen;
      if (iface.snapLen !== 0 && capLen > iface.snapLen) capLen = iface.snapLen;
      if (capLen > len - 16) capLen = len - 16;
      dataOff = p + 12;
      pkt.ts = 0;
    } else {
      if (len < 32) { this.warn(`packet block too short (${len} bytes); stopped reading this file`); return -1; }
      ifId = type === BT_EPB ? rd32(buf, p + 8) : (le ? u16le(buf, p + 8) : u16be(buf, p + 8));
      capLen = rd32(buf, p + 20);
      pkt.wireLen = rd32(buf, p + 24);
      dataOff = p + 28;
      if (capLen > MAX_CAPLEN || capLen > len - 32) {
        this.warn(`packet block ${this.stats.packets + 1} has an invalid captured length (${capLen} bytes in a ${len}-byte block); stopped reading this file`);
        return -1;
      }
      const iface = this.ifaces[ifId];
      if (!iface) return this.noInterface(ifId);
      this.convertTs(rd32(buf, p + 12), rd32(buf, p + 16), iface.unitsPerSec);
      pkt.ts = this.tsSec + iface.tsOffset + this.tsUsec / 1e6;
    }
    if (capLen > MAX_CAPLEN) {
      this.warn(`packet block ${this.stats.packets + 1} has an absurd captured length (${capLen} bytes); stopped reading this file`);
      return -1;
    }
    pkt.linkType = this.ifaces[ifId].linkType;
    pkt.interfaceId = ifId;
    pkt.offset = dataOff;
    pkt.capLen = capLen;
    return 1;
  }

  private noInterface(ifId: number): number {
    if (!this.warnedNoIface) {
      this.warnedNoIface = true;
      this.warn(`packet for interface ${ifId}, which has no interface description block; such packets are skipped`);
    }
    return 0;
  }

  /** Splits a 64-bit timestamp (hi:lo units) into whole seconds and truncated microseconds. */
  private convertTs(hi: number, lo: number, ups: number): void {
    let sec: number;
    let frac: number;
    if (hi < 0x200000) {
      // Exact in a double.
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / ups);
      frac = t - sec * ups;
      if (frac < 0) { sec -= 1; frac += ups; } else if (frac >= ups) { sec += 1; frac -= ups; }
    } else if (ups < 137438953472 /* 2^37 */ && Number.isInteger(ups)) {
      // Long division in base 2^16 keeps every intermediate below 2^53.
      let q = 0;
      let r = 0;
      let cur = r * 65536 + (hi >>> 16); let d = Math.floor(cur / ups); r = cur - d * ups; q = q * 65536 + d;
      cur = r * 65536 + (hi & 0xffff); d = Math.floor(cur / ups); r = cur - d * ups; q = q * 65536 + d;
      cur = r * 65536 + (lo >>> 16); d = Math.floor(cur / ups); r = cur - d * ups; q = q * 65536 + d;
      cur = r * 65536 + (lo & 0xffff); d = Math.floor(cur / ups); r = cur - d * ups; q = q * 65536 + d;
      sec = q;
      frac = r;
    } else {
      const t = hi * 4294967296 + lo;
      sec = Math.floor(t / ups);
      frac = Math.max(0, t - sec * ups);
    }
    this.tsSec = sec;
    this.tsUsec = ups === 1e6 ? frac : Math.floor((frac * 1e6) / ups);
    if (this.tsUsec >= 1e6) this.tsUsec = 999999;
  }
}
