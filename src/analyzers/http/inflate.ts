// A small streaming inflater (RFC 1950/1951/1952) for HTTP bodies: input arrives in pieces, output
// leaves in pieces, state persists between pieces (a generator suspended where it needs more bits).
// Header handling as Zeek's ZIP analyzer: gzip or zlib header auto-detected, otherwise raw deflate;
// stops at the end of the stream or at the first error.

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
  4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Lookup table over `bits` reversed code bits: entry = symbol << 4 | length (0 = invalid). */
interface Huff { table: Int32Array; bits: number }

function buildHuff(lengths: ArrayLike<number>, n: number): Huff | null {
  let max = 0;
  const count = new Int32Array(16);
  for (let i = 0; i < n; i++) { const l = lengths[i]!; count[l]!++; if (l > max) max = l; }
  count[0] = 0;
  if (max === 0) return { table: new Int32Array(2), bits: 1 };
  // over-subscription check
  let left = 1;
  for (let l = 1; l <= 15; l++) { left <<= 1; left -= count[l]!; if (left < 0) return null; }
  const next = new Int32Array(16);
  let code = 0;
  for (let l = 1; l <= 15; l++) { code = (code + count[l - 1]!) << 1; next[l] = code; }
  const size = 1 << max;
  const table = new Int32Array(size);
  for (let sym = 0; sym < n; sym++) {
    const l = lengths[sym]!;
    if (l === 0) continue;
    let c = next[l]!++;
    let r = 0;
    for (let i = 0; i < l; i++) { r = (r << 1) | (c & 1); c >>= 1; }
    for (let k = r; k < size; k += 1 << l) table[k] = (sym << 4) | l;
  }
  return { table, bits: max };
}

let FIXED_LIT: Huff | null = null;
let FIXED_DIST: Huff | null = null;
function fixedTables(): [Huff, Huff] {
  if (!FIXED_LIT) {
    const l = new Uint8Array(288);
    for (let i = 0; i < 144; i++) l[i] = 8;
    for (let i = 144; i < 256; i++) l[i] = 9;
    for (let i = 256; i < 280; i++) l[i] = 7;
    for (let i = 280; i < 288; i++) l[i] = 8;
    FIXED_LIT = buildHuff(l, 288)!;
    const d = new Uint8Array(30).fill(5);
    FIXED_DIST = buildHuff(d, 30)!;
  }
  return [FIXED_LIT, FIXED_DIST!];
}

const WSIZE = 32768;
const OUT_CHUNK = 16384;

export class StreamInflater {
  private input: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  private bb = 0; // bit buffer
  private bc = 0; // bit count
  private readonly win = Buffer.alloc(WSIZE);
  private wpos = 0;
  private wfill = 0;
  private out = Buffer.alloc(OUT_CHUNK);
  private opos = 0;
  private final = false;
  private gen: Generator<void, void, void>;
  /** True once the stream ended (or failed): further input is ignored. */
  finished = false;
  failed = false;

  constructor(private readonly sink: (data: Buffer) => void, private readonly onError: (name: string) => void) {
    this.gen = this.run();
  }

  push(data: Buffer, off: number, len: number): void {
    if (this.finished || len <= 0) return;
    this.input = data;
    this.pos = off;
    this.end = off + len;
    try {
      const r = this.gen.next();
      if (r.done) this.finished = true;
    } catch {
      this.finished = true;
      this.failed = true;
      this.onError('inflate_failed');
    }
    this.flushOut();
    this.input = EMPTY;
  }

  private flushOut(): void {
    if (this.opos > 0) {
      const b = Buffer.from(this.out.subarray(0, this.opos));
      this.opos = 0;
      this.sink(b);
    }
  }

  private emit(byte: number): void {
    this.win[this.wpos] = byte;
    this.wpos = (this.wpos + 1) & (WSIZE - 1);
    if (this.wfill < WSIZE) this.wfill++;
    this.out[this.opos++] = byte;
    if (this.opos === OUT_CHUNK) this.flushOut();
  }

  private *byte(): Generator<void, number, void> {
    while (this.pos >= this.end) yield;
    return this.input[this.pos++]!;
  }

  private *run(): Generator<void, void, void> {
    // Header detection (inflateInit2 with MAX_WBITS+32, then raw on a data error).
    const b0 = yield* this.byte();
    const b1 = yield* this.byte();
    if (b0 === 0x1f && b1 === 0x8b) {
      const cm = yield* this.byte();
      const flg = yield* this.byte();
      if (cm !== 8) throw new Error('bad gzip method');
      for (let i = 0; i < 6; i++) yield* this.byte();
      if (flg & 4) {
        const lo = yield* this.byte();
        const hi = yield* this.byte();
        for (let i = 0; i < (lo | (hi << 8)); i++) yield* this.byte();
      }
      if (flg & 8) { while ((yield* this.byte()) !== 0) { /* name */ } }
      if (flg & 16) { while ((yield* this.byte()) !== 0) { /* comment */ } }
      if (flg & 2) { yield* this.byte(); yield* this.byte(); }
    } else if ((b0 & 0x0f) === 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 === 0 && !(b1 & 0x20)) {
      // zlib header
    } else {
      // raw deflate: these two bytes are deflate data
      this.bb = b0 | (b1 << 8);
      this.bc = 16;
    }
    yield* this.inflate();
  }

  private *alignedByte(): Generator<void, number, void> {
    if (this.bc >= 8) {
      const v = this.bb & 255;
      this.bb >>>= 8;
      this.bc -= 8;
      return v;
    }
    return yield* this.byte();
  }

