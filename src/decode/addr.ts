// Address formatting as Zeek prints addresses. Runs once per connection, never per packet.

/** Dotted quad of an IPv4 address held as an unsigned 32-bit number. */
export function formatIPv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/**
 * IPv6 text as Zeek prints it (inet_ntop): lower-case hex, leading zeros dropped, the longest run
 * of two or more zero groups (the first if tied) compressed to "::" (RFC 5952). IPv4-mapped
 * addresses (::ffff:a.b.c.d) print as the plain dotted quad, as Zeek stores them as IPv4.
 * IPv4-compatible forms (::a.b.c.d) keep the dotted tail as inet_ntop does.
 */
export function formatIPv6(w: ArrayLike<number>): string {
  const w0 = w[0] >>> 0, w1 = w[1] >>> 0, w2 = w[2] >>> 0, w3 = w[3] >>> 0;
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return formatIPv4(w3);
  const g = [w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff];
  // inet_ntop prints ::a.b.c.d for IPv4-compatible addresses (first 96 bits zero, last 32 not 0/1 … )
  if (w0 === 0 && w1 === 0 && w2 === 0 && (w3 >>> 16) !== 0) {
    return `::${formatIPv4(w3)}`;
  }
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += g[i].toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

/** Formats the source or destination address of a decoded packet. */
export function formatAddr(v4: boolean, a4: number, a6: ArrayLike<number>): string {
  return v4 ? formatIPv4(a4) : formatIPv6(a6);
}

/** Parses dotted-quad text into an unsigned 32-bit number, or -1. */
export function parseIPv4(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return -1;
  let a = 0;
  for (let i = 1; i <= 4; i++) {
    const v = Number(m[i]);
    if (v > 255) return -1;
    a = a * 256 + v;
  }
  return a;
}
