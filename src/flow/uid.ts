// Connection uids in Zeek's format: "C" followed by the base62 text of a 96-bit value (a 64-bit and a
// 32-bit part, each written in base62 as Zeek's uitoa_n does). The values come from a deterministic
// generator of our own (a 32-bit integer mixer over a counter and a seed), so the same input always
// yields the same uids. No BigInt: this runs once per connection.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** base62 of hi * 2^32 + lo (both unsigned 32-bit), most significant digit first. */
export function base62of64(hi: number, lo: number): string {
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0 && lo === 0) return '0';
  let s = '';
  while (hi !== 0 || lo !== 0) {
    // Long division of the two 32-bit halves by 62; r * 2^32 + lo stays below 2^53.
    const qh = Math.floor(hi / 62);
    const rh = hi - qh * 62;
    const cur = rh * 4294967296 + lo;
    const ql = Math.floor(cur / 62);
    const r = cur - ql * 62;
    hi = qh;
    lo = ql >>> 0;
    s = DIGITS[r]! + s;
  }
  return s;
}

/** A 32-bit avalanche mixer (lowbias32). */
function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export class UidGenerator {
  private counter = 0;
  private pktLo = 0;
  private pktHi = 0;
  private sub = 0;
  private keyed = false;
  constructor(private readonly seed = 0x5eed2026) {}

  /**
   * Key the next uids by the capture's packet number (0-based) and their order within that packet
   * (outer, tunnel, inner connection), so that uids do not depend on how the work was split.
   */
  at(packetIndex: number): void {
    this.keyed = true;
    this.pktLo = packetIndex >>> 0;
    this.pktHi = Math.floor(packetIndex / 4294967296);
    this.sub = 0;
  }

  /** The next uid ("C" + 96 pseudo-random bits in base62). */
  next(prefix = 'C'): string {
    let lo: number, hi: number;
    if (this.keyed) {
      lo = this.pktLo;
      hi = (this.pktHi * 16 + (this.sub++ & 15)) >>> 0;
    } else {
      const c = this.counter;
      lo = c >>> 0;
      hi = (Math.floor(c / 4294967296) * 16 + 8) >>> 0; // never equal to a keyed (packet, sub < 8) value in practice
    }
    this.counter++;
    const a = mix32(lo ^ this.seed);
    const b = mix32(a ^ mix32(hi ^ 0x632be5ab));
    const d = mix32(mix32(b + lo) ^ hi ^ 0x85ebca6b);
    return prefix + base62of64(a, b) + base62of64(0, d);
  }

  get count(): number {
    return this.counter;
  }
}
