// Line splitting of one TCP direction as Zeek's ContentLine analyzer does it: CR, LF and CRLF end
// lines (configurable), "plain delivery" of a byte count without line splitting, a delivery size
// that terminates a partial line once that many stream bytes have arrived, bounded line length.

export const CR_AS_EOL = 1, LF_AS_EOL = 2;
const MAX_LINE = 1 << 20; // Zeek: 16 MB; bounded lower here, with the same weird when exceeded

export interface LineSink {
  /** A complete line (without its terminator). `buf` is reused: copy what you keep. */
  line(buf: Buffer, len: number): void;
  /** Bytes delivered plainly (no line splitting). */
  plain(data: Buffer, off: number, len: number): void;
  weird?(name: string): void;
}

export class ContentLine {
  crlfAsEol = CR_AS_EOL | LF_AS_EOL;
  suppressWeirds = false;
  private buf = Buffer.alloc(128);
  private offset = 0;
  private lastChar = 0;
  private plainLen = 0;
  private deliveryLength = -1;
  /** Bytes left in the current delivery after the line/plain chunk being forwarded. */
  remaining = 0;
  isPlain = false;
  skipDeliveries = false;
  private singularLfSeen = false;
  private singularCrSeen = false;

  constructor(private readonly sink: LineSink) {}

  setPlainDelivery(n: number): void { this.plainLen = n < 0 ? 0 : n; }
  setDeliverySize(n: number): void { this.deliveryLength = n; }
  isPlainDelivery(): boolean { return this.plainLen > 0 || this.isPlain; }
  hasPartialLine(): boolean { return this.offset > 0; }

  deliverStream(data: Buffer, off: number, len: number): void {
    if (len <= 0 || this.skipDeliveries) return;
    if (this.deliveryLength > 0) this.deliveryLength -= len;
    this.doDeliver(data, off, len);
    if (this.deliveryLength === 0) {
      if (this.offset > 0) {
        this.sink.weird?.('line_terminated_without_CRLF');
        this.doDeliver(CRLF, 0, 2);
      }
      this.deliveryLength = -1;
    }
  }

  /** End of this direction: a pending partial line is terminated (ContentLine::EndpointEOF). */
  endOfData(): void {
    if (this.offset > 0) this.deliverStream(LF, 0, 1);
  }

  private doDeliver(data: Buffer, off: number, len: number): void {
    while (len > 0 && !this.skipDeliveries) {
      if ((this.crlfAsEol & CR_AS_EOL) && this.lastChar === 0x0d && data[off] === 0x0a) {
        this.lastChar = 0x0a;
        off++; len--;
      }
      if (this.plainLen > 0) {
        const n = Math.min(this.plainLen, len);
        this.lastChar = 0;
        this.plainLen -= n;
        this.isPlain = true;
        this.remaining = len - n;
        this.sink.plain(data, off, n);
        this.isPlain = false;
        off += n; len -= n;
        if (len === 0) return;
      }
      if (len <= 0) break;
      const n = this.deliverOnce(data, off, len);
      off += n; len -= n;
    }
  }

  private emit(c: number, consumed: number, left: number): number {
    this.lastChar = c;
    this.remaining = left - 1;
    const n = this.offset;
    this.offset = 0;
    this.sink.line(this.buf, n);
    return consumed;
  }

  private deliverOnce(data: Buffer, start: number, len: number): number {
    let p = start;
    for (; len > 0; len--, p++) {
      let c = data[p]!;
      if (this.offset >= this.buf.length) {
        if (this.buf.length >= MAX_LINE) {
          this.sink.weird?.('contentline_size_exceeded');
          this.offset = this.buf.length - 1;
          return this.emit(c, p + 1 - start, len);
        }
        const nb = Buffer.alloc(Math.min(this.buf.length * 2, MAX_LINE));
        this.buf.copy(nb, 0, 0, this.offset);
        this.buf = nb;
      }
      if (c === 0x0d) {
        if (len > 1 && data[p + 1] === 0x0a) {
          len--; p++;
          c = 0x0a;
          return this.emit(c, p + 1 - start, len);
        } else if (this.crlfAsEol & CR_AS_EOL) {
          return this.emit(c, p + 1 - start, len);
        } else this.buf[this.offset++] = c;
      } else if (c === 0x0a) {
        if (this.lastChar === 0x0d) {
          if (this.offset === 0) { this.lastChar = c; continue; }
          this.offset--;
          return this.emit(c, p + 1 - start, len);
        } else if (this.crlfAsEol & LF_AS_EOL) {
          return this.emit(c, p + 1 - start, len);
        } else {
          if (!this.suppressWeirds && !this.singularLfSeen) { this.singularLfSeen = true; this.sink.weird?.('line_terminated_with_single_LF'); }
          this.buf[this.offset++] = c;
        }
      } else this.buf[this.offset++] = c;
      if (this.lastChar === 0x0d && !this.suppressWeirds && !this.singularCrSeen) {
        this.singularCrSeen = true;
        this.sink.weird?.('line_terminated_with_single_CR');
      }
      this.lastChar = c;
    }
    return p - start;
  }
}

const CRLF = Buffer.from('\r\n');
const LF = Buffer.from('\n');
