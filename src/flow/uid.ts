// Connection uids in Zeek's format: "C" followed by the base62 text of a 96-bit value (a 64-bit and a
// 32-bit part, each written in base62 as Zeek's uitoa_n does). The values come from a deterministic
// generator of our own (splitmix64 over a counter), so the same input always yields the same uids.

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MASK64 = (1n << 64n) - 1n;

function base62(v: bigint): string {
  if (v === 0n) return '0';
  let s = '';
  while (v > 0n) {
    s = DIGITS[Number(v % 62n)]! + s;
    v /= 62n;
  }
  return s;
}

function splitmix64(x: bigint): bigint {
  let z = (x + 0x9e3779b97f4a7c15n) & MASK64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return (z ^ (z >> 31n)) & MASK64;
}

export class UidGenerator {
  private counter = 0n;
  constructor(private readonly seed = 0x5eed_2026n) {}

  /** The next uid ("C" + 96 random-looking bits in base62). */
  next(prefix = 'C'): string {
    const c = this.counter++;
    const a = splitmix64(this.seed ^ (c * 2n));
    const b = splitmix64(this.seed ^ (c * 2n + 1n)) & 0xffffffffn;
    return prefix + base62(a) + base62(b);
  }

  get count(): number {
    return Number(this.counter);
  }
}
