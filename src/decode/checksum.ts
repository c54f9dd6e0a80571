// Internet checksums (RFC 1071) over Buffer regions, as Zeek's in_cksum / ip_in_cksum compute them.
// Sums are accumulated in a double (exact far beyond any packet size) and folded at the end.

/** Raw 16-bit big-endian word sum of buf[off .. off+len) (an odd last byte is padded with zero). */
export function sum16(buf: Buffer, off: number, len: number): number {
  let s = 0;
  const end = off + (len & ~1);
  let i = off;
  // Unrolled by 8 bytes.
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) {
    s += ((buf[i] << 8) | buf[i + 1]) + ((buf[i + 2] << 8) | buf[i + 3]) + ((buf[i + 4] << 8) | buf[i + 5]) + ((buf[i + 6] << 8) | buf[i + 7]);
  }
  for (; i < end; i += 2) s += (buf[i] << 8) | buf[i + 1];
  if (len & 1) s += buf[off + len - 1] << 8;
  return s;
}

/** Folds a sum into 16 bits (ones' complement addition). The result 0xffff means "valid" for a checksummed region. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s % 65536) + Math.floor(s / 65536);
  return s;
}

/** Checksum of a plain region (IPv4 header, ICMPv4): 0xffff when correct. */
export function cksum(buf: Buffer, off: number, len: number): number {
  return fold(sum16(buf, off, len));
}

/** Sum of the IPv4 pseudo-header. */
export function pseudo4(src: number, dst: number, proto: number, len: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + len;
}

/** Sum of the IPv6 pseudo-header (addresses as four 32-bit words each). */
export function pseudo6(src: Uint32Array, dst: Uint32Array, proto: number, len: number): number {
  let s = proto + (len >>> 16) + (len & 0xffff);
  for (let i = 0; i < 4; i++) s += (src[i] >>> 16) + (src[i] & 0xffff) + (dst[i] >>> 16) + (dst[i] & 0xffff);
  return s;
}
