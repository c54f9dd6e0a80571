// In-place packet decoder: fills a reused DecodedPacket from a frame's bytes, following Zeek's packet
// analysis (src/packet_analysis/protocol/*) for the order of checks, what is dropped, and the weird
// names. No allocation per packet: state lives in fields, weird names are string constants.
//
// What the flow layer does with the result:
//   Ok        — an IP packet; transport fields are filled. ipProto 4/41 (IP in IP) and 47 (GRE) are
//               tunnels to hand to decapIP / decapGRE with a second DecodedPacket.
//   ConnWeird — the transport header identifies a connection (addresses, ports, TCP flags are set)
//               but the packet must not be analysed further: raise `weird` on that connection
//               (bad_TCP_checksum, bad_UDP_checksum, bad_ICMP_checksum with out.badChecksum set;
//               bad_TCP_header_len, truncated_header for TCP options cut short).
//   Weird     — dropped; raise `weird` as a packet-level weird (no connection).
//   NotIP     — no IP inside (ARP, LLDP, 802.11 management, unknown ethertypes): nothing to do.
//   Fragment  — an IP fragment was stored for reassembly; the datagram comes with a later fragment.
//   Ignored   — IP without anything for the connection table (IPv6 ESP, mobility header).
//   Violation — (tunnels only) the tunnel header is malformed: Zeek's analyzer violation `violation`.
// In every case, sideWeirds[0 .. sideWeirdCount) are extra, non-fatal weirds raised on the way
// (routing0_hdr, fragment_overlap, pppoe_extra_data_after_payload, ip_hdr_len_zero under -C, …).

import type { RawPacket } from '../capture/types.js';
import { DecodedPacket, L3 } from './packet.js';
import { cksum, fold, pseudo4, pseudo6, sum16 } from './checksum.js';
import { FragmentTable, type FragmentInfo, type FragWeirdSink } from './frag.js';

export enum DecodeStatus {
  Ok = 0,
  ConnWeird = 1,
  Weird = 2,
  NotIP = 3,
  Fragment = 4,
  Ignored = 5,
  Violation = 6,
}

// Link types (LINKTYPE_* values of pcap / pcapng).
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_FDDI = 10;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_ATM_RFC1483 = 100;
export const LINKTYPE_C_HDLC = 104;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_PPI = 192;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

// Layer kinds of the dispatch loop.
const K_NONE = 0;
const K_ETH = 1;
const K_VLAN = 2;
const K_MPLS = 3;
const K_PPPOE = 4;
const K_PPP = 5;
const K_PPP_SERIAL = 6;
const K_NULL = 7;
const K_LOOP = 8;
const K_SLL = 9;
const K_SLL2 = 10;
const K_NFLOG = 11;
const K_RADIOTAP = 12;
const K_80211 = 13;
const K_FDDI = 14;
const K_PBB = 15;
const K_VNTAG = 16;
const K_SNAP = 17;
const K_LLC = 18;
const K_ARP = 19;
const K_IP = 20;
const K_C_HDLC = 21;
const K_PPI = 22;
const K_ATM1483 = 23;
const K_NOVELL = 24;

/** Layer kind to start from for a link type (Zeek's root dispatcher; unknown link types default to IP). */
export function linkKind(linkType: number): number {
  switch (linkType) {
    case LINKTYPE_ETHERNET: return K_ETH;
    case LINKTYPE_NULL: return K_NULL;
    case LINKTYPE_LOOP: return K_LOOP;
    case LINKTYPE_PPP: return K_PPP;
    case LINKTYPE_PPP_HDLC: return K_PPP_SERIAL;
    case LINKTYPE_C_HDLC: return K_C_HDLC;
    case LINKTYPE_FDDI: return K_FDDI;
    case LINKTYPE_IEEE802_11: return K_80211;
    case LINKTYPE_IEEE802_11_RADIOTAP: return K_RADIOTAP;
    case LINKTYPE_PPI: return K_PPI;
    case LINKTYPE_LINUX_SLL: return K_SLL;
    case LINKTYPE_LINUX_SLL2: return K_SLL2;
    case LINKTYPE_NFLOG: return K_NFLOG;
    case LINKTYPE_ATM_RFC1483: return K_ATM1483;
    default: return K_IP; // DLT_RAW (12, 14, 101), IPV4 (228), IPV6 (229) and anything unknown, as Zeek
  }
}

/**
 * Whether the decoder has a layer for this link type (raw IP included). Others are read as raw IP, as
 * Zeek's root dispatcher does, which for non-IP frames yields weirds and nothing else.
 */
export function isDecodedLinkType(linkType: number): boolean {
  return linkKind(linkType) !== K_IP || linkType === 12 || linkType === 14 || linkType === LINKTYPE_RAW ||
    linkType === LINKTYPE_IPV4 || linkType === LINKTYPE_IPV6;
}

/** Inner frame kinds for the tunnel functions. */
export const INNER_ETHERNET = K_ETH;
export const INNER_IP = K_IP;
export const INNER_80211 = K_80211;

export function u16(b: Buffer, o: number): number {
  return (b[o] << 8) | b[o + 1];
}
export function u32(b: Buffer, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}

/** Ethernet / VLAN / SLL / 802.11 ethertype → next layer, per Zeek's dispatch tables. */
function etherKind(t: number, fromVlan: boolean): number {
  switch (t) {
    case 0x0800: case 0x86dd: return K_IP;
    case 0x0806: case 0x8035: return K_ARP;
    case 0x8100: return K_VLAN;
    case 0x88a8: case 0x9100: return fromVlan ? K_NONE : K_VLAN;
    case 0x8847: return K_MPLS;
    case 0x88e7: return K_PBB;
    case 0x8864: return K_PPPOE;
    case 0x8926: return K_VNTAG;
    default: return K_NONE;
  }
}

/** An Ethernet ethertype under which the decoder finds no IP (ARP and the like, or one it does not know). */
export function endsBelowEthernet(t: number): boolean {
  if (t < 1536 || t === 0x8903) return false; // 802.3 length field (LLC), Cisco FabricPath
  const k = etherKind(t, false);
  return k === K_NONE || k === K_ARP;
}

const IPPROTO_HOPOPTS = 0;
const IPPROTO_ICMP = 1;
const IPPROTO_IPIP = 4;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_GRE = 47;
const IPPROTO_ESP = 50;
const IPPROTO_AH = 51;
const IPPROTO_ICMPV6 = 58;
const IPPROTO_NONE = 59;
const IPPROTO_DSTOPTS = 60;
const IPPROTO_MOBILITY = 135;

function isV6Ext(t: number): boolean {
  return t === IPPROTO_HOPOPTS || t === IPPROTO_ROUTING || t === IPPROTO_DSTOPTS || t === IPPROTO_FRAGMENT ||
    t === IPPROTO_AH || t === IPPROTO_ESP || t === IPPROTO_MOBILITY;
}

export interface DecoderOptions {
  /** Zeek's -C: do not verify IP / TCP / UDP / ICMP checksums. */
  ignoreChecksums?: boolean;
  /** UDP ports carrying VXLAN (checksum exemption as Zeek's UDP analyzer). Default [4789]. */
  vxlanPorts?: readonly number[];
  /** Fragment reassembly: timeout in seconds (default 300, Zeek's frag_timeout), bytes held (default 32 MiB), reassemblies in progress (default 65536). */
  fragTimeout?: number;
  fragMaxBytes?: number;
  fragMaxEntries?: number;
}

