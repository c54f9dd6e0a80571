// Internet checksum (RFC 1071) helpers over Buffers, with the IPv4/IPv6 pseudo headers of TCP, UDP and ICMPv6.

/** One's-complement sum of buf[off..off+len) as 16-bit big-endian words, folded to 32 bits (not complemented). */
export function sum16(buf: Buffer, off: number, len: number, initial = 0): number {
  let s = initial;
  const end = off + (len & ~1);
  let i = off;
  for (; i < end; i += 2) s += (buf[i]! << 8) | buf[i + 1]!;
  if (len & 1) s += buf[end]! << 8;
  // Keep it from growing past 2^53 on huge inputs: fold once per call (fine for ≤ 64 KiB words).
  return (s & 0xffff) + Math.floor(s / 65536);
}

/** Folds a 32-bit-ish sum to 16 bits and complements it. */
export function finish(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return ~s & 0xffff;
}

/** Checksum of buf[off..off+len) (e.g. an IPv4 header with its checksum field zeroed). */
export function checksum(buf: Buffer, off: number, len: number): number {
  return finish(sum16(buf, off, len));
}

/** Sum of the pseudo header for a transport segment: addresses, protocol and length. */
export function pseudoHeaderSum(src: Buffer, dst: Buffer, proto: number, l4Len: number): number {
  let s = sum16(src, 0, src.length) + sum16(dst, 0, dst.length);
  s += proto;
  s += (l4Len >>> 16) + (l4Len & 0xffff);
  return s;
}

/** True when the transport checksum of the segment at buf[off..off+len) verifies against the pseudo header. */
export function verifyTransport(buf: Buffer, off: number, len: number, src: Buffer, dst: Buffer, proto: number): boolean {
  return finish(sum16(buf, off, len, pseudoHeaderSum(src, dst, proto, len))) === 0;
}
