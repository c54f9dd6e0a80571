// An address-only parse of the common frames, for routing them to a shard without the full decoder:
// Ethernet (up to two VLAN tags), Linux cooked (SLL) and raw IP link types carrying an unfragmented
// IPv4 or IPv6 packet (no IPv6 extension headers) with a complete TCP, UDP or ICMP header. For those it
// fills exactly the fields the full decoder (under -C) would fill for routing: l3, addresses, ipProto,
// ports, l4Offset / l4Len / l4CapLen, buf. It mirrors the decoder's checks (src/decode/decoder.ts) so
// that a frame the decoder would reject is never classified here: such frames are left to the decoder.
import type { RawPacket } from '../capture/types.js';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, endsBelowEthernet, linkKind, u16, u32 } from '../decode/decoder.js';
import { DecodedPacket, L3 } from '../decode/packet.js';

/** Result of fastParse: not classified (use the full decoder), an IP packet to route, or certainly not IP. */
export const enum Fast { Unknown = 0, Routed = 1, NotIP = 2 }

/** The decoder's layer kind for raw IP link types (and unknown ones, which it reads as raw IP). */
const K_IP = linkKind(-1);

export function fastParse(raw: RawPacket, out: DecodedPacket): Fast {
  const b = raw.data;
  const start = raw.offset;
  let p = start;
  let len = raw.capLen;
  if (start + len > b.length) return Fast.Unknown;
  const lt = raw.linkType;
  if (lt === LINKTYPE_ETHERNET) {
    if (len <= 16 || (b[p + 12] === 0x89 && b[p + 13] === 0x03)) return Fast.Unknown;
    let t = u16(b, p + 12);
    p += 14;
    len -= 14;
    if (t === 0x8100 || t === 0x88a8 || t === 0x9100) {
      if (len <= 4) return Fast.Unknown;
      t = u16(b, p + 2);
      p += 4;
      len -= 4;
      if (t === 0x8100) {
        if (len <= 4) return Fast.Unknown;
        t = u16(b, p + 2);
        p += 4;
        len -= 4;
        if (t !== 0x0800 && t !== 0x86dd) return Fast.Unknown;
      } else if (t !== 0x0800 && t !== 0x86dd) return Fast.Unknown;
    } else if (t !== 0x0800 && t !== 0x86dd) {
      return endsBelowEthernet(t) ? Fast.NotIP : Fast.Unknown;
    }
  } else if (lt === LINKTYPE_LINUX_SLL) {
    if (len <= 16) return Fast.Unknown;
    const t = u16(b, p + 14);
    if (t !== 0x0800 && t !== 0x86dd) return Fast.Unknown;
    p += 16;
    len -= 16;
  } else if (linkKind(lt) !== K_IP) {
    return Fast.Unknown;
  }
  return ip(b, p, len, p - start, raw.wireLen, out);
}

function ip(b: Buffer, p: number, len: number, linkHdr: number, wire: number, out: DecodedPacket): Fast {
  if (len < 20) return Fast.Unknown;
  const v = b[p]! >> 4;
  let totalLen: number, hdrLen: number, proto: number;
  if (v === 4) {
    totalLen = u16(b, p + 2);
    hdrLen = (b[p]! & 0x0f) * 4;
    if (totalLen === 0 || hdrLen < 20 || hdrLen > totalLen || hdrLen > len) return Fast.Unknown;
    if ((u16(b, p + 6) & 0x3fff) !== 0) return Fast.Unknown; // a fragment
    proto = b[p + 9]!;
    out.src4 = u32(b, p + 12);
    out.dst4 = u32(b, p + 16);
    out.l3 = L3.IPv4;
  } else if (v === 6) {
    if (len < 40) return Fast.Unknown;
    totalLen = u16(b, p + 4) + 40;
    hdrLen = 40;
    proto = b[p + 6]!;
    if (proto !== 6 && proto !== 17 && proto !== 58 && proto !== 1) return Fast.Unknown; // extension headers, tunnels, …
    const s = out.src6, d = out.dst6;
    s[0] = u32(b, p + 8); s[1] = u32(b, p + 12); s[2] = u32(b, p + 16); s[3] = u32(b, p + 20);
    d[0] = u32(b, p + 24); d[1] = u32(b, p + 28); d[2] = u32(b, p + 32); d[3] = u32(b, p + 36);
    out.l3 = L3.IPv6;
  } else {
    return Fast.Unknown;
  }
  if (wire < totalLen + linkHdr) return Fast.Unknown;
  if (proto !== 6 && proto !== 17 && proto !== 1 && proto !== 58) return Fast.Unknown;
  const payloadLenField = totalLen - hdrLen;
  let rem = len - hdrLen;
  if (payloadLenField !== 0 && payloadLenField < rem) rem = payloadLenField;
  const min = proto === 6 ? 20 : 8;
  if ((payloadLenField !== 0 && payloadLenField < min) || rem < min) return Fast.Unknown;
  const t = p + hdrLen;
  out.buf = b;
  out.reassembled = false;
  out.ipProto = proto;
  out.l4Offset = t;
  out.l4CapLen = rem;
  out.l4Len = payloadLenField !== 0 ? payloadLenField : rem;
  if (proto === 6 || proto === 17) {
    out.srcPort = u16(b, t);
    out.dstPort = u16(b, t + 2);
  } else {
    out.srcPort = b[t]!;
    out.dstPort = b[t + 1]!;
  }
  return Fast.Routed;
}
