// One file seen in a protocol's data (Zeek's file analysis, reduced to what the protocol logs use):
// a file id derived from the protocol's file handle, the first bytes (bof buffer) for MIME
// sniffing, total bytes seen. Sniffing happens when the bof buffer is full or the file ends.

import { createHash } from 'node:crypto';
import { sniffMime } from './magic.js';

export const BOF_BUFFER_SIZE = 4096;
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A deterministic Zeek-style file id ("F" + base62) from a file handle string. */
export function fileId(handle: string): string {
  const h = createHash('sha256').update(handle, 'latin1').digest();
  let n = h.readBigUInt64BE(0) ^ (h.readBigUInt64BE(8) << 3n);
  n &= (1n << 96n) - 1n;
  let s = '';
  while (s.length < 17) { s += B62[Number(n % 62n)]; n /= 62n; }
  return 'F' + s;
}

export class ZeekFile {
  readonly id: string;
  private bof: Buffer | undefined = Buffer.alloc(BOF_BUFFER_SIZE);
  private bofLen = 0;
  /** Bytes delivered so far (seen_bytes). */
  seen = 0;
  mime: string | undefined;
  sniffed = false;
  ended = false;

  constructor(handle: string, private readonly onSniff: (f: ZeekFile, mime: string | undefined) => void) {
    this.id = fileId(handle);
  }

  data(buf: Buffer, off: number, len: number): void {
    if (this.ended || len <= 0) return;
    this.seen += len;
    if (!this.sniffed && this.bof) {
      const n = Math.min(len, BOF_BUFFER_SIZE - this.bofLen);
      buf.copy(this.bof, this.bofLen, off, off + n);
      this.bofLen += n;
      if (this.bofLen >= BOF_BUFFER_SIZE) this.sniff();
    }
  }

  private sniff(): void {
    if (this.sniffed) return;
    this.sniffed = true;
    this.mime = this.bof ? sniffMime(this.bof, 0, this.bofLen) : undefined;
    this.bof = undefined;
    this.onSniff(this, this.mime);
  }

  /** End of file: sniffs what was collected if that has not happened yet. */
  end(): void {
    if (this.ended) return;
    if (!this.sniffed && this.bofLen > 0) this.sniff();
    this.ended = true;
  }
}
