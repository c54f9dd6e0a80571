// A single-producer / single-consumer ring of captured frames in a SharedArrayBuffer: the reader thread
// copies each frame in once, a worker thread reads it in place. Blocking waits use Atomics.

import type { RawPacket } from '../capture/types.js';

const USED = 0;   // bytes in use (records + wrap waste)
const CLOSED = 1; // producer finished
const DEAD = 2;   // consumer failed
const HDR_INTS = 4;
const REC_HDR = 32;
const WRAP = 0xffffffff;

export const RING_BYTES = 8 << 20;

export function newRing(bytes = RING_BYTES): SharedArrayBuffer {
  return new SharedArrayBuffer(HDR_INTS * 4 + bytes);
}

export class RingWriter {
  private readonly hdr: Int32Array;
  private readonly data: Buffer;
  private readonly dv: DataView;
  private readonly size: number;
  private pos = 0;

  constructor(sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, HDR_INTS);
    this.size = sab.byteLength - HDR_INTS * 4;
    this.data = Buffer.from(sab, HDR_INTS * 4, this.size);
    this.dv = new DataView(sab, HDR_INTS * 4, this.size);
  }

  private waitFor(bytes: number): void {
    let waited = 0;
    for (;;) {
      const used = Atomics.load(this.hdr, USED);
      if (this.size - used >= bytes) return;
      if (Atomics.load(this.hdr, DEAD)) throw new Error('a sensor worker thread failed');
      if (Atomics.wait(this.hdr, USED, used, 50) === 'timed-out' && ++waited > 1200) {
        throw new Error('a sensor worker thread stopped consuming packets');
      }
    }
  }

  write(raw: RawPacket, index: number): void {
    const cap = raw.capLen;
    const need = REC_HDR + ((cap + 7) & ~7);
    let waste = 0;
    if (this.pos + need > this.size) waste = this.size - this.pos;
    this.waitFor(need + waste);
    if (waste) {
      if (waste >= 4) this.dv.setUint32(this.pos, WRAP, true);
      this.pos = 0;
    }
    const p = this.pos, dv = this.dv;
    dv.setUint32(p, cap, true);
    dv.setUint32(p + 4, raw.wireLen, true);
    dv.setUint32(p + 8, raw.linkType, true);
    dv.setUint32(p + 12, index >>> 0, true);
    dv.setFloat64(p + 16, raw.ts, true);
    dv.setUint32(p + 24, Math.floor(index / 4294967296), true);
    dv.setUint32(p + 28, raw.interfaceId, true);
    raw.data.copy(this.data, p + REC_HDR, raw.offset, raw.offset + cap);
    this.pos = p + need;
    if (this.pos === this.size) this.pos = 0;
    Atomics.add(this.hdr, USED, need + waste);
    Atomics.notify(this.hdr, USED);
  }

  close(): void {
    Atomics.store(this.hdr, CLOSED, 1);
    Atomics.notify(this.hdr, USED);
  }
}

/** Tell the producer this consumer will not read any more (it failed). */
export function markDead(sab: SharedArrayBuffer): void {
  const hdr = new Int32Array(sab, 0, HDR_INTS);
  Atomics.store(hdr, DEAD, 1);
  Atomics.notify(hdr, USED);
}

export class RingReader {
  private readonly hdr: Int32Array;
  private readonly data: Buffer;
  private readonly dv: DataView;
  private readonly size: number;
  private pos = 0;
  private readonly pkt: RawPacket;
  index = 0;

  constructor(sab: SharedArrayBuffer) {
    this.hdr = new Int32Array(sab, 0, HDR_INTS);
    this.size = sab.byteLength - HDR_INTS * 4;
    this.data = Buffer.from(sab, HDR_INTS * 4, this.size);
    this.dv = new DataView(sab, HDR_INTS * 4, this.size);
    this.pkt = { ts: 0, linkType: 0, interfaceId: 0, wireLen: 0, data: this.data, offset: 0, capLen: 0 };
  }

  /** Calls `onPacket` for every frame until the writer closes the ring and it is drained. */
  run(onPacket: (raw: RawPacket, index: number) => void): void {
    const hdr = this.hdr, dv = this.dv, pkt = this.pkt;
    for (;;) {
      let used = Atomics.load(hdr, USED);
      if (used === 0) {
        if (Atomics.load(hdr, CLOSED)) {
          if (Atomics.load(hdr, USED) === 0) return;
          continue;
        }
        Atomics.wait(hdr, USED, 0, 50);
        continue;
      }
      // Consume everything available now, then give it back at once.
      let consumed = 0;
      while (consumed < used) {
        if (this.pos + 4 > this.size || dv.getUint32(this.pos, true) === WRAP) {
          consumed += this.size - this.pos;
          this.pos = 0;
          continue;
        }
        const p = this.pos;
        const cap = dv.getUint32(p, true);
        pkt.capLen = cap;
        pkt.wireLen = dv.getUint32(p + 4, true);
        pkt.linkType = dv.getUint32(p + 8, true);
        pkt.ts = dv.getFloat64(p + 16, true);
        pkt.interfaceId = dv.getUint32(p + 28, true);
        pkt.offset = p + REC_HDR;
        const index = dv.getUint32(p + 24, true) * 4294967296 + dv.getUint32(p + 12, true);
        const need = REC_HDR + ((cap + 7) & ~7);
        onPacket(pkt, index);
        this.pos = p + need;
        if (this.pos === this.size) this.pos = 0;
        consumed += need;
      }
      Atomics.sub(hdr, USED, consumed);
      Atomics.notify(hdr, USED);
      used = 0;
    }
  }
}
