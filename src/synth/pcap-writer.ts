// Streaming classic-pcap writer (microsecond timestamps, little-endian, one link type). Frames are copied
// into a large staging buffer that is flushed to the file descriptor when full, so a multi-GB capture is
// written with a few MB of memory.

import { closeSync, openSync, writeSync } from 'node:fs';

export const LINKTYPE_ETHERNET = 1;

/** Where synthesized frames go. `tsUs` is microseconds since the epoch (an integer). */
export interface PacketSink {
  writePacket(tsUs: number, frame: Buffer, off: number, len: number, wireLen?: number): void;
}

export interface PcapWriterOptions {
  linkType?: number;
  snaplen?: number;
  /** Staging buffer size in bytes (default 4 MiB). */
  bufferSize?: number;
}

export class PcapWriter implements PacketSink {
  /** Frames written so far. */
  packets = 0;
  /** Bytes written so far, headers included (the file size once closed). */
  bytes = 0;
  private readonly stage: Buffer;
  private used = 0;
  private readonly snaplen: number;
  private closed = false;

  private constructor(
    private readonly out: { fd: number } | { chunks: Buffer[] },
    opts: PcapWriterOptions,
  ) {
    this.snaplen = opts.snaplen ?? 262144;
    this.stage = Buffer.allocUnsafe(Math.max(opts.bufferSize ?? 4 << 20, 65536 + 16));
    const h = this.stage;
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeInt32LE(0, 8);
    h.writeUInt32LE(0, 12);
    h.writeUInt32LE(this.snaplen, 16);
    h.writeUInt32LE(opts.linkType ?? LINKTYPE_ETHERNET, 20);
    this.used = 24;
    this.bytes = 24;
  }

  /** A writer streaming to a new file at `path` (truncated if it exists). */
  static toFile(path: string, opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter({ fd: openSync(path, 'w') }, opts);
  }

  /** A writer collecting the capture in memory (tests, small demos); `close()` returns the bytes. */
  static toMemory(opts: PcapWriterOptions = {}): PcapWriter {
    return new PcapWriter({ chunks: [] }, { bufferSize: 65536 + 16, ...opts });
  }

  writePacket(tsUs: number, frame: Buffer, off: number, len: number, wireLen = len): void {
    if (this.closed) throw new Error('pcap writer is closed');
    const cap = Math.min(len, this.snaplen);
    if (this.used + 16 + cap > this.stage.length) this.flush();
    const s = this.stage;
    const u = this.used;
    const sec = Math.floor(tsUs / 1e6);
    s.writeUInt32LE(sec >>> 0, u);
    s.writeUInt32LE(tsUs - sec * 1e6, u + 4);
    s.writeUInt32LE(cap, u + 8);
    s.writeUInt32LE(Math.max(wireLen, cap), u + 12);
    frame.copy(s, u + 16, off, off + cap);
    this.used = u + 16 + cap;
    this.bytes += 16 + cap;
    this.packets++;
  }

  private flush(): void {
    if (this.used === 0) return;
    if ('fd' in this.out) {
      let done = 0;
      while (done < this.used) done += writeSync(this.out.fd, this.stage, done, this.used - done);
    } else {
      this.out.chunks.push(Buffer.from(this.stage.subarray(0, this.used)));
    }
    this.used = 0;
  }

  /** Flushes and closes. For an in-memory writer, returns the whole capture. */
  close(): Buffer | undefined {
    if (this.closed) return undefined;
    this.flush();
    this.closed = true;
    if ('fd' in this.out) {
      closeSync(this.out.fd);
      return undefined;
    }
    return Buffer.concat(this.out.chunks);
  }
}