export class Decoder implements FragWeirdSink {
  ignoreChecksums: boolean;
  private readonly vxlanPort: Uint8Array = new Uint8Array(65536);
  readonly frags: FragmentTable;

  /** Zeek's weird name for Weird / ConnWeird statuses ('' otherwise). */
  weird = '';
  /** Zeek's analyzer-violation reason for the Violation status (tunnels). */
  violation = '';
  /** Extra non-fatal weirds of the last call. */
  readonly sideWeirds: string[] = ['', '', '', '', '', '', '', ''];
  sideWeirdCount = 0;

  /** Outer and inner 802.1Q VLAN ids of the last frame, -1 when absent. */
  vlan = -1;
  innerVlan = -1;
  /** Last ethertype seen in the frame (0x0806 for ARP, …), 0 when none. */
  etherType = 0;
  /** Offset of the (innermost) Ethernet header in the buffer, -1 when none: destination MAC there, source at +6. */
  l2Offset = -1;

  // Tunnel results (set by the decap* methods).
  /** Zeek's tunnel type for tunnel.log / conn.log tunnel_parents: Tunnel::IP, Tunnel::GRE, Tunnel::VXLAN, … */
  tunnelType = '';
  /** The tunnel analyzer confirmed its protocol (UDP tunnels: the outer connection's service). */
  tunnelConfirmed = false;
  /** GRE version of the last decapGRE (0 or 1). */
  greVersion = 0;

  // Context of the packet being decoded.
  private frameStart = 0;
  private frameWire = 0;
  private frameCap = 0;
  private inTeredo = false;

  // Reassembly scratch.
  private readonly frag: FragmentInfo = {
    v6: false, src4: 0, dst4: 0, src6: new Uint32Array(4), dst6: new Uint32Array(4), id: 0, offset: 0, mf: false, df: false,
    buf: Buffer.alloc(0), ipOff: 0, hdrLen: 0, totalLen: 0, proto: 0, v6NextAt: 0,
  };
  private curTs = 0;

  // IPv6 chain results.
  private v6ChainLen = 0;
  private v6LastType = 0;
  private v6NextProto = 0;
  private v6FragAt = -1;
  private v6FragNextAt = 0;
  private v6HasFinalDst = false;
  private v6HasHomeAddr = false;

  constructor(opts: DecoderOptions = {}) {
    this.ignoreChecksums = !!opts.ignoreChecksums;
    for (const p of opts.vxlanPorts ?? [4789]) this.vxlanPort[p & 0xffff] = 1;
    this.frags = new FragmentTable(opts.fragTimeout ?? 300, opts.fragMaxBytes ?? 32 << 20, opts.fragMaxEntries ?? 1 << 16);
  }

  fragWeird(name: string): void {
    this.side(name);
  }

  private side(name: string): void {
    if (this.sideWeirdCount < this.sideWeirds.length) this.sideWeirds[this.sideWeirdCount++] = name;
  }

  private fail(name: string): DecodeStatus {
    this.weird = name;
    return DecodeStatus.Weird;
  }

  private resetState(): void {
    this.weird = '';
    this.violation = '';
    this.sideWeirdCount = 0;
    this.vlan = -1;
    this.innerVlan = -1;
    this.etherType = 0;
    this.l2Offset = -1;
    this.inTeredo = false;
  }

  /** Decodes one captured frame. */
  decode(raw: RawPacket, out: DecodedPacket): DecodeStatus {
    this.resetState();
    // Field-to-field copies keep the double unboxed (passing it as an argument would allocate).
    this.curTs = raw.ts;
    out.ts = raw.ts;
    return this.decodeFrame(raw.data, raw.offset, raw.capLen, raw.wireLen, linkKind(raw.linkType), out);
  }

