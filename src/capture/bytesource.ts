// Byte sources for the capture readers: a file (positional reads into our buffer) or a Readable
// (stdin, a tcpdump pipe) whose chunks are copied into our buffer as they come.

import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { CaptureError } from './types.js';

export interface ByteSource {
  /** A name for messages: the path, or "stdin". */
  readonly name: string;
  /** Reads up to len bytes into buf[off..); resolves 0 at the end of input. */
  read(buf: Buffer, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

function openErrorText(path: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return `${path}: no such file`;
    case 'EACCES': case 'EPERM': return `${path}: permission denied`;
    case 'EISDIR': return `${path}: is a directory, not a capture file`;
    default: return `${path}: cannot read (${code ?? (err as Error | undefined)?.message ?? String(err)})`;
  }
}

export class FileByteSource implements ByteSource {
  private fh: FileHandle | undefined;
  constructor(readonly name: string) {}

  async read(buf: Buffer, off: number, len: number): Promise<number> {
    try {
      if (!this.fh) this.fh = await open(this.name, 'r');
      const { bytesRead } = await this.fh.read(buf, off, len, null);
      return bytesRead;
    } catch (err) {
      throw new CaptureError(openErrorText(this.name, err));
    }
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }
}

export class StreamByteSource implements ByteSource {
  private iter: AsyncIterator<unknown> | undefined;
  private chunk: Buffer | undefined;
  private pos = 0;
  private done = false;

  constructor(private readonly stream: Readable, readonly name = 'stdin') {}

  async read(buf: Buffer, off: number, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      if (!this.chunk || this.pos >= this.chunk.length) {
        // Return what we have rather than wait for more when something is already copied.
        if (n > 0 && this.stream.readableLength === 0) break;
        if (this.done) break;
        if (!this.iter) this.iter = this.stream[Symbol.asyncIterator]();
        let r: IteratorResult<unknown>;
        try {
          r = await this.iter.next();
        } catch (err) {
          throw new CaptureError(`${this.name}: read error (${(err as Error).message})`);
        }
        if (r.done) { this.done = true; break; }
        const v = r.value;
        this.chunk = Buffer.isBuffer(v) ? v : Buffer.from(v as string);
        this.pos = 0;
        continue;
      }
      const take = Math.min(len - n, this.chunk.length - this.pos);
      this.chunk.copy(buf, off + n, this.pos, this.pos + take);
      this.pos += take;
      n += take;
    }
    return n;
  }

  async close(): Promise<void> {
    this.chunk = undefined;
    if (this.iter && !this.done && this.iter.return) {
      this.done = true;
      await this.iter.return().catch(() => undefined);
    }
  }
}
