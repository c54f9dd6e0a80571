// Deterministic traffic synthesis: seeded PRNG, frame builders with correct checksums, a streaming pcap
// writer, session builders and a time-ordered scheduler. Used by bench/ and by the demo capture generator.
export { Rng } from './rng.js';
export { checksum, finish, pseudoHeaderSum, sum16, verifyTransport } from './checksum.js';
export {
  FrameBuilder, ipBytes, macFor, synOptions,
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, PROTO_ICMP, PROTO_ICMP6, PROTO_TCP, PROTO_UDP,
  FIN, SYN, RST, PSH, ACK, URG,
} from './packets.js';
export { PcapWriter, LINKTYPE_ETHERNET, type PacketSink, type PcapWriterOptions } from './pcap-writer.js';
export {
  Session, TcpSession, UdpExchange, IcmpEchoSeries,
  type Endpoint, type Message, type Side, type TcpSessionOptions, type UdpExchangeOptions, type IcmpEchoOptions,
} from './sessions.js';
export { Scheduler } from './scheduler.js';
export { generateMixedCapture, type MixOptions, type MixResult } from './mix.js';