  /**
   * Decodes bytes buf[off .. off+capLen) starting at layer `kind` (linkKind(), INNER_ETHERNET,
   * INNER_IP, INNER_80211). wireLen is the length on the wire (≥ capLen when the snaplen cut it).
   * out.ts is left as it is (set it before); it is also the time used for fragment expiry.
   */
  decodeFrame(buf: Buffer, off: number, capLen: number, wireLen: number, kind: number, out: DecodedPacket): DecodeStatus {
    resetOut(out);
    out.buf = buf;
    this.curTs = out.ts;
    this.frameStart = off;
    this.frameCap = capLen;
    this.frameWire = wireLen;
    if (off < 0 || capLen < 0 || off + capLen > buf.length) return this.fail('truncated_link_frame');
    let p = off;
    let len = capLen;
    for (let guard = 0; guard < 64; guard++) {
      switch (kind) {
        case K_IP:
          return this.ip(buf, p, len, out);

        case K_ETH: {
          if (len <= 16) return this.fail('truncated_ethernet_frame');
          if (buf[p + 12] === 0x89 && buf[p + 13] === 0x03) {
            // Cisco FabricPath: skip its 16-byte header to the inner Ethernet frame.
            if (16 + 14 >= len) return this.fail('truncated_link_header_cfp');
            p += 16;
            len -= 16;
          }
          const t = u16(buf, p + 12);
          this.etherType = t;
          this.l2Offset = p;
          if (t >= 1536) {
            p += 14;
            len -= 14;
            kind = etherKind(t, false);
            continue;
          }
          if (t <= 1500) {
            p += 14;
            len -= 14;
            if (len < 2) return this.fail('truncated_ethernet_frame');
            if (len > t) len = t;
            kind = llcKind(buf, p);
            continue;
          }
          return this.fail('undefined_ether_type');
        }

        case K_VLAN: {
          if (len <= 4) return this.fail('truncated_VLAN_header');
          const id = u16(buf, p) & 0xfff;
          if (this.vlan < 0) this.vlan = id;
          else {
            if (this.innerVlan >= 0) this.side('triple_tagged_vlan_unsupported');
            this.innerVlan = id;
          }
          const t = u16(buf, p + 2);
          if (t >= 1536) {
            this.etherType = t;
            p += 4;
            len -= 4;
            kind = etherKind(t, true);
            continue;
          }
          if (t <= 1500) {
            p += 4;
            len -= 4;
            if (len < 2) return this.fail('truncated_VLAN_header');
            if (len > t) len = t;
            kind = llcKind(buf, p);
            continue;
          }
          return this.fail('undefined_vlan_protocol');
        }

        case K_MPLS: {
          for (;;) {
            if (len <= 4) return this.fail('truncated_link_header');
            const eos = buf[p + 2] & 1;
            p += 4;
            len -= 4;
            if (eos) break;
          }
          kind = K_IP;
          continue;
        }

        case K_PPPOE: {
          if (len <= 8) return this.fail('truncated_pppoe_header');
          let plen = u16(buf, p + 4);
          const proto = u16(buf, p + 6);
          if (plen !== len - 6) this.side(plen < len - 6 ? 'pppoe_extra_data_after_payload' : 'pppoe_truncated_payload');
          plen = plen >= 2 ? plen - 2 : 0;
          const n = Math.min(plen, len - 8);
          p += 8;
          len = n;
          kind = pppKind(proto);
          continue;
        }

        case K_PPP: {
          if (len <= 2) return this.fail('truncated_ppp_header');
          let proto: number;
          if (buf[p] === 0xff && buf[p + 1] === 0x03) {
            if (len <= 4) return this.fail('truncated_ppp_hdlc_header');
            proto = u16(buf, p + 2);
            p += 4;
            len -= 4;
          } else {
            proto = u16(buf, p);
            p += 2;
            len -= 2;
          }
          kind = pppKind(proto);
          continue;
        }

        case K_PPP_SERIAL: {
          if (len <= 4) return this.fail('truncated_ppp_serial_header');
          const proto = u16(buf, p + 2);
          p += 4;
          len -= 4;
          kind = pppKind(proto);
          continue;
        }

        case K_C_HDLC: {
          // Cisco HDLC: address, control, ethertype. (Zeek has no analyzer for it.)
          if (len <= 4) return this.fail('truncated_link_header');
          const t = u16(buf, p + 2);
          p += 4;
          len -= 4;
          kind = t === 0x0800 || t === 0x86dd ? K_IP : t === 0x8847 ? K_MPLS : K_NONE;
          continue;
        }

        case K_NULL:
        case K_LOOP: {
          if (len <= 4) return this.fail('null_analyzer_failed');
          // DLT_NULL is in the capturing host's byte order (Zeek reads little endian); DLT_LOOP is big endian.
          const le = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
          const be = u32(buf, p);
          const fam = kind === K_LOOP ? be : isNullAF(le) ? le : be;
          p += 4;
          len -= 4;
          kind = isNullAF(fam) ? K_IP : K_NONE;
          continue;
        }

        case K_SLL: {
          if (len <= 16) return this.fail('truncated_Linux_SLL_header');
          const t = u16(buf, p + 14);
          this.etherType = t;
          p += 16;
          len -= 16;
          kind = t === 0x0800 || t === 0x86dd ? K_IP : t === 0x0806 || t === 0x8035 ? K_ARP : K_NONE;
          continue;
        }

        case K_SLL2: {
          if (len <= 20) return this.fail('truncated_Linux_SLL2_header');
          const t = u16(buf, p);
          this.etherType = t;
          p += 20;
          len -= 20;
          kind = t === 0x0800 || t === 0x86dd ? K_IP : t === 0x0806 || t === 0x8035 ? K_ARP : K_NONE;
          continue;
        }

        case K_NFLOG: {
          if (len <= 4) return this.fail('truncated_nflog_header');
          const family = buf[p];
          if (buf[p + 1] !== 0) return this.fail('unknown_nflog_version');
          p += 4;
          len -= 4;
          for (;;) {
            if (len <= 4) return this.fail('nflog_no_pcap_payload');
            // TLV length and type are in the capturing host's byte order (little endian in practice).
            const tlvLen = buf[p] | (buf[p + 1] << 8);
            const tlvType = buf[p + 2] | (buf[p + 3] << 8);
            if (tlvType === 9) {
              p += 4;
              len -= 4;
              break;
            }
            if (tlvLen < 4) return this.fail('nflog_bad_tlv_len');
            const skip = (tlvLen + 3) & ~3;
            if (skip > len) return this.fail('nflog_bad_tlv_len');
            p += skip;
            len -= skip;
          }
          kind = family === 2 || family === 10 ? K_IP : K_NONE;
          continue;
        }

        case K_RADIOTAP: {
          if (len <= 3) return this.fail('truncated_radiotap_header');
          const rl = buf[p + 2] | (buf[p + 3] << 8);
          if (rl >= len) return this.fail('truncated_radiotap_header');
          p += rl;
          len -= rl;
          kind = K_80211;
          continue;
        }

        case K_PPI: {
          // Per-Packet Information header (not in Zeek): version, flags, length, DLT (little endian).
          if (len <= 8) return this.fail('truncated_link_header');
          const hl = buf[p + 2] | (buf[p + 3] << 8);
          const dlt = (buf[p + 4] | (buf[p + 5] << 8) | (buf[p + 6] << 16) | (buf[p + 7] << 24)) >>> 0;
          if (hl < 8 || hl >= len) return this.fail('truncated_link_header');
          p += hl;
          len -= hl;
          kind = dlt === LINKTYPE_IEEE802_11 ? K_80211 : dlt === LINKTYPE_ETHERNET ? K_ETH : K_NONE;
          continue;
        }

        case K_80211: {
          let hl = 24;
          if (hl >= len) return this.fail('truncated_802_11_header');
          const fc = buf[p];
          if (!((fc >> 2) & 0x02)) return DecodeStatus.NotIP; // management / control
          if ((fc >> 4) & 0x04) return DecodeStatus.NotIP; // subtype without data
          if ((buf[p + 1] & 0x03) === 0x03) hl += 6;
          if (hl >= len) return this.fail('truncated_802_11_header');
          let amsdu = false;
          if ((fc >> 4) & 0x08) {
            amsdu = (buf[p + hl] & 0x80) === 0x80;
            if (buf[p + 1] & 0x40) return DecodeStatus.NotIP; // protected: encrypted payload
            hl += 2;
          }
          if (hl >= len) return this.fail('truncated_802_11_header');
          p += hl;
          len -= hl;
          if (amsdu) {
            // A-MSDU: the first subframe is decoded.
            if (len < 14) return this.fail('truncated_802_11_amsdu_header');
            const alen = u16(buf, p + 12);
            if (len < alen + 14) return this.fail('truncated_802_11_amsdu_packet');
            p += 14;
            len = alen;
          }
          if (len < 8) return this.fail('truncated_802_11_llc_header');
          if (buf[p] === 0xaa && buf[p + 1] === 0xaa && buf[p + 2] === 0x03 && buf[p + 3] === 0 && buf[p + 4] === 0 && buf[p + 5] === 0) {
            const t = u16(buf, p + 6);
            this.etherType = t;
            p += 8;
            len -= 8;
            kind = t === 0x0800 || t === 0x86dd ? K_IP : t === 0x0806 || t === 0x8035 ? K_ARP : K_NONE;
            continue;
          }
          return DecodeStatus.NotIP;
        }

        case K_FDDI: {
          const hl = 13 + 8;
          if (hl >= len) return this.fail('FDDI_analyzer_failed');
          p += hl;
          len -= hl;
          kind = K_IP;
          continue;
        }

        case K_PBB: {
          if (len <= 18) return this.fail('truncated_PBB_header');
          p += 4;
          len -= 4;
          kind = K_ETH;
          continue;
        }

        case K_VNTAG: {
          if (len <= 6) return this.fail('truncated_vntag_header');
          const t = u16(buf, p + 4);
          p += 6;
          len -= 6;
          kind = t === 0x8100 || t === 0x88a8 || t === 0x9100 ? K_VLAN : K_NONE;
          continue;
        }

        case K_ATM1483:
          // LLC/SNAP encapsulation straight on the link (not in Zeek).
          if (len >= 2 && buf[p] === 0xaa && buf[p + 1] === 0xaa) { kind = K_SNAP; continue; }
          return DecodeStatus.NotIP;

        case K_SNAP: {
          if (len < 3) return this.fail('truncated_snap_llc_header');
          const ll = (buf[p + 2] & 0x03) !== 0x03 ? 4 : 3;
          if (len < ll + 5) return this.fail('truncated_snap_header');
          const oui = (buf[p + ll] << 16) | (buf[p + ll + 1] << 8) | buf[p + ll + 2];
          const t = u16(buf, p + ll + 3);
          p += ll + 5;
          len -= ll + 5;
          if (oui !== 0) return DecodeStatus.NotIP;
          this.etherType = t;
          kind = t === 0x0800 || t === 0x86dd ? K_IP : t === 0x0806 || t === 0x8035 ? K_ARP : K_NONE;
          continue;
        }

        case K_LLC: {
          if (len < 3) return this.fail('truncated_llc_header');
          const ll = (buf[p + 2] & 0x03) !== 0x03 ? 4 : 3;
          if (len < ll) return this.fail('truncated_llc_header');
          return DecodeStatus.NotIP; // nothing is registered on LLC DSAPs
        }

        case K_NOVELL:
          return DecodeStatus.NotIP;

        case K_ARP: {
          if (len < 8) return this.fail('truncated_ARP');
          if (8 + 2 * buf[p + 4] + 2 * buf[p + 5] > len) return this.fail('truncated_ARP');
          return DecodeStatus.NotIP;
        }

        default:
          return DecodeStatus.NotIP;
      }
    }
    return this.fail('max_packet_analyzer_depth_exceeded');
  }

