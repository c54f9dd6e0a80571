// A bounded, reusable byte accumulator for stream parsers (shared by the TLS, SSH, NTLM carriers).
// Appends copy (callers hand us views), consumption moves a start index; the storage is compacted
// or grown geometrically, never beyond `max` bytes (an append past it returns false).

export class StreamBuf {
  buf: Buffer;
  start = 0;
  end = 0;

  constructor(initial = 256, readonly max = 16 * 1024 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.end - this.start;
  }

  clear(): void {
    this.start = 0;
    this.end = 0;
  }

  /** Appends data[off..off+len); false (and nothing appended) when the buffer would exceed `max`. */
  append(data: Buffer, off: number, len: number): boolean {
    if (len <= 0) return true;
    const have = this.end - this.start;
    if (have + len > this.max) return false;
    if (this.end + len > this.buf.length) {
      if (have + len <= this.buf.length && this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
      } else {
        let cap = this.buf.length * 2;
        while (cap < have + len) cap *= 2;
        if (cap > this.max) cap = this.max;
        const nb = Buffer.allocUnsafe(cap);
        this.buf.copy(nb, 0, this.start, this.end);
        this.buf = nb;
      }
      this.start = 0;
      this.end = have;
    }
    data.copy(this.buf, this.end, off, off + len);
    this.end += len;
    return true;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start >= this.end) {
      this.start = 0;
      this.end = 0;
    }
  }
}
