// Fuzzing of the TLS/DTLS, X.509, SSH, XMPP and NTLM carriers: real conversations from the corpus,
// recorded once per connection and direction, replayed with seeded byte mutations, truncations and
// re-segmentation. Nothing may throw, and the records written stay bounded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnalyzerSpec, StreamAnalyzer, DatagramAnalyzer } from '../../../src/analyzers/types.js';
import { specs as ssl } from '../../../src/analyzers/ssl/index.js';
import { specs as ssh } from '../../../src/analyzers/ssh/index.js';
import { specs as xmpp } from '../../../src/analyzers/xmpp/index.js';
import { specs as dcerpc } from '../../../src/analyzers/dcerpc/index.js';
import { specs as ldap } from '../../../src/analyzers/ldap/index.js';
import { specs as smb } from '../../../src/analyzers/smb/index.js';
import { resetKnownCerts } from '../../../src/analyzers/x509/index.js';
import { FakeCtx, fakeConn, runPcap, corpusDir } from './harness.js';

interface Chunk { isOrig: boolean; data: Buffer }

function record(pcap: string, port: number, transport: 'tcp' | 'udp'): Chunk[] {
  const chunks: Chunk[] = [];
  const rec: AnalyzerSpec = {
    name: 'REC', service: 'rec', scripts: [], transport, ports: [port], logs: [],
    create: () => ({
      deliverStream: (isOrig: boolean, d: Buffer, o: number, l: number) => chunks.push({ isOrig, data: Buffer.from(d.subarray(o, o + l)) }),
      deliverPacket: (isOrig: boolean, d: Buffer, o: number, l: number) => chunks.push({ isOrig, data: Buffer.from(d.subarray(o, o + l)) }),
    }),
  };
  runPcap(corpusDir + pcap, { specs: [rec] });
  return chunks;
}

class Rng {
  constructor(private s: number) {}
  next(): number {
    this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0;
    return this.s;
  }
  below(n: number): number {
    return this.next() % n;
  }
}

function mutate(chunks: Chunk[], rng: Rng): Chunk[] {
  const out: Chunk[] = [];
  for (const c of chunks) {
    const d = Buffer.from(c.data);
    const flips = rng.below(4);
    for (let i = 0; i < flips && d.length; i++) d[rng.below(d.length)] = rng.below(256);
    if (rng.below(10) === 0 && d.length > 4) {
      out.push({ isOrig: c.isOrig, data: d.subarray(0, rng.below(d.length)) });
      continue;
    }
    // re-segment
    let p = 0;
    while (p < d.length) {
      const n = 1 + rng.below(Math.max(1, d.length - p));
      out.push({ isOrig: c.isOrig, data: d.subarray(p, p + n) });
      p += n;
    }
  }
  return out;
}

const CASES: { pcap: string; port: number; transport: 'tcp' | 'udp'; specs: AnalyzerSpec[] }[] = [
  { pcap: 'ssl/tls12/tls1.2.pcap', port: 443, transport: 'tcp', specs: ssl },
  { pcap: 'ssl/tls13-draft23-version/tls13draft23-chrome67.0.3368.0-canary.pcap', port: 443, transport: 'tcp', specs: ssl },
  { pcap: 'ssl/dtls10/dtls1_0.pcap', port: 4433, transport: 'udp', specs: ssl },
  { pcap: 'ssl/xmpp-starttls/xmpp-starttls.pcap', port: 5222, transport: 'tcp', specs: xmpp },
  { pcap: 'ssh/curve25519-kex/ssh_kex_curve25519.pcap', port: 22, transport: 'tcp', specs: ssh },
  { pcap: 'ssh/version-199/ssh_version_199.pcap', port: 22, transport: 'tcp', specs: ssh },
  { pcap: 'ntlm/unterminated-av-sequence/ntlm-unterminated-av-sequence.pcap', port: 4997, transport: 'tcp', specs: dcerpc },
  { pcap: 'ntlm/ldap-sasl-ntlm/sasl-ntlm.pcap', port: 389, transport: 'tcp', specs: ldap },
];

test('mutated, truncated and re-segmented handshakes, certificates and NTLM blobs never throw', () => {
  let runs = 0;
  for (const c of CASES) {
    const chunks = record(c.pcap, c.port, c.transport);
    assert.ok(chunks.length > 0, `recorded ${c.pcap}`);
    const spec = c.specs.find((s) => s.transport === c.transport)!;
    for (let seed = 1; seed <= 150; seed++) {
      resetKnownCerts();
      const ctx = new FakeCtx(fakeConn({ respP: c.port, proto: c.transport }));
      const a = spec.create(ctx) as StreamAnalyzer & DatagramAnalyzer;
      for (const m of mutate(chunks, new Rng(seed * 7919 + c.port))) {
        if (c.transport === 'tcp') a.deliverStream(m.isOrig, m.data, 0, m.data.length);
        else a.deliverPacket(m.isOrig, m.data, 0, m.data.length);
      }
      a.done?.();
      assert.ok(ctx.written.length <= 20, `${c.pcap} seed ${seed} wrote ${ctx.written.length} records`);
      runs++;
    }
  }
  // SMB carrier with random NetBIOS/SMB2 frames
  const rng = new Rng(99);
  for (let i = 0; i < 300; i++) {
    const ctx = new FakeCtx(fakeConn({ respP: 445 }));
    const a = smb[0]!.create(ctx) as StreamAnalyzer;
    const len = 64 + rng.below(200);
    const m = Buffer.alloc(4 + len);
    m.writeUInt32BE(len, 0);
    m.writeUInt32BE(rng.below(2) ? 0xfe534d42 : 0xff534d42, 4);
    for (let k = 8; k < m.length; k++) m[k] = rng.below(256);
    m.writeUInt16LE(1, 16);
    a.deliverStream(rng.below(2) === 0, m, 0, m.length);
    a.done?.();
    runs++;
  }
  assert.ok(runs >= 1500);
});