  // ------------------------------------------------------------------ IP

  private ip(buf: Buffer, p: number, len: number, out: DecodedPacket): DecodeStatus {
    if (len < 20) return this.fail('truncated_IP');
    const hdrSize = p - this.frameStart;
    const v = buf[p] >> 4;
    let totalLen: number;
    let hdrLen: number;
    let payloadLenField: number;
    if (v === 4) {
      totalLen = u16(buf, p + 2);
      hdrLen = (buf[p] & 0x0f) * 4;
      payloadLenField = totalLen ? (totalLen - hdrLen) & 0xffff : 0;
      out.src4 = u32(buf, p + 12);
      out.dst4 = u32(buf, p + 16);
      out.ttl = buf[p + 8];
    } else if (v === 6) {
      if (len < 40) return this.fail('truncated_IP');
      totalLen = u16(buf, p + 4) + 40;
      const s = out.src6, d = out.dst6;
      s[0] = u32(buf, p + 8); s[1] = u32(buf, p + 12); s[2] = u32(buf, p + 16); s[3] = u32(buf, p + 20);
      d[0] = u32(buf, p + 24); d[1] = u32(buf, p + 28); d[2] = u32(buf, p + 32); d[3] = u32(buf, p + 36);
      out.ttl = buf[p + 7];
      this.v6Chain(buf, p, len, out);
      hdrLen = this.v6ChainLen;
      payloadLenField = totalLen - hdrLen;
    } else {
      return this.fail('unknown_ip_version');
    }
    if (totalLen === 0) {
      // TCP segmentation offload zeroes ip_len.
      if (!this.ignoreChecksums) return this.fail('ip_hdr_len_zero');
      this.side('ip_hdr_len_zero');
      totalLen = this.frameCap - hdrSize;
    }
    if (this.frameWire < totalLen + hdrSize) return this.fail('truncated_IP_len');
    if (hdrLen > totalLen) return this.fail('invalid_IP_header_size');
    if (hdrLen > len) return this.fail('internally_truncated_header');
    if (v === 4) {
      if (hdrLen < 20) return this.fail('IPv4_min_header_size');
    } else if (hdrLen < 40) {
      return this.fail('IPv6_min_header_size');
    }
    // From here on Zeek knows the IP header: weirds carry the addresses (flow weirds).
    out.l3 = v === 4 ? L3.IPv4 : L3.IPv6;
    if (v === 4 && !this.ignoreChecksums && cksum(buf, p, hdrLen) !== 0xffff) return this.fail('bad_IP_checksum');

    // Fragments.
    let isFrag: boolean;
    let fragOffset = 0;
    if (v === 4) {
      const off = u16(buf, p + 6);
      isFrag = (off & 0x3fff) !== 0;
      fragOffset = (off & 0x1fff) * 8;
    } else {
      isFrag = this.v6LastType === IPPROTO_FRAGMENT;
      if (isFrag) fragOffset = u16(buf, this.v6FragAt + 2) & 0xfff8;
    }
    if (isFrag) {
      if (len < totalLen) {
        this.side('incompletely_captured_fragment');
        if (fragOffset !== 0) return this.fail('incompletely_captured_fragment');
      } else {
        const f = this.frag;
        f.v6 = v === 6;
        f.buf = buf;
        f.ipOff = p;
        f.hdrLen = hdrLen;
        f.totalLen = totalLen;
        f.offset = fragOffset;
        if (v === 4) {
          const off = u16(buf, p + 6);
          f.mf = (off & 0x2000) !== 0;
          f.df = (off & 0x4000) !== 0;
          f.id = u16(buf, p + 4);
          f.src4 = out.src4;
          f.dst4 = out.dst4;
          f.proto = buf[p + 9];
        } else {
          f.mf = (buf[this.v6FragAt + 3] & 1) !== 0;
          f.df = false;
          f.id = u32(buf, this.v6FragAt + 4);
          f.src6.set(out.src6);
          f.dst6.set(out.dst6);
          f.proto = this.v6NextProto;
          f.v6NextAt = this.v6FragNextAt - p;
        }
        const whole = this.frags.add(this.curTs, f, this);
        if (!whole) return DecodeStatus.Fragment;
        // Continue with the reassembled datagram (the one allowed copy).
        return this.reassembled(whole, out);
      }
    }
    return this.ipPayload(buf, p, len, v, totalLen, hdrLen, payloadLenField, out);
  }

  /** Decodes a datagram rebuilt from fragments (its header checks were made on the fragments). */
  private reassembled(d: Buffer, out: DecodedPacket): DecodeStatus {
    out.buf = d;
    out.reassembled = true;
    this.frameStart = 0;
    this.frameCap = d.length;
    this.frameWire = d.length;
    const v = d[0] >> 4;
    let totalLen: number;
    let hdrLen: number;
    let payloadLenField: number;
    out.l3 = v === 4 ? L3.IPv4 : L3.IPv6;
    if (v === 4) {
      totalLen = u16(d, 2);
      hdrLen = (d[0] & 0x0f) * 4;
      payloadLenField = totalLen ? (totalLen - hdrLen) & 0xffff : 0;
    } else {
      totalLen = u16(d, 4) + 40;
      const s = out.src6, t = out.dst6;
      s[0] = u32(d, 8); s[1] = u32(d, 12); s[2] = u32(d, 16); s[3] = u32(d, 20);
      t[0] = u32(d, 24); t[1] = u32(d, 28); t[2] = u32(d, 32); t[3] = u32(d, 36);
      this.v6Chain(d, 0, d.length, out);
      hdrLen = this.v6ChainLen;
      payloadLenField = totalLen - hdrLen;
    }
    if (hdrLen > totalLen) return this.fail('invalid_IP_header_size');
    return this.ipPayload(d, 0, Math.min(d.length, totalLen), v, totalLen, hdrLen, payloadLenField, out);
  }

  private ipPayload(buf: Buffer, p: number, len: number, v: number, totalLen: number, hdrLen: number, payloadLenField: number, out: DecodedPacket): DecodeStatus {
    out.ipOffset = p;
    out.ipHeaderLen = hdrLen;
    out.ipLen = totalLen;
    out.ipCapLen = len < totalLen ? len : totalLen;
    if (v === 6) {
      if (this.v6LastType === IPPROTO_ESP || this.v6LastType === IPPROTO_MOBILITY) {
        out.ipProto = this.v6LastType;
        return DecodeStatus.Ignored;
      }
    }
    let rem = len - hdrLen;
    if (payloadLenField !== 0 && payloadLenField < rem) rem = payloadLenField;
    const proto = v === 4 ? buf[p + 9] : this.v6NextProto;
    out.ipProto = proto;
    out.l4Offset = p + hdrLen;
    out.l4CapLen = rem;
    out.l4Len = payloadLenField !== 0 ? payloadLenField : rem;
    if (proto === IPPROTO_NONE) {
      if (this.inTeredo) return DecodeStatus.Ignored;
      return this.fail('ipv6_no_next');
    }
    switch (proto) {
      case IPPROTO_TCP: return this.tcp(buf, out, payloadLenField, v);
      case IPPROTO_UDP: return this.udp(buf, out, payloadLenField, v);
      case IPPROTO_ICMP:
      case IPPROTO_ICMPV6: return this.icmp(buf, out, payloadLenField, v, proto);
      default:
        // IP in IP, GRE (tunnels for the flow layer) and every other protocol (unknown_transport).
        out.payloadOffset = out.l4Offset;
        out.payloadCapLen = rem < out.l4Len ? rem : out.l4Len;
        out.payloadLen = out.l4Len;
        return DecodeStatus.Ok;
    }
  }