  /** Synchronous decode when enough input is buffered (the hot path). */
  private decodeSync(h: Huff): number {
    while (this.bc < h.bits) {
      this.bb |= this.input[this.pos++]! << this.bc;
      this.bc += 8;
    }
    const e = h.table[this.bb & ((1 << h.bits) - 1)]!;
    const l = e & 15;
    if (l === 0) throw new Error('bad code');
    this.bb >>>= l;
    this.bc -= l;
    return e >> 4;
  }

  private bitsSync(n: number): number {
    while (this.bc < n) {
      this.bb |= this.input[this.pos++]! << this.bc;
      this.bc += 8;
    }
    const v = this.bb & ((1 << n) - 1);
    this.bb >>>= n;
    this.bc -= n;
    return v;
  }

  private *need(n: number): Generator<void, void, void> {
    while (this.bc < n) {
      while (this.pos >= this.end) yield;
      this.bb |= this.input[this.pos++]! << this.bc;
      this.bc += 8;
    }
  }

  private *bits(n: number): Generator<void, number, void> {
    if (this.bc < n) yield* this.need(n);
    const v = this.bb & ((1 << n) - 1);
    this.bb >>>= n;
    this.bc -= n;
    return v;
  }

  private *decode(h: Huff): Generator<void, number, void> {
    for (;;) {
      // fill as many bits as the table needs while input is available
      while (this.bc < h.bits && this.pos < this.end) {
        this.bb |= this.input[this.pos++]! << this.bc;
        this.bc += 8;
      }
      const e = h.table[this.bb & ((1 << h.bits) - 1)]!;
      const l = e & 15;
      if (l !== 0 && l <= this.bc) {
        this.bb >>>= l;
        this.bc -= l;
        return e >> 4;
      }
      if (this.bc >= h.bits) throw new Error('bad code');
      yield;
    }
  }

  private *inflate(): Generator<void, void, void> {
    while (!this.final) {
      this.final = (yield* this.bits(1)) === 1;
      const type = yield* this.bits(2);
      if (type === 0) {
        // byte-align: drop the partial byte; whole bytes already in the bit buffer come first
        this.bb >>>= this.bc & 7;
        this.bc -= this.bc & 7;
        const a = yield* this.alignedByte(), b = yield* this.alignedByte(), c = yield* this.alignedByte(), d = yield* this.alignedByte();
        const len = a | (b << 8), nlen = c | (d << 8);
        if (len !== (~nlen & 0xffff)) throw new Error('bad stored length');
        for (let i = 0; i < len; i++) this.emit(yield* this.alignedByte());
      } else if (type === 1) {
        const [lit, dist] = fixedTables();
        yield* this.codes(lit, dist);
      } else if (type === 2) {
        const nlen = (yield* this.bits(5)) + 257;
        const ndist = (yield* this.bits(5)) + 1;
        const ncode = (yield* this.bits(4)) + 4;
        if (nlen > 286 || ndist > 30) throw new Error('bad counts');
        const cl = new Uint8Array(19);
        for (let i = 0; i < ncode; i++) cl[CL_ORDER[i]!] = yield* this.bits(3);
        const clh = buildHuff(cl, 19);
        if (!clh) throw new Error('bad code lengths');
        const lengths = new Uint8Array(nlen + ndist);
        let i = 0;
        while (i < nlen + ndist) {
          const sym = yield* this.decode(clh);
          if (sym < 16) lengths[i++] = sym;
          else {
            let rep = 0, val = 0;
            if (sym === 16) { if (i === 0) throw new Error('repeat without length'); val = lengths[i - 1]!; rep = 3 + (yield* this.bits(2)); }
            else if (sym === 17) rep = 3 + (yield* this.bits(3));
            else rep = 11 + (yield* this.bits(7));
            if (i + rep > nlen + ndist) throw new Error('too many lengths');
            while (rep-- > 0) lengths[i++] = val;
          }
        }
        const lit = buildHuff(lengths.subarray(0, nlen), nlen);
        const dist = buildHuff(lengths.subarray(nlen), ndist);
        if (!lit || !dist) throw new Error('bad tables');
        yield* this.codes(lit, dist);
      } else throw new Error('bad block type');
    }
  }

  private *codes(lit: Huff, dist: Huff): Generator<void, void, void> {
    for (;;) {
      const fast = this.end - this.pos >= 16;
      const sym = fast ? this.decodeSync(lit) : yield* this.decode(lit);
      if (sym < 256) { this.emit(sym); continue; }
      if (sym === 256) return;
      const li = sym - 257;
      if (li >= 29) throw new Error('bad length symbol');
      const fast2 = this.end - this.pos >= 16;
      const len = LEN_BASE[li]! + (fast2 ? this.bitsSync(LEN_EXTRA[li]!) : yield* this.bits(LEN_EXTRA[li]!));
      const ds = fast2 ? this.decodeSync(dist) : yield* this.decode(dist);
      if (ds >= 30) throw new Error('bad distance symbol');
      const d = DIST_BASE[ds]! + (fast2 ? this.bitsSync(DIST_EXTRA[ds]!) : yield* this.bits(DIST_EXTRA[ds]!));
      if (d > this.wfill) throw new Error('distance too far');
      let from = (this.wpos - d) & (WSIZE - 1);
      for (let k = 0; k < len; k++) {
        this.emit(this.win[from]!);
        from = (from + 1) & (WSIZE - 1);
      }
    }
  }
}

const EMPTY = Buffer.alloc(0);
