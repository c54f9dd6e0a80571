// Capture bytes shared with worker threads without copying frames: the reader reads into a pool of
// SharedArrayBuffer chunks (see BufferSupplier), and each worker gets, per chunk, the list of its frames
// in it (offset, lengths, time, packet number). A chunk is reused once every worker that had frames in
// it has said it is done with them. Frames that are not in a chunk (datagrams rebuilt from fragments)
// travel as copied bytes beside the list.
import type { RawPacket } from '../capture/types.js';

/** Numbers per frame in a batch: offset (-1 - offset into `inline` for copied frames), capLen, wireLen, ts, index, linkType, interfaceId. */
export const FRAME_SLOTS = 7;

/** What a worker gets for one chunk. `frames` is transferred, and given back with the chunk (no allocation per chunk). */
export interface ChunkBatch {
  t: 'chunk';
  id: number;
  frames: Float64Array<ArrayBuffer>;
  count: number;
  inline: Uint8Array | null;
}

/** The frames of one worker in the current chunk. */
export class FrameBatch {
  private meta: Float64Array<ArrayBuffer> = new Float64Array(FRAME_SLOTS * 8192);
  private readonly spare: Float64Array<ArrayBuffer>[] = [];
  private inline = Buffer.allocUnsafe(0);
  private inlineLen = 0;
  count = 0;

  add(raw: RawPacket, index: number, copy: boolean): void {
    let m = this.meta;
    const o = this.count * FRAME_SLOTS;
    if (o + FRAME_SLOTS > m.length) {
      const bigger = new Float64Array(m.length * 2);
      bigger.set(m);
      this.meta = m = bigger;
    }
    if (copy) {
      if (this.inlineLen + raw.capLen > this.inline.length) {
        const bigger = Buffer.allocUnsafe(Math.max(65536, (this.inlineLen + raw.capLen) * 2));
        this.inline.copy(bigger, 0, 0, this.inlineLen);
        this.inline = bigger;
      }
      raw.data.copy(this.inline, this.inlineLen, raw.offset, raw.offset + raw.capLen);
      m[o] = -1 - this.inlineLen;
      this.inlineLen += raw.capLen;
    } else {
      m[o] = raw.offset;
    }
    m[o + 1] = raw.capLen;
    m[o + 2] = raw.wireLen;
    m[o + 3] = raw.ts;
    m[o + 4] = index;
    m[o + 5] = raw.linkType;
    m[o + 6] = raw.interfaceId;
    this.count++;
  }

  /** The batch for chunk `id`, and a fresh start. */
  take(id: number): ChunkBatch {
    const b: ChunkBatch = {
      t: 'chunk', id, frames: this.meta, count: this.count,
      inline: this.inlineLen ? new Uint8Array(this.inline.subarray(0, this.inlineLen)) : null,
    };
    this.meta = this.spare.pop() ?? new Float64Array(this.meta.length);
    this.count = 0;
    this.inlineLen = 0;
    return b;
  }

  /** A frame list given back by the worker, for reuse. */
  giveBack(frames: Float64Array<ArrayBuffer>): void {
    if (frames.length >= this.meta.length) this.spare.push(frames);
  }
}

/** Calls `onFrame` for every frame of a batch, with `chunk` the chunk's bytes. */
export function eachFrame(b: ChunkBatch, chunk: Buffer, raw: RawPacket, onFrame: (raw: RawPacket, index: number) => void): void {
  const m = b.frames;
  const inline = b.inline ? Buffer.from(b.inline.buffer, b.inline.byteOffset, b.inline.byteLength) : chunk;
  const end = b.count * FRAME_SLOTS;
  for (let o = 0; o < end; o += FRAME_SLOTS) {
    const off = m[o]!;
    if (off >= 0) {
      raw.data = chunk;
      raw.offset = off;
    } else {
      raw.data = inline;
      raw.offset = -1 - off;
    }
    raw.capLen = m[o + 1]!;
    raw.wireLen = m[o + 2]!;
    raw.ts = m[o + 3]!;
    raw.linkType = m[o + 5]!;
    raw.interfaceId = m[o + 6]!;
    onFrame(raw, m[o + 4]!);
  }
}

/** The chunks and who still uses them. */
export class ChunkPool {
  readonly shared: SharedArrayBuffer[] = [];
  private readonly buffers: Buffer[] = [];
  private readonly users: number[] = [];
  private readonly free: number[] = [];
  private waiting: { resolve: (id: number) => void; reject: (e: unknown) => void }[] = [];
  private failure: unknown;

  constructor(count: number, bytes: number) {
    for (let i = 0; i < count; i++) {
      const sab = new SharedArrayBuffer(bytes);
      this.shared.push(sab);
      this.buffers.push(Buffer.from(sab));
      this.users.push(0);
      this.free.push(i);
    }
  }

  buffer(id: number): Buffer {
    return this.buffers[id]!;
  }

  /** A free chunk, waiting for one when all are in use. */
  take(): Promise<number> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = this.free.pop();
    if (id !== undefined) return Promise.resolve(id);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /** Chunk `id` was handed to `users` workers (0: free again at once). */
  handedOut(id: number, users: number): void {
    this.users[id] = users;
    if (users === 0) this.release(id, true);
  }

  /** A worker is done with chunk `id`. */
  release(id: number, all = false): void {
    if (!all && --this.users[id]! > 0) return;
    const w = this.waiting.shift();
    if (w) w.resolve(id);
    else this.free.push(id);
  }

  /** No chunk will come back (a worker failed): whoever waits gets `err`. */
  fail(err: unknown): void {
    this.failure = err;
    for (const w of this.waiting) w.reject(err);
    this.waiting = [];
  }
}
