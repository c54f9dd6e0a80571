// One file seen in a protocol's data (Zeek's file analysis, reduced to what the protocol logs use):
// a file id derived from the protocol's file handle, the first bytes (bof buffer) for MIME
// sniffing, total bytes seen. Sniffing happens when the bof buffer is full or the file ends.

import { sniffMime } from './magic.js';
import type { AnalyzerContext } from '../types.js';
import type { ZeekRecord } from '../../zeek/types.js';
import { filesSchema } from '../../zeek/schemas/files.js';

/** What files.log needs to know about where a file came from. */
export interface FileOrigin {
  ctx: AnalyzerContext;
  /** 'HTTP', 'FTP_DATA', … */
  source: string;
  isOrig: boolean;
}

export const BOF_BUFFER_SIZE = 4096;
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A deterministic Zeek-style file id ("F" + base62) from a file handle string. */
export function fileId(handle: string): string {
  // Three independent FNV-1a style 32-bit hashes of the handle → 17 base62 digits.
  let a = 0x811c9dc5, b = 0x01000193 ^ 0x5bd1e995, c = 0x2545f491;
  for (let i = 0; i < handle.length; i++) {
    const ch = handle.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193);
    b = Math.imul(b ^ ch, 0x5bd1e995) ^ (b >>> 15);
    c = Math.imul(c + ch, 0x9e3779b1) ^ (c >>> 13);
  }
  let s = '';
  for (const w of [a >>> 0, b >>> 0, c >>> 0]) {
    let v = w;
    for (let k = 0; k < 6 && s.length < 17; k++) { s += B62[v % 62]; v = Math.floor(v / 62); }
  }
  return 'F' + s;
}

/** Free bof buffers (files are short-lived; reuse spares the allocator and the GC). */
const POOL: Buffer[] = [];
const POOL_MAX = 64;
function takeBuf(): Buffer { return POOL.pop() ?? Buffer.allocUnsafe(BOF_BUFFER_SIZE); }
function giveBuf(b: Buffer): void { if (b.length === BOF_BUFFER_SIZE && POOL.length < POOL_MAX) POOL.push(b); }

export class ZeekFile {
  readonly id: string;
  /** Collected first bytes (allocated on demand, grown up to BOF_BUFFER_SIZE). */
  private bof: Buffer | undefined;
  private bofLen = 0;
  /** Bytes delivered so far (seen_bytes). */
  seen = 0;
  mime: string | undefined;
  sniffed = false;
  ended = false;
  /** total_bytes when the protocol knows it (Content-Length): the file ends when all have been seen. */
  total: number | undefined;
  /** Data does not start at offset 0 (HTTP 206 from a later offset): nothing for the bof buffer. */
  noBof = false;

  /** files.log: time of the first data and of the last. */
  private first = 0;
  private last = 0;
  filename: string | undefined;

  constructor(handle: string, private readonly onSniff: (f: ZeekFile, mime: string | undefined) => void,
    private readonly origin?: FileOrigin) {
    this.id = fileId(handle);
    if (origin) this.first = this.last = origin.ctx.now();
  }

  data(buf: Buffer, off: number, len: number): void {
    if (this.ended || len <= 0) return;
    this.seen += len;
    if (this.origin) this.last = this.origin.ctx.now();
    if (this.sniffed || this.noBof) { this.checkComplete(); return; }
    if (this.bofLen === 0 && len >= BOF_BUFFER_SIZE) {
      // the first delivery fills the bof buffer: sniff it in place
      this.sniffOn(buf, off, BOF_BUFFER_SIZE);
      this.checkComplete();
      return;
    }
    const n = Math.min(len, BOF_BUFFER_SIZE - this.bofLen);
    if (!this.bof) this.bof = takeBuf();
    buf.copy(this.bof, this.bofLen, off, off + n);
    this.bofLen += n;
    if (this.bofLen >= BOF_BUFFER_SIZE) this.sniff();
    this.checkComplete();
  }

  /** Bytes that never arrived (content gap): counted as missing; the bof buffer stops there. */
  missing = 0;
  gap(len: number): void {
    if (this.ended || len <= 0) return;
    this.missing += len;
    if (!this.sniffed) this.sniff();
    this.checkComplete();
  }

  private checkComplete(): void {
    if (this.total !== undefined && this.seen + this.missing >= this.total) this.end();
  }

  private sniffOn(buf: Buffer, off: number, len: number): void {
    this.sniffed = true;
    this.mime = sniffMime(buf, off, len);
    if (this.bof) giveBuf(this.bof);
    this.bof = undefined;
    this.onSniff(this, this.mime);
  }

  private sniff(): void {
    if (this.sniffed) return;
    if (this.bof) this.sniffOn(this.bof, 0, this.bofLen);
    else { this.sniffed = true; this.onSniff(this, undefined); }
  }

  /** End of file: sniffs what was collected if that has not happened yet. */
  end(): void {
    if (this.ended) return;
    if (!this.sniffed && this.bofLen > 0) this.sniff();
    this.ended = true;
    if (this.origin) this.writeLog(this.origin);
  }

  /** file_state_remove → files.log */
  private writeLog(o: FileOrigin): void {
    const c = o.ctx.conn;
    const rec: ZeekRecord = {
      ts: this.first, fuid: this.id, uid: c.uid, 'id.orig_h': c.origH, 'id.orig_p': c.origP,
      'id.resp_h': c.respH, 'id.resp_p': c.respP, source: o.source, depth: 0, analyzers: [],
      mime_type: this.mime, filename: this.filename, duration: this.last - this.first, local_orig: undefined,
      is_orig: o.isOrig, seen_bytes: this.seen, total_bytes: this.total, missing_bytes: this.missing, overflow_bytes: 0,
      timedout: false, parent_fuid: undefined,
    };
    o.ctx.write(filesSchema, rec);
  }
}
