// TCP stream reassembly for one direction, with the semantics of Zeek's TCP_Reassembler: relative
// sequence numbers (1 = first data byte after the SYN), in-order data handed on without a copy,
// out-of-order data buffered (a copy) until the hole fills, holes reported as gaps when the peer
// acknowledges past them, retransmissions and overlaps dropped (first copy wins), and bounded
// buffers (Zeek's tcp_max_above_hole_without_any_acks / tcp_excessive_data_without_further_acks).

export interface StreamSink {
  /** In-order data; `data[off..off+len)` is a view, valid during the call only. */
  data(seq: number, data: Buffer, off: number, len: number): void;
  /** `len` bytes at `seq` will never arrive. */
  gap(seq: number, len: number): void;
}

interface Block {
  seq: number;
  upper: number;
  /** null when nobody consumes the bytes (conn-only analysis keeps just the sequence ranges). */
  data: Buffer | null;
}

/** Zeek's tcp_max_above_hole_without_any_acks. */
export const MAX_ABOVE_HOLE_WITHOUT_ACKS = 16384;
/** Zeek's tcp_excessive_data_without_further_acks. */
export const MAX_BUFFERED = 10 * 1024 * 1024;
/** Out-of-order blocks held per direction (tiny segments must not make the list unbounded). */
export const MAX_BLOCKS = 4096;
/** Copied out-of-order bytes held by all reassemblers of a run together. */
export const GLOBAL_BUFFER_BUDGET = 192 * 1024 * 1024;

let globalBuffered = 0;

/** Bytes of copied out-of-order data held by all reassemblers right now. */
export function reassemblyMemory(): number {
  return globalBuffered;
}

export class Reassembler {
  lastReassemSeq = 1;
  trimSeq = 1;
  blocks: Block[] = [];
  bufferedBytes = 0;
  skipDeliveries = false;
  didEOF = false;
  hadGap = false;
  sink: StreamSink | null = null;
  /** Bytes dropped because of the buffer bounds (reported once as a weird by the owner). */
  dropped = 0;

  get empty(): boolean {
    return this.blocks.length === 0;
  }

  /** Undelivered bytes above the first hole (NumUndeliveredBytes). */
  numUndelivered(): number {
    if (this.blocks.length === 0) return 0;
    return this.blocks[this.blocks.length - 1]!.upper - this.lastReassemSeq;
  }

  /**
   * New segment data at relative `seq`. Returns a weird name when a bound was hit (the buffered data
   * is then dropped and deliveries stop, as Zeek does), else undefined.
   */
  newData(seq: number, data: Buffer, off: number, len: number, noDataAcked: boolean): string | undefined {
    if (this.skipDeliveries || len <= 0) return undefined;
    const upper = seq + len;
    if (upper <= this.trimSeq || upper <= this.lastReassemSeq) return undefined; // old data: retransmission
    const floor = this.lastReassemSeq > this.trimSeq ? this.lastReassemSeq : this.trimSeq;
    if (seq < floor) {
      const cut = floor - seq;
      seq += cut; off += cut; len -= cut;
    }
    if (seq === this.lastReassemSeq && this.blocks.length === 0) {
      // Fast path: in order, nothing buffered. Deliver the view itself.
      this.lastReassemSeq = upper;
      if (this.sink) this.sink.data(seq, data, off, len);
      return undefined;
    }
    this.insert(seq, upper, data, off);
    this.deliverContiguous();
    if (noDataAcked && this.numUndelivered() > MAX_ABOVE_HOLE_WITHOUT_ACKS) {
      this.clear();
      this.skipDeliveries = true;
      return 'above_hole_data_without_any_acks';
    }
    if (this.bufferedBytes > MAX_BUFFERED || this.blocks.length > MAX_BLOCKS || globalBuffered > GLOBAL_BUFFER_BUDGET) {
      this.clear();
      this.skipDeliveries = true;
      return 'excessive_data_without_further_acks';
    }
    return undefined;
  }

