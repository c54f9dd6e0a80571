// Deterministic traffic synthesis: seeded PRNG, frame builders with correct checksums, a streaming pcap
// writer, session builders and a time-ordered scheduler. Used by bench/ and by the demo capture generator.
//
//   const w = PcapWriter.toFile('demo.pcap');            // or PcapWriter.toMemory() → w.close() returns the bytes
//   const s = new Scheduler(w);                           // interleaves sessions by timestamp (µs since the epoch)
//   s.add(new TcpSession({ client: { ip: '10.0.0.5', port: 51000 }, server: { ip: '93.184.216.34', port: 80 },
//     start: Date.UTC(2026, 0, 5, 9) * 1000, seed: 1,
//     messages: [{ from: 'client', data: httpRequestBytes }, { from: 'server', data: httpResponseBytes, delay: 2000 }],
//     close: 'fin' /* or 'rst' | 'none' */, handshake: 'full' /* or 'rejected' | 'unanswered' */ }));
//   s.add(new UdpExchange({ client, server, start, messages: [{ from: 'client', data: dnsQuery }, { from: 'server', data: dnsAnswer }] }));
//   s.add(new IcmpEchoSeries({ client: { ip: '10.0.0.5' }, server: { ip: '8.8.8.8' }, start, count: 4 }));
//   s.run();                                              // or s.run(untilUs) to add more sessions as time goes on
//   w.close();
//
// Payload Buffers are referenced, not copied, until their frames are written. IPv6 works the same way (give
// IPv6 addresses). generateMixedCapture() is the benchmark's mix: opaque payloads, or (apps) real HTTP, TLS 1.2
// with certificates, DNS, FTP with passive data channels, SSH and SMB2/NTLMSSP sessions.
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
