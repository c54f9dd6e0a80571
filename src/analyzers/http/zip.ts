// Inflate for HTTP Content-Encoding gzip/deflate (Zeek's ZIP support analyzer semantics).
import { StreamInflater } from './inflate.js';

export class Inflater {
  private inf: StreamInflater;
  constructor(out: (data: Buffer) => void, weird: (name: string) => void) {
    this.inf = new StreamInflater(out, weird);
  }
  push(data: Buffer, off: number, len: number): void { this.inf.push(data, off, len); }
  close(): void { this.inf.finished = true; }
}
