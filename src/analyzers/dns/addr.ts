// Address text as Zeek prints it (IPAddr::AsString: dotted quad, or inet_ntop's IPv6 form;
// IPv4-mapped IPv6 addresses are IPv4 addresses in Zeek and print as dotted quads).

export function ipv4Text(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
}

export function ipv4FromNumber(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** 16 bytes at off (a missing tail reads as zeros) as Zeek prints an IPv6 address. */
export function ipv6Text(buf: Buffer, off: number, avail = 16): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) {
    const a = off + 2 * i;
    const hi = 2 * i < avail ? buf[a]! : 0;
    const lo = 2 * i + 1 < avail ? buf[a + 1]! : 0;
    w[i] = (hi << 8) | lo;
  }
  return ipv6Words(w);
}

export function ipv6Words(w: readonly number[]): string {
  // IPv4-mapped (::ffff:a.b.c.d) is an IPv4 address for Zeek.
  if (w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0 && w[4] === 0 && w[5] === 0xffff) {
    return `${w[6]! >> 8}.${w[6]! & 255}.${w[7]! >> 8}.${w[7]! & 255}`;
  }
  // Longest run of zero words (length >= 2), first one on ties (glibc inet_ntop).
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) { curBase = i; curLen = 1; } else curLen++;
      if (curLen > bestLen) { bestLen = curLen; bestBase = curBase; }
    } else curBase = -1;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    // Embedded IPv4 (::a.b.c.d IPv4-compatible), as inet_ntop prints it.
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 7 && w[7] !== 1))) {
      s += `${w[6]! >> 8}.${w[6]! & 255}.${w[7]! >> 8}.${w[7]! & 255}`;
      return s;
    }
    s += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) s += ':';
  return s;
}