  /** Zeek's CheckHeaderTrunc: packet-level weirds before a connection exists. */
  private headerTrunc(min: number, payloadLenField: number, rem: number): boolean {
    if (payloadLenField && payloadLenField < min) {
      this.weird = 'truncated_header';
      return true;
    }
    if (rem < min) {
      this.weird = 'internally_truncated_header';
      return true;
    }
    return false;
  }

  private tcp(buf: Buffer, out: DecodedPacket, payloadLenField: number, v: number): DecodeStatus {
    const t = out.l4Offset;
    const rem = out.l4CapLen;
    if (this.headerTrunc(20, payloadLenField, rem)) return DecodeStatus.Weird;
    out.srcPort = u16(buf, t);
    out.dstPort = u16(buf, t + 2);
    out.tcpSeq = u32(buf, t + 4);
    out.tcpAck = u32(buf, t + 8);
    out.tcpFlags = buf[t + 13];
    out.tcpWin = u16(buf, t + 14);
    const thl = (buf[t + 12] >> 4) * 4;
    out.tcpHeaderLen = thl;
    const len = out.l4Len;
    if (thl < 20) {
      this.weird = 'bad_TCP_header_len';
      return DecodeStatus.ConnWeird;
    }
    if (thl > len || thl > rem) {
      this.weird = 'truncated_header';
      return DecodeStatus.ConnWeird;
    }
    out.payloadOffset = t + thl;
    out.payloadLen = len - thl;
    out.payloadCapLen = (rem < len ? rem : len) - thl;
    if (!this.ignoreChecksums && rem >= len) {
      const s = v === 4 ? pseudo4(out.src4, out.dst4, IPPROTO_TCP, len) : pseudo6(out.src6, out.dst6, IPPROTO_TCP, len);
      if (fold(s + sum16(buf, t, len)) !== 0xffff) {
        out.badChecksum = true;
        this.weird = 'bad_TCP_checksum';
        return DecodeStatus.ConnWeird;
      }
    }
    return DecodeStatus.Ok;
  }

  private udp(buf: Buffer, out: DecodedPacket, payloadLenField: number, v: number): DecodeStatus {
    const t = out.l4Offset;
    const rem = out.l4CapLen;
    if (this.headerTrunc(8, payloadLenField, rem)) return DecodeStatus.Weird;
    out.srcPort = u16(buf, t);
    out.dstPort = u16(buf, t + 2);
    const len = out.l4Len;
    out.payloadOffset = t + 8;
    out.payloadLen = len - 8;
    out.payloadCapLen = (rem < len ? rem : len) - 8;
    if (out.payloadCapLen < 0) out.payloadCapLen = 0;
    let validate = !this.ignoreChecksums && rem >= len && this.frameWire <= this.frameCap;
    const sum = u16(buf, t + 6);
    if (validate && len > 8 + 8 + 14 && (buf[t + 8] & 0x08) === 0x08 && this.vxlanPort[out.dstPort] === 1) {
      // VXLAN on its port: a zero checksum is accepted (Tunnel::validate_vxlan_checksums is T otherwise).
      if (sum === 0) validate = false;
    }
    if (validate && (v === 6 || sum !== 0)) {
      const s = v === 4 ? pseudo4(out.src4, out.dst4, IPPROTO_UDP, len) : pseudo6(out.src6, out.dst6, IPPROTO_UDP, len);
      if (fold(s + sum16(buf, t, len)) !== 0xffff) {
        out.badChecksum = true;
        this.weird = 'bad_UDP_checksum';
        return DecodeStatus.ConnWeird;
      }
    }
    return DecodeStatus.Ok;
  }

  private icmp(buf: Buffer, out: DecodedPacket, payloadLenField: number, v: number, proto: number): DecodeStatus {
    const t = out.l4Offset;
    const rem = out.l4CapLen;
    if (this.headerTrunc(8, payloadLenField, rem)) return DecodeStatus.Weird;
    out.icmpType = buf[t];
    out.icmpCode = buf[t + 1];
    out.srcPort = buf[t];
    out.dstPort = buf[t + 1];
    const len = out.l4Len;
    out.payloadOffset = t + 8;
    out.payloadLen = len - 8;
    out.payloadCapLen = (rem < len ? rem : len) - 8;
    if (out.payloadCapLen < 0) out.payloadCapLen = 0;
    if (!this.ignoreChecksums && rem >= len) {
      let s: number;
      if (proto === IPPROTO_ICMP) s = sum16(buf, t, len);
      else s = (v === 4 ? pseudo4(out.src4, out.dst4, IPPROTO_ICMPV6, len) : pseudo6(out.src6, out.dst6, IPPROTO_ICMPV6, len)) + sum16(buf, t, len);
      if (fold(s) !== 0xffff) {
        out.badChecksum = true;
        this.weird = 'bad_ICMP_checksum';
        return DecodeStatus.ConnWeird;
      }
    }
    return DecodeStatus.Ok;
  }

  /** Walks the IPv6 header chain as Zeek's IPv6_Hdr_Chain::Init (captured bytes only). */
  private v6Chain(buf: Buffer, p: number, len: number, out: DecodedPacket): void {
    let total = len;
    let o = p;
    let cur = IPPROTO_IPV6;
    let next = buf[p + 6];
    let chain = 0;
    let lastType = IPPROTO_IPV6;
    let lastNext = next;
    let prevNextAt = p + 6;
    this.v6FragAt = -1;
    this.v6HasFinalDst = false;
    this.v6HasHomeAddr = false;
    for (let guard = 0; guard < 256; guard++) {
      if (total < 2) break;
      let curLen: number;
      switch (cur) {
        case IPPROTO_IPV6: curLen = 40; next = buf[o + 6]; break;
        case IPPROTO_HOPOPTS: case IPPROTO_DSTOPTS: case IPPROTO_ROUTING: case IPPROTO_MOBILITY:
          curLen = 8 + 8 * buf[o + 1]; next = buf[o]; break;
        case IPPROTO_FRAGMENT: curLen = 8; next = buf[o]; break;
        case IPPROTO_AH: curLen = 8 + 4 * buf[o + 1]; next = buf[o]; break;
        case IPPROTO_ESP: curLen = 8; next = IPPROTO_NONE; break;
        default: curLen = 0; next = IPPROTO_NONE;
      }
      if (curLen > total) break;
      lastType = cur;
      lastNext = next;
      if (cur === IPPROTO_FRAGMENT) {
        this.v6FragAt = o;
        this.v6FragNextAt = prevNextAt;
      }
      if (cur === IPPROTO_ROUTING) this.routing(buf, o, curLen, out);
      else if (cur === IPPROTO_DSTOPTS) this.dstOpts(buf, o, curLen, out);
      prevNextAt = cur === IPPROTO_IPV6 ? o + 6 : o;
      o += curLen;
      chain += curLen;
      total -= curLen;
      if (cur === IPPROTO_FRAGMENT || cur === IPPROTO_ESP || cur === IPPROTO_MOBILITY || !isV6Ext(next)) break;
      cur = next;
    }
    this.v6ChainLen = chain;
    this.v6LastType = lastType;
    this.v6NextProto = lastNext;
  }

