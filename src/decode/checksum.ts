// Internet checksums (RFC 1071) over Buffer regions, as Zeek's in_cksum / ip_in_cksum compute them.
// Sums are accumulated in a double (exact far beyond any packet size) and folded at the end.

// A DataView over the last buffer summed: reading 32-bit words through it is about twice as fast as
// combining bytes. It is rebuilt only when a different buffer comes (the reader reuses one buffer).
let dvBuf: Buffer | undefined;
let dv: DataView = new DataView(new ArrayBuffer(0));

/**
 * Ones'-complement word sum of buf[off .. off+len) (not yet folded; an odd last byte is padded with
 * zero). 32-bit words are summed into a double, which folds to the same 16-bit sum (2^16 ≡ 1 mod 0xffff).
 */
export function sum16(buf: Buffer, off: number, len: number): number {
  if (buf !== dvBuf) {
    dvBuf = buf;
    dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  }
  let s = 0;
  let i = off;
  const end8 = off + (len & ~7);
  for (; i < end8; i += 8) s += dv.getUint32(i) + dv.getUint32(i + 4);
  const end = off + (len & ~1);
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
