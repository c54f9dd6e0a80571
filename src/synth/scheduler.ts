// Interleaves many sessions in timestamp order with a binary min-heap keyed by (nextTime, order).

import { FrameBuilder } from './packets.js';
import type { PacketSink } from './pcap-writer.js';
import type { Session } from './sessions.js';

export class Scheduler {
  private readonly heap: Session[] = [];
  private seq = 0;
  readonly builder: FrameBuilder;

  constructor(private readonly sink: PacketSink, builder?: FrameBuilder) {
    this.builder = builder ?? new FrameBuilder();
  }

  get size(): number {
    return this.heap.length;
  }

  /** Time of the earliest pending frame (µs), or Infinity when idle. */
  get nextTime(): number {
    return this.heap.length ? this.heap[0]!.nextTime : Infinity;
  }

  add(s: Session): void {
    s.order = this.seq++;
    s.begin();
    if (s.nextTime === Infinity) return;
    this.heap.push(s);
    this.up(this.heap.length - 1);
  }

  /** Emits the earliest frame. Returns false when nothing is pending. */
  step(): boolean {
    const h = this.heap;
    if (!h.length) return false;
    const s = h[0]!;
    s.emit(this.builder, this.sink);
    if (s.nextTime === Infinity) {
      const last = h.pop()!;
      if (h.length) {
        h[0] = last;
        this.down(0);
      }
    } else {
      this.down(0);
    }
    return true;
  }

  /** Emits every frame up to and including time `until` (µs), or everything. */
  run(until = Infinity): void {
    while (this.heap.length && this.heap[0]!.nextTime <= until) this.step();
  }

  private less(a: Session, b: Session): boolean {
    return a.nextTime < b.nextTime || (a.nextTime === b.nextTime && a.order < b.order);
  }

  private up(i: number): void {
    const h = this.heap;
    const x = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(x, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = x;
  }

  private down(i: number): void {
    const h = this.heap;
    const n = h.length;
    const x = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(h[r]!, h[l]!) ? r : l;
      if (!this.less(h[c]!, x)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = x;
  }
}