  private routing(buf: Buffer, o: number, len: number, out: DecodedPacket): void {
    if (this.v6HasFinalDst) {
      this.side('multiple_routing_headers');
      return;
    }
    const rlen = buf[o + 1];
    const type = buf[o + 2];
    const segLeft = buf[o + 3];
    const a = o + len - 16;
    if (type === 0) {
      if (segLeft > 0 && rlen >= 2) {
        if (rlen % 2 === 0) this.finalDst(buf, a, out);
        else this.side('odd_routing0_len');
      }
      this.side('routing0_hdr');
    } else if (type === 2) {
      if (segLeft > 0) {
        if (rlen === 2) this.finalDst(buf, a, out);
        else this.side('bad_routing2_len');
      }
    } else {
      this.side('unknown_routing_type');
    }
  }

  private finalDst(buf: Buffer, a: number, out: DecodedPacket): void {
    this.v6HasFinalDst = true;
    const d = out.dst6;
    d[0] = u32(buf, a); d[1] = u32(buf, a + 4); d[2] = u32(buf, a + 8); d[3] = u32(buf, a + 12);
  }

  private dstOpts(buf: Buffer, o: number, len: number, out: DecodedPacket): void {
    let q = o + 2;
    let n = len - 2;
    while (n > 0) {
      const type = buf[q];
      if (type === 0) { q++; n--; continue; }
      if (n < 2 || n < 2 + buf[q + 1]) {
        this.side('bad_ipv6_dest_opt_len');
        return;
      }
      const olen = buf[q + 1];
      if (type === 201) {
        if (olen === 16) {
          if (this.v6HasHomeAddr) this.side('multiple_home_addr_opts');
          else {
            this.v6HasHomeAddr = true;
            const s = out.src6;
            s[0] = u32(buf, q + 2); s[1] = u32(buf, q + 6); s[2] = u32(buf, q + 10); s[3] = u32(buf, q + 14);
          }
        } else this.side('bad_home_addr_len');
      }
      q += 2 + olen;
      n -= 2 + olen;
    }
  }

  // ------------------------------------------------------------------ tunnels

  /** Starts a tunnel decode: the inner packet inherits the outer's time and the Teredo flag. */
  private beginInner(outer: DecodedPacket, inner: DecodedPacket, type: string): void {
    this.resetState();
    this.tunnelType = type;
    this.tunnelConfirmed = false;
    this.curTs = outer.ts;
    inner.ts = outer.ts;
  }

