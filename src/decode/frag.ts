// IP fragment reassembly with Zeek's semantics (src/Frag.cc, src/Reassem.cc): fragments are keyed by
// (src, dst, id); data that arrives first wins where fragments overlap (fragment_overlap when the
// bytes agree, fragment_inconsistency when not); the datagram is complete when the blocks are
// contiguous from 0 up to the size implied by the last fragment. The unfragmentable header comes
// from the fragment that opened the reassembly. Reassemblies expire frag_timeout (5 min) after they
// start; the bytes held in all of them are capped and the oldest are dropped first beyond the cap.
// Fragments are rare: this path may allocate (a copy of each fragment's data, one Buffer for the
// datagram); the common path never enters it.

const MIN_ACCEPTABLE_FRAG_SIZE = 64;
const MAX_ACCEPTABLE_FRAG_SIZE = 64000;
/** Largest datagram we build: offset (13 bits ×8) + a full IP length. */
const MAX_DATAGRAM = 65535 + 65535;
/** Bytes charged per stored block and per reassembly on top of their data (bookkeeping), so tiny fragments count too. */
const BLOCK_OVERHEAD = 64;
const ENTRY_OVERHEAD = 256;

export interface FragWeirdSink {
  /** A non-fatal weird raised while adding a fragment (Zeek reports these as flow weirds). */
  fragWeird(name: string): void;
}

interface Block {
  seq: number;
  upper: number;
  data: Buffer;
}

class Reassembly {
  blocks: Block[] = [];
  /** Size of the reassembled payload, 0 while unknown. */
  fragSize = 0;
  nextProto: number;
  held = 0;
  /** Position in the table's age order, for eviction. */
  constructor(
    readonly key: string,
    readonly started: number,
    /** The unfragmentable header (IPv4 header; IPv6 header chain up to the fragment header). */
    readonly hdr: Buffer,
    readonly v6: boolean,
    /** IPv4: ip_p and ip_hl of the opening fragment; IPv6: offset in hdr of the next-header byte to patch. */
    readonly proto: number,
    readonly hl: number,
    readonly patchAt: number,
  ) {
    this.nextProto = proto;
  }
}

export interface FragmentInfo {
  v6: boolean;
  src4: number;
  dst4: number;
  src6: Uint32Array;
  dst6: Uint32Array;
  id: number;
  /** Offset of the fragment's payload in bytes, MF flag, DF flag (IPv4). */
  offset: number;
  mf: boolean;
  df: boolean;
  /** The IP packet: buf[ipOff ..), header length (incl. IPv6 chain up to and including the fragment header), total length. */
  buf: Buffer;
  ipOff: number;
  hdrLen: number;
  totalLen: number;
  /** Transport protocol of this fragment (IPv4 ip_p; IPv6 next header of the fragment header). */
  proto: number;
  /** IPv6: offset (from ipOff) of the next-header byte that names the fragment header. */
  v6NextAt: number;
}

export class FragmentTable {
  private readonly map = new Map<string, Reassembly>();
  private heldBytes = 0;