  private insert(seq: number, upper: number, data: Buffer, off: number): void {
    const blocks = this.blocks;
    const keep = this.sink !== null;
    // Find the first block whose upper is above seq.
    let i = 0;
    let lo = 0, hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (blocks[mid]!.upper <= seq) lo = mid + 1; else hi = mid;
    }
    i = lo;
    // Fill the holes between existing blocks with the new bytes; existing bytes win on overlap.
    let cur = seq;
    while (cur < upper) {
      const b = blocks[i];
      if (!b || b.seq >= upper) {
        this.addBlock(i, cur, upper, keep ? data.subarray(off + (cur - seq), off + (upper - seq)) : null);
        break;
      }
      if (b.seq > cur) {
        this.addBlock(i, cur, b.seq, keep ? data.subarray(off + (cur - seq), off + (b.seq - seq)) : null);
        i++;
      }
      cur = Math.max(cur, b.upper);
      i++;
    }
  }

  private addBlock(at: number, seq: number, upper: number, view: Buffer | null): void {
    this.blocks.splice(at, 0, { seq, upper, data: view ? Buffer.from(view) : null });
    this.bufferedBytes += upper - seq;
    if (view) globalBuffered += upper - seq;
  }

  private deliverContiguous(): void {
    const blocks = this.blocks;
    let n = 0;
    while (n < blocks.length && blocks[n]!.seq <= this.lastReassemSeq) {
      const b = blocks[n]!;
      if (b.upper > this.lastReassemSeq) {
        const from = this.lastReassemSeq;
        this.lastReassemSeq = b.upper;
        if (this.sink && b.data) {
          const skip = from - b.seq;
          this.sink.data(from, b.data, skip, b.upper - from);
        }
      }
      this.bufferedBytes -= b.upper - b.seq;
      if (b.data) globalBuffered -= b.upper - b.seq;
      n++;
    }
    if (n) blocks.splice(0, n);
  }

  /**
   * Everything below `upTo` will never arrive (the peer acknowledged it): report the holes as gaps
   * (through `onGap`, which also does Zeek's history and missed-bytes accounting) and deliver the
   * buffered blocks between them. Mirrors TCP_Reassembler::Undelivered.
   */
  undelivered(upTo: number, onGap: (seq: number, len: number) => void): void {
    if (!this.skipDeliveries) {
      while (this.blocks.length && this.blocks[0]!.seq < upTo) {
        const b = this.blocks[0]!;
        if (b.seq > this.lastReassemSeq) {
          const gapLen = b.seq - this.lastReassemSeq;
          onGap(this.lastReassemSeq, gapLen);
          this.hadGap = true;
          if (this.sink) this.sink.gap(this.lastReassemSeq, gapLen);
          this.lastReassemSeq = b.seq;
        }
        this.deliverContiguous();
      }
      if (upTo > this.lastReassemSeq) {
        const gapLen = upTo - this.lastReassemSeq;
        onGap(this.lastReassemSeq, gapLen);
        this.hadGap = true;
        if (this.sink) this.sink.gap(this.lastReassemSeq, gapLen);
      }
    }
    if (upTo > this.lastReassemSeq) this.lastReassemSeq = upTo;
  }

  /** Forget blocks entirely below seq (they were delivered or declared gaps). */
  trim(seq: number): void {
    if (seq > this.trimSeq) this.trimSeq = seq;
    while (this.blocks.length && this.blocks[0]!.upper <= seq) {
      const b = this.blocks.shift()!;
      this.bufferedBytes -= b.upper - b.seq;
      if (b.data) globalBuffered -= b.upper - b.seq;
    }
  }

  /** The connection is gone: give the held bytes back to the global budget. */
  release(): void {
    for (const b of this.blocks) if (b.data) globalBuffered -= b.upper - b.seq;
    this.blocks.length = 0;
    this.bufferedBytes = 0;
  }

  clear(): void {
    this.dropped += this.bufferedBytes;
    for (const b of this.blocks) if (b.data) globalBuffered -= b.upper - b.seq;
    this.blocks.length = 0;
    this.bufferedBytes = 0;
  }
}