  /**
   * IP in IP (outer ipProto 4 or 41): decodes the inner IP packet into `inner`. Zeek: the inner
   * packet is the rest of the outer payload (Tunnel::IP).
   */
  decapIP(outer: DecodedPacket, inner: DecodedPacket): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::IP');
    const n = outer.l4CapLen;
    return this.decodeFrame(outer.buf, outer.l4Offset, n, n, K_IP, inner);
  }

  /**
   * GRE (outer ipProto 47, or UDP port 4754 with `fromUdp`): strips GRE (v0 with checksum/key/
   * sequence, transparent Ethernet bridging, ERSPAN I/II/III; v1 PPTP) and decodes the inner packet.
   */
  decapGRE(outer: DecodedPacket, inner: DecodedPacket, fromUdp = false): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::GRE');
    const buf = outer.buf;
    let d = fromUdp ? outer.payloadOffset : outer.l4Offset;
    let len = fromUdp ? outer.payloadCapLen : outer.l4CapLen;
    if (len < 4) return this.fail('truncated_GRE');
    const flags = u16(buf, d);
    const protoTyp = u16(buf, d + 2);
    const ver = flags & 0x0007;
    let greLen = 4;
    if (flags & 0x8000) greLen += 4;
    if (flags & 0x2000) greLen += 4;
    if (flags & 0x1000) greLen += 4;
    if (flags & 0x0080) greLen += 4;
    const pptpLen = ver === 1 ? 4 : 0;
    let ethLen = 0;
    let erspanLen = 0;
    let kind = K_IP;
    if (ver !== 0 && ver !== 1) return this.fail('unknown_gre_version');
    this.greVersion = ver;
    if (ver === 0) {
      if (protoTyp === 0x6558) {
        if (len > greLen + 14) { ethLen = 14; kind = K_ETH; } else return this.fail('truncated_GRE');
      } else if (protoTyp === 0x88be) {
        if (len > greLen + 14) {
          ethLen = 14;
          kind = K_ETH;
          if ((flags & 0x1000) === 0x1000) {
            erspanLen += 8; // ERSPAN type II
            if (len < greLen + ethLen + erspanLen) return this.fail('truncated_GRE');
          }
        } else return this.fail('truncated_GRE');
      } else if (protoTyp === 0x22eb) {
        if (len > greLen + 14 + 12) {
          erspanLen = 12;
          ethLen = 14;
          kind = K_ETH;
          if ((buf[d + greLen + erspanLen - 1] & 0x01) === 0x01) {
            if (len > greLen + erspanLen + 8 + ethLen) erspanLen += 8;
            else return this.fail('truncated_GRE');
          }
        } else return this.fail('truncated_GRE');
      } else if (((protoTyp & 0x8200) === 0x8200 && (protoTyp & 0x0f) === 0) ||
        ((protoTyp & 0x8300) === 0x8300 && (protoTyp & 0x0f) === 0 && protoTyp <= 0x8370) || protoTyp === 0x9000) {
        // Aruba: 802.11 inside (Zeek sets the 802.11 link type for 0x9000 as well).
        if (len <= greLen) return this.fail('truncated_GRE');
        kind = K_80211;
      }
    } else if (protoTyp !== 0x880b) {
      return this.fail('egre_protocol_type');
    }
    if (flags & 0x4000) return this.fail('gre_routing');
    if (flags & 0x0078) return this.fail('unknown_gre_flags');
    if (len < greLen + pptpLen + ethLen + erspanLen) return this.fail('truncated_GRE');
    if (ver === 1) {
      const pp = u16(buf, d + greLen + 2);
      if (pp !== 0x0021 && pp !== 0x0057) return this.fail('non_ip_packet_in_encap');
    }
    d += greLen + pptpLen + erspanLen;
    len -= greLen + pptpLen + erspanLen;
    if (kind === K_NONE) return DecodeStatus.NotIP;
    if (ver === 1) {
      // PPTP: the inner IP packet must match its own length exactly.
      const r = this.parseInnerIP(buf, d, len, buf[d] >> 4 === 6 ? 6 : 4);
      if (r === 1) return this.fail('invalid_inner_IP_version');
      if (r === 2) return this.fail('truncated_inner_IP');
      if (r === 3) return this.fail('inner_IP_payload_length_mismatch');
      return this.decodeFrame(buf, d, len, len, K_IP, inner);
    }
    return this.decodeFrame(buf, d, len, len, kind, inner);
  }

  /**
   * Zeek's IP::ParsePacket: 0 OK, 1 BAD_PROTOCOL, 2 CAPLEN_TOO_SMALL, 3 CAPLEN_TOO_LARGE.
   * `v` is the expected version (4 or 6).
   */
  private parseInnerIP(buf: Buffer, d: number, len: number, v: number): number {
    let total: number;
    if (v === 6) {
      if (len < 40) return 2;
      if ((buf[d] & 0xf0) !== 0x60) return 1;
      total = u16(buf, d + 4) + 40;
    } else {
      if (len < 20) return 1;
      if (buf[d] >> 4 !== 4) return 1;
      total = u16(buf, d + 2);
    }
    if (len !== total) return len < total ? 2 : 3;
    return 0;
  }

  /**
   * VXLAN (UDP, port 4789): 8-byte header with the I flag, inner Ethernet. `outerWireLen` and
   * `outerCapLen` are the outer frame's lengths (for the inner packet's wire length, as Zeek).
   */
  decapVXLAN(outer: DecodedPacket, inner: DecodedPacket, outerWireLen = 0, outerCapLen = 0): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::VXLAN');
    const buf = outer.buf;
    const d = outer.payloadOffset;
    const len = outer.payloadCapLen;
    if (len < 8) return this.violate('VXLAN header truncation');
    if ((buf[d] & 0x08) === 0) return this.violate("VXLAN 'I' flag not set");
    this.tunnelConfirmed = true;
    if (len === 8) return this.fail('vxlan_empty_packet');
    const n = len - 8;
    return this.decodeFrame(buf, d + 8, n, this.wireOf(n, outerWireLen, outerCapLen), K_ETH, inner);
  }

  /** Geneve (UDP, port 6081): header with options, then Ethernet (0x6558), IPv4/IPv6 or ARP. */
  decapGeneve(outer: DecodedPacket, inner: DecodedPacket, outerWireLen = 0, outerCapLen = 0): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::Geneve');
    const buf = outer.buf;
    const d = outer.payloadOffset;
    const len = outer.payloadCapLen;
    if (len < 8) return this.violate('Geneve header truncation');
    const version = buf[d] >> 6;
    if (version !== 0) return this.fail('geneve_invalid_version');
    const hl = 8 + (buf[d] & 0x3f) * 4;
    if (hl > len) return this.violate('Geneve option header truncation');
    const next = u16(buf, d + 2);
    this.tunnelConfirmed = true;
    if (len === hl) return this.fail('geneve_empty_packet');
    const n = len - hl;
    const kind = next === 0x6558 ? K_ETH : next === 0x0800 || next === 0x86dd ? K_IP : next === 0x0806 ? K_ARP : K_NONE;
    if (kind === K_NONE) return DecodeStatus.NotIP;
    return this.decodeFrame(buf, d + hl, n, this.wireOf(n, outerWireLen, outerCapLen), kind, inner);
  }

  /** Teredo (UDP, port 3544): optional authentication and origin indications, then IPv6. */
  decapTeredo(outer: DecodedPacket, inner: DecodedPacket, outerWireLen = 0, outerCapLen = 0): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::Teredo');
    const buf = outer.buf;
    let d = outer.payloadOffset;
    let len = outer.payloadCapLen;
    let foundOrigin = false;
    let foundAuth = false;
    this.teredoOriginOffset = -1;
    this.teredoAuthOffset = -1;
    for (;;) {
      if (len < 2) { this.side('truncated_Teredo'); return this.violate('Bad Teredo encapsulation'); }
      const tag = u16(buf, d);
      if (tag === 0) {
        if (foundOrigin) return this.violate('Bad Teredo encapsulation');
        if (len < 8) { this.side('truncated_Teredo_origin_indication'); return this.violate('Bad Teredo encapsulation'); }
        this.teredoOriginOffset = d;
        foundOrigin = true;
        d += 8;
        len -= 8;
        continue;
      }
      if (tag === 1) {
        if (foundOrigin || foundAuth) return this.violate('Bad Teredo encapsulation');
        if (len < 4) { this.side('truncated_Teredo_authentication'); return this.violate('Bad Teredo encapsulation'); }
        const tot = 4 + buf[d + 2] + buf[d + 3] + 8 + 1;
        if (len < tot) { this.side('truncated_Teredo_authentication'); return this.violate('Bad Teredo encapsulation'); }
        this.teredoAuthOffset = d;
        foundAuth = true;
        d += tot;
        len -= tot;
        continue;
      }
      if ((tag & 0xf000) >> 12 === 6) {
        if (len < 40) { this.side('truncated_IPv6_in_Teredo'); return this.violate('Bad Teredo encapsulation'); }
        break;
      }
      return this.violate('Bad Teredo encapsulation');
    }
    const r = this.parseInnerIP(buf, d, len, 6);
    if (r === 3) {
      if (buf[d + 6] === IPPROTO_NONE && u16(buf, d + 4) === 0) this.side('Teredo_bubble_with_payload');
      else return this.violate('Teredo payload length');
    }
    if (r === 1 || r === 2) return this.violate('Truncated Teredo or invalid inner IP version');
    this.tunnelConfirmed = true;
    const wire = this.wireOf(len, outerWireLen, outerCapLen);
    this.inTeredo = true;
    return this.decodeFrame(buf, d, len, wire, K_IP, inner);
  }

  /** Offsets of the last Teredo origin indication / authentication headers, -1 when absent. */
  teredoOriginOffset = -1;
  teredoAuthOffset = -1;

  /** AYIYA (UDP, port 5072): identity and signature, op code 1 (forward), next header 4 or 41. */
  decapAYIYA(outer: DecodedPacket, inner: DecodedPacket, outerWireLen = 0, outerCapLen = 0): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::AYIYA');
    const buf = outer.buf;
    const d = outer.payloadOffset;
    const len = outer.payloadCapLen;
    if (len < 8) return this.violate('Truncated AYIYA');
    const hl = 8 + (1 << (buf[d] >> 4)) + (buf[d + 1] >> 4) * 4;
    if (hl > len) return this.violate('Truncated AYIYA');
    if ((buf[d + 2] & 0x0f) !== 1) return DecodeStatus.Ignored;
    const next = buf[d + 3];
    this.tunnelConfirmed = true;
    if (len === hl) return this.fail('ayiya_empty_packet');
    if (next !== IPPROTO_IPIP && next !== IPPROTO_IPV6) return DecodeStatus.NotIP;
    const n = len - hl;
    return this.decodeFrame(buf, d + hl, n, this.wireOf(n, outerWireLen, outerCapLen), K_IP, inner);
  }

  /** GTPv1-U (UDP, ports 2152/2123): G-PDU (message 255) with optional fields and extension headers, then IP. */
  decapGTPv1(outer: DecodedPacket, inner: DecodedPacket, outerWireLen = 0, outerCapLen = 0): DecodeStatus {
    this.beginInner(outer, inner, 'Tunnel::GTPv1');
    const buf = outer.buf;
    const d = outer.payloadOffset;
    const len = outer.payloadCapLen;
    if (len < 8) return this.violate('Binpac exception: truncated GTPv1 header');
    const flags = buf[d];
    const msgType = buf[d + 1];
    if ((flags & 0xe0) >> 5 !== 1) return this.violate('GTPv1 bad Version');
    if (!(flags & 0x10)) return DecodeStatus.Ignored; // GTP' — not of interest
    if (msgType !== 255) return DecodeStatus.Ignored; // control messages: no inner packet
    let hl = 8;
    if (flags & 0x07) {
      if (len < 12) return this.violate('Binpac exception: truncated GTPv1 header');
      hl = 12;
      if (flags & 0x04) {
        // Extension headers follow until one names next type 0 (binpac parses at least one).
        for (let guard = 0; guard < 256; guard++) {
          if (hl + 1 > len) return this.violate('Binpac exception: truncated GTPv1 extension header');
          const el = buf[d + hl] * 4;
          if (el === 0 || hl + el > len) return this.violate('Binpac exception: truncated GTPv1 extension header');
          const nextType = buf[d + hl + el - 1];
          hl += el;
          if (nextType === 0) break;
        }
      }
    }
    const n = len - hl;
    if (n < 20) return this.violate('Truncated GTPv1');
    const v = buf[d + hl] >> 4;
    if (v !== 4 && v !== 6) return this.violate('non-IP packet in GTPv1');
    const r = this.parseInnerIP(buf, d + hl, n, v);
    if (r === 1) return this.violate('Invalid IP version in wrapped packet');
    if (r === 2) return this.violate('Truncated GTPv1');
    if (r === 3) return this.violate('GTPv1 payload length');
    this.tunnelConfirmed = true;
    return this.decodeFrame(buf, d + hl, n, this.wireOf(n, outerWireLen, outerCapLen), K_IP, inner);
  }

  /** Wire length of an inner packet of `innerCap` captured bytes (Zeek's build_inner_packet). */
  private wireOf(innerCap: number, outerWire: number, outerCap: number): number {
    if (outerWire <= 0 || outerCap <= 0) return innerCap;
    const w = outerWire - (outerCap - innerCap);
    return w > innerCap ? w : innerCap;
  }

  private violate(reason: string): DecodeStatus {
    this.violation = reason;
    return DecodeStatus.Violation;
  }

}