  constructor(
    /** Seconds after which an incomplete reassembly is dropped (Zeek's frag_timeout). */
    readonly timeout = 300,
    /** Most bytes held across all reassemblies. */
    readonly maxBytes = 32 << 20,
    /** Most reassemblies in progress. */
    readonly maxEntries = 1 << 16,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get bytesHeld(): number {
    return this.heldBytes;
  }

  /** Drops reassemblies older than the timeout. */
  expire(now: number): void {
    if (this.map.size === 0) return;
    for (const [k, r] of this.map) {
      // Map iteration is insertion order: the oldest first.
      if (now - r.started < this.timeout) break;
      this.drop(k, r);
    }
  }

  clear(): void {
    this.map.clear();
    this.heldBytes = 0;
  }

  private drop(key: string, r: Reassembly): void {
    this.map.delete(key);
    this.heldBytes -= r.held;
  }

  /**
   * Adds a fragment. Returns the reassembled datagram (a new Buffer starting with the IP header)
   * when this fragment completes it, else undefined.
   */
  add(now: number, f: FragmentInfo, sink: FragWeirdSink): Buffer | undefined {
    this.expire(now);
    const key = f.v6
      ? `6:${f.src6[0]},${f.src6[1]},${f.src6[2]},${f.src6[3]}>${f.dst6[0]},${f.dst6[1]},${f.dst6[2]},${f.dst6[3]}#${f.id}`
      : `4:${f.src4}>${f.dst4}#${f.id}`;
    let r = this.map.get(key);
    if (!r) {
      const hdrLen = f.v6 ? f.hdrLen - 8 : f.hdrLen;
      const hdr = Buffer.from(f.buf.subarray(f.ipOff, f.ipOff + hdrLen));
      r = new Reassembly(key, now, hdr, f.v6, f.proto, f.v6 ? 0 : (f.buf[f.ipOff] & 0x0f), f.v6NextAt);
      if (this.map.size >= this.maxEntries) {
        const oldest = this.map.entries().next().value;
        if (oldest) this.drop(oldest[0], oldest[1]);
      }
      this.map.set(key, r);
      r.held += ENTRY_OVERHEAD + hdr.length;
      this.heldBytes += ENTRY_OVERHEAD + hdr.length;
    } else {
      if (f.v6) {
        if (f.proto !== r.nextProto || f.hdrLen - 8 !== r.hdr.length) sink.fragWeird('fragment_protocol_inconsistency');
      } else if (f.proto !== r.proto || (f.buf[f.ipOff] & 0x0f) !== r.hl) {
        sink.fragWeird('fragment_protocol_inconsistency');
      }
    }
    if (f.df) sink.fragWeird('fragment_with_DF');
    if (f.totalLen < f.hdrLen) {
      sink.fragWeird('fragment_protocol_inconsistency');
      return undefined;
    }
    const len = f.totalLen - f.hdrLen;
    const upperSeq = f.offset + len;
    if (f.offset === 0) r.nextProto = f.proto;
    if (!f.mf) {
      if (r.fragSize === 0) r.fragSize = upperSeq;
      else if (upperSeq !== r.fragSize) {
        sink.fragWeird('fragment_size_inconsistency');
        if (upperSeq > r.fragSize) r.fragSize = upperSeq;
      }
    } else if (f.totalLen < MIN_ACCEPTABLE_FRAG_SIZE) {
      sink.fragWeird('excessively_small_fragment');
    }
    if (upperSeq > MAX_ACCEPTABLE_FRAG_SIZE) sink.fragWeird('excessively_large_fragment');
    if (r.fragSize && upperSeq > r.fragSize) {
      sink.fragWeird('fragment_size_inconsistency');
      r.fragSize = upperSeq;
    }
    if (upperSeq > MAX_DATAGRAM) return undefined;
    if (len > 0) this.insert(r, f.offset, upperSeq, f.buf, f.ipOff + f.hdrLen, sink);
    // Bound the memory held: drop the oldest reassemblies (never the current one) beyond the cap.
    if (this.heldBytes > this.maxBytes) {
      for (const [k, o] of this.map) {
        if (this.heldBytes <= this.maxBytes) break;
        if (o !== r) this.drop(k, o);
      }
    }
    return this.complete(r, sink);
  }

  private insert(r: Reassembly, seq: number, upper: number, src: Buffer, srcOff: number, sink: FragWeirdSink): void {
    const blocks = r.blocks;
    // Overlap check against what is held (old data wins).
    if (blocks.length && seq !== blocks[blocks.length - 1].upper) {
      for (const b of blocks) {
        if (upper <= b.seq) break;
        if (seq >= b.upper) continue;
        const s = Math.max(seq, b.seq);
        const e = Math.min(upper, b.upper);
        if (e > s) {
          const same = src.compare(b.data, s - b.seq, e - b.seq, srcOff + (s - seq), srcOff + (e - seq)) === 0;
          sink.fragWeird(same ? 'fragment_overlap' : 'fragment_inconsistency');
        }
      }
    }
    // Insert only the parts that fill holes.
    let cur = seq;
    let i = 0;
    while (cur < upper) {
      while (i < blocks.length && blocks[i].upper <= cur) i++;
      if (i < blocks.length && blocks[i].seq <= cur) {
        cur = blocks[i].upper;
        continue;
      }
      const stop = i < blocks.length ? Math.min(upper, blocks[i].seq) : upper;
      const data = Buffer.from(src.subarray(srcOff + (cur - seq), srcOff + (stop - seq)));
      blocks.splice(i, 0, { seq: cur, upper: stop, data });
      r.held += stop - cur + BLOCK_OVERHEAD;
      this.heldBytes += stop - cur + BLOCK_OVERHEAD;
      i++;
      cur = stop;
    }
  }

  private complete(r: Reassembly, sink: FragWeirdSink): Buffer | undefined {
    const blocks = r.blocks;
    if (!blocks.length || blocks[0].seq > 0 || !r.fragSize) return undefined;
    let k = 0;
    while (k + 1 < blocks.length && blocks[k].upper === blocks[k + 1].seq) k++;
    const last = blocks[blocks.length - 1];
    if (k + 1 < blocks.length) {
      // A hole.
      if (blocks[k].upper >= r.fragSize) {
        sink.fragWeird('fragment_size_inconsistency');
        r.fragSize = blocks[k].upper;
      } else return undefined;
    } else if (last.upper > r.fragSize) {
      sink.fragWeird('fragment_size_inconsistency');
      r.fragSize = last.upper;
    } else if (last.upper < r.fragSize) {
      return undefined;
    }
    const hl = r.hdr.length;
    const n = hl + r.fragSize;
    const out = Buffer.alloc(n);
    r.hdr.copy(out, 0);
    for (let j = 0; j < blocks.length; j++) {
      const b = blocks[j];
      if (j > 0 && blocks[j - 1].upper < b.seq) break;
      if (hl + b.upper > n) {
        // Zeek: "bad fragment reassembly" → the reassembly is dropped.
        this.drop(r.key, r);
        return undefined;
      }
      b.data.copy(out, hl + b.seq);
    }
    if (r.v6) {
      out.writeUInt16BE((r.fragSize + hl - 40) & 0xffff, 4);
      out[r.patchAt] = r.nextProto;
    } else {
      out.writeUInt16BE((r.fragSize + hl) & 0xffff, 2);
    }
    this.drop(r.key, r);
    return out;
  }
}
