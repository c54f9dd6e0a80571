// The decode layer: in-place decoders (link layers, IP with fragment reassembly, TCP/UDP/ICMP,
// tunnels) filling a reused DecodedPacket, plus address formatting for the once-per-connection path.

export { DecodedPacket, L3, TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK, TCP_URG } from './packet.js';
export {
  Decoder, DecodeStatus, type DecoderOptions, linkKind, isDecodedLinkType, resetOut, icmpCounterpart, icmpIsOneWay, detectTeredo, detectAYIYA, flowHash,
  INNER_ETHERNET, INNER_IP, INNER_80211,
  LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_PPP, LINKTYPE_FDDI, LINKTYPE_RAW, LINKTYPE_PPP_HDLC, LINKTYPE_ATM_RFC1483,
  LINKTYPE_C_HDLC, LINKTYPE_IEEE802_11, LINKTYPE_LOOP, LINKTYPE_LINUX_SLL, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_PPI,
  LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_NFLOG, LINKTYPE_LINUX_SLL2,
} from './decoder.js';
export { FragmentTable } from './frag.js';
export { formatIPv4, formatIPv6, formatAddr, parseIPv4 } from './addr.js';
export { cksum, sum16, fold, pseudo4, pseudo6 } from './checksum.js';