function isNullAF(v: number): boolean {
  return v === 2 || v === 24 || v === 28 || v === 30;
}

function pppKind(proto: number): number {
  return proto === 0x0021 || proto === 0x0057 ? K_IP : proto === 0x0281 ? K_MPLS : K_NONE;
}

function llcKind(buf: Buffer, p: number): number {
  if (buf[p] === 0xaa && buf[p + 1] === 0xaa) return K_SNAP;
  if (buf[p] === 0xff && buf[p + 1] === 0xff) return K_NOVELL;
  return K_LLC;
}

/**
 * Zeek's Teredo protocol detection (TeredoAnalyzer::DetectProtocol) on a UDP payload, for Teredo
 * on ports other than 3544.
 */
export function detectTeredo(b: Buffer, o: number, len: number): boolean {
  if (len < 40) return false;
  if (len > 8 && b[o] >> 4 !== 6 && (b[o] !== 0 || (b[o + 1] !== 0 && b[o + 1] !== 1))) return false;
  // The old DPD pattern: exactly 40 bytes, an IPv6 header with a Teredo (2001:0000::/32) address.
  if (len === 40 && b[o] >> 4 === 6) {
    if (b[o + 8] === 0x20 && b[o + 9] === 0x01 && b[o + 10] === 0 && b[o + 11] === 0) return true;
    if (b[o + 24] === 0x20 && b[o + 25] === 0x01 && b[o + 26] === 0 && b[o + 27] === 0) return true;
  }
  let val = b[o + 1];
  if (val === 1) {
    const skip = 13 + b[o + 2] + b[o + 3];
    if (len < skip) return false;
    o += skip;
    len -= skip;
    if (len < 40) return false;
    val = u16(b, o);
  }
  if (val === 0) {
    if (len < 8) return false;
    o += 8;
    len -= 8;
    if (len < 40) return false;
    return b[o] >> 4 === 6;
  }
  return false;
}

/** Zeek's AYIYA protocol detection on a UDP payload. */
export function detectAYIYA(b: Buffer, o: number, len: number): boolean {
  return len >= 3 && b[o + 1] === 0x52 && b[o + 2] === 0x11;
}

/** Clears the fields a decode sets, so nothing leaks from the previous packet. */
export function resetOut(out: DecodedPacket): void {
  out.l3 = L3.None;
  out.ipOffset = 0;
  out.ipHeaderLen = 0;
  out.ipLen = 0;
  out.ipCapLen = 0;
  out.ttl = 0;
  out.src4 = 0;
  out.dst4 = 0;
  out.ipProto = 0;
  out.l4Offset = 0;
  out.l4CapLen = 0;
  out.l4Len = 0;
  out.srcPort = 0;
  out.dstPort = 0;
  out.tcpFlags = 0;
  out.tcpSeq = 0;
  out.tcpAck = 0;
  out.tcpWin = 0;
  out.tcpHeaderLen = 0;
  out.icmpType = 0;
  out.icmpCode = 0;
  out.payloadOffset = 0;
  out.payloadCapLen = 0;
  out.payloadLen = 0;
  out.badChecksum = false;
  out.reassembled = false;
}

/**
 * Zeek's ICMP counterpart (ICMP4_counterpart / ICMP6_counterpart): the type that answers `type`
 * (echo ↔ echo reply, …), or the code for one-way messages. This is conn.log's resp_p for ICMP.
 */
export function icmpCounterpart(type: number, code: number, v6: boolean): number {
  const c = counterpartType(type, v6);
  return c < 0 ? code : c;
}

/** True for ICMP messages without a counterpart (Zeek's is_one_way). */
export function icmpIsOneWay(type: number, v6: boolean): boolean {
  return counterpartType(type, v6) < 0;
}

function counterpartType(type: number, v6: boolean): number {
  if (!v6) {
    switch (type) {
      case 8: return 0;
      case 0: return 8;
      case 13: return 14;
      case 14: return 13;
      case 15: return 16;
      case 16: return 15;
      case 10: return 9;
      case 9: return 10;
      case 17: return 18;
      case 18: return 17;
      default: return -1;
    }
  }
  switch (type) {
    case 128: return 129;
    case 129: return 128;
    case 133: return 134;
    case 134: return 133;
    case 135: return 136;
    case 136: return 135;
    case 130: return 131;
    case 131: return 130;
    case 139: return 140;
    case 140: return 139;
    case 144: return 145;
    case 145: return 144;
    default: return -1;
  }
}

/**
 * A 32-bit hash of the unordered 5-tuple of a decoded packet (the same for both directions), for
 * sharding packets by flow across worker threads. For ICMP the type/code stand in for the ports,
 * folded so that a request and its reply land together.
 */
export function flowHash(p: DecodedPacket): number {
  let a: number, b: number;
  if (p.l3 === L3.IPv6) {
    a = Math.imul(p.src6[0] ^ p.src6[1] ^ p.src6[2], 0x9e3779b1) ^ p.src6[3];
    b = Math.imul(p.dst6[0] ^ p.dst6[1] ^ p.dst6[2], 0x9e3779b1) ^ p.dst6[3];
  } else {
    a = p.src4;
    b = p.dst4;
  }
  let sp = p.srcPort, dp = p.dstPort;
  if (p.ipProto === 1 || p.ipProto === 58) { sp = 0; dp = 0; }
  // Order-independent combination: mix each endpoint, then add.
  const e1 = mix32((a ^ Math.imul(sp, 0x85ebca6b)) >>> 0);
  const e2 = mix32((b ^ Math.imul(dp, 0x85ebca6b)) >>> 0);
  return mix32(((e1 + e2) ^ Math.imul(p.ipProto, 0xc2b2ae35)) >>> 0);
}

function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
