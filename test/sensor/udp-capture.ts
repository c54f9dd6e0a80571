// A small capture for tests: `n` one-datagram UDP flows from 10.0.0.5:sport+i to 10.0.0.1:53 at
// 2020-09-13T12:26:40Z + i ms, the last `bad` of them with wrong checksums.
import { FrameBuilder, ipBytes } from '../../src/synth/packets.js';
import { PcapWriter } from '../../src/synth/pcap-writer.js';

export function udpCapture(file: string, n: number, opts: { bad?: number; linkType?: number; sport?: number } = {}): void {
  const { bad = 0, linkType, sport = 40000 } = opts;
  const w = PcapWriter.toFile(file, linkType === undefined ? {} : { linkType });
  const f = new FrameBuilder();
  f.src = ipBytes('10.0.0.5');
  f.dst = ipBytes('10.0.0.1');
  f.dport = 53;
  f.setPayload(Buffer.from('0123456789abcdef'));
  for (let i = 0; i < n; i++) {
    f.sport = sport + i;
    f.corruptChecksum = i >= n - bad;
    w.writePacket(1_600_000_000_000_000 + i * 1000, f.buf, 0, f.buildUdp());
  }
  w.close();
}
