// Contract between the decoders and the flow layer. One DecodedPacket is reused for every frame:
// decoders fill it in place from the frame's bytes, nothing is copied in the hot path.

export const enum L3 { None = 0, IPv4 = 4, IPv6 = 6 }

export class DecodedPacket {
  ts = 0;
  /** The bytes the offsets below index into (the frame, or a reassembled datagram). */
  buf: Buffer = Buffer.alloc(0);

  /** Network layer; L3.None for frames that carry no IP (ARP, LLDP, …). */
  l3: L3 = L3.None;
  /** Start of the (innermost analysed) IP header in buf. */
  ipOffset = 0;
  ipHeaderLen = 0;
  /** IP length per the header (IPv4 total length, IPv6 40 + payload length): Zeek's ip bytes. */
  ipLen = 0;
  /** Bytes of the IP datagram actually captured. */
  ipCapLen = 0;
  ttl = 0;
  /** IPv4 addresses as unsigned 32-bit numbers. */
  src4 = 0;
  dst4 = 0;
  /** IPv6 addresses as four unsigned 32-bit words, network order. */
  readonly src6 = new Uint32Array(4);
  readonly dst6 = new Uint32Array(4);

  /** Transport protocol number after IPv6 extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 47 GRE, …). */
  ipProto = 0;
  /** Start of the transport header in buf, and bytes of transport header + payload captured. */
  l4Offset = 0;
  l4CapLen = 0;
  /** Transport length per the IP header (may exceed l4CapLen when the snaplen cut the frame). */
  l4Len = 0;

  srcPort = 0;
  dstPort = 0;
  /** TCP */
  tcpFlags = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpWin = 0;
  tcpHeaderLen = 0;
  /** ICMP / ICMPv6 */
  icmpType = 0;
  icmpCode = 0;

  /** Application payload: buf[payloadOffset .. payloadOffset+payloadCapLen); payloadLen per the headers. */
  payloadOffset = 0;
  payloadCapLen = 0;
  payloadLen = 0;

  /** True when a checksum was checked and found wrong (never set under -C). */
  badChecksum = false;
  /** True when this datagram was put back together from IP fragments. */
  reassembled = false;
}

export const TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10, TCP_URG = 0x20;
