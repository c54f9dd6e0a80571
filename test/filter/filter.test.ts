import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFilter } from '../../src/filter/index.js';
import { DecodedPacket, L3 } from '../../src/decode/packet.js';
import { UserError } from '../../src/cli/types.js';
import { FrameBuilder, PcapWriter, Rng, ipBytes } from '../../src/synth/index.js';

function v4(s: string): number {
  return s.split('.').reduce((a, x) => a * 256 + Number(x), 0) >>> 0;
}
function v6(s: string, into: Uint32Array): void {
  const b = ipBytes(s);
  for (let i = 0; i < 4; i++) into[i] = b.readUInt32BE(i * 4);
}

interface Spec { src: string; dst: string; proto?: number; sport?: number; dport?: number }
function pkt(s: Spec): DecodedPacket {
  const p = new DecodedPacket();
  if (s.src.includes(':')) {
    p.l3 = L3.IPv6;
    v6(s.src, p.src6);
    v6(s.dst, p.dst6);
  } else {
    p.l3 = L3.IPv4;
    p.src4 = v4(s.src);
    p.dst4 = v4(s.dst);
  }
  p.ipProto = s.proto ?? 6;
  p.srcPort = s.sport ?? 0;
  p.dstPort = s.dport ?? 0;
  return p;
}

const A = pkt({ src: '10.0.0.1', dst: '192.168.1.20', proto: 6, sport: 40000, dport: 80 });
const B = pkt({ src: '192.168.1.20', dst: '10.0.0.1', proto: 17, sport: 53, dport: 33000 });
const C = pkt({ src: '172.16.5.4', dst: '8.8.8.8', proto: 1 });
const D = pkt({ src: 'fd00::1', dst: '2001:db8::53', proto: 17, sport: 5353, dport: 53 });
const E = pkt({ src: '2001:db8::53', dst: 'fd00::1', proto: 58 });
const F = pkt({ src: 'fd00::1', dst: '2001:db8:1::9', proto: 6, sport: 1025, dport: 443 });
const ARP = new DecodedPacket();
const ALL = { A, B, C, D, E, F, ARP };

function matches(expr: string): string {
  const f = compileFilter(expr);
  return Object.entries(ALL).filter(([, p]) => f(p)).map(([n]) => n).join('');
}

test('protocols alone', () => {
  assert.equal(matches(''), 'ABCDEFARP');
  assert.equal(matches('ip'), 'ABC');
  assert.equal(matches('ip6'), 'DEF');
  assert.equal(matches('tcp'), 'AF');
  assert.equal(matches('udp'), 'BD');
  assert.equal(matches('icmp'), 'C');
  assert.equal(matches('icmp6'), 'E');
});

test('host and net with directions, v4 and v6', () => {
  assert.equal(matches('host 10.0.0.1'), 'AB');
  assert.equal(matches('src host 10.0.0.1'), 'A');
  assert.equal(matches('dst 10.0.0.1'), 'B');
  assert.equal(matches('10.0.0.1'), 'AB');
  assert.equal(matches('host fd00::1'), 'DEF');
  assert.equal(matches('ip6 dst host fd00::1'), 'E');
  assert.equal(matches('src and dst net 10.0.0.0/8'), '');
  assert.equal(matches('src or dst net 192.168.0.0/16'), 'AB');
  assert.equal(matches('net 192.168'), 'AB');
  assert.equal(matches('net 172.16.0.0 mask 255.240.0.0'), 'C');
  assert.equal(matches('dst net 2001:db8::/32'), 'DF');
  assert.equal(matches('net 2001:db8:1::/48'), 'F');
  assert.equal(matches('net 0.0.0.0/0'), 'ABC');
});

test('port and portrange: TCP or UDP, either direction unless qualified', () => {
  assert.equal(matches('port 53'), 'BD');
  assert.equal(matches('port domain'), 'BD');
  assert.equal(matches('dst port 53'), 'D');
  assert.equal(matches('tcp port 80'), 'A');
  assert.equal(matches('udp port 80'), '');
  assert.equal(matches('ip6 port 53'), 'D');
  assert.equal(matches('portrange 1-1024'), 'ABDF');
  assert.equal(matches('src portrange 1024-5353'), 'DF');
  assert.equal(matches('tcp dst portrange 400-500'), 'F');
  assert.equal(matches('ip proto 17'), 'B');
  assert.equal(matches('proto 17'), 'BD');
  assert.equal(matches('ip6 proto 58'), 'E');
});

test("libpcap precedence: not binds tightest, and/or are equal and left-associative", () => {
  assert.equal(matches('udp or tcp and ip6'), 'DF'); // (udp or tcp) and ip6
  assert.equal(matches('udp or (tcp and ip6)'), 'BDF');
  assert.equal(matches('ip6 and tcp or udp'), 'BDF'); // (ip6 and tcp) or udp
  assert.equal(matches('not tcp and ip'), 'BC');
  assert.equal(matches('not (tcp and ip)'), 'BCDEFARP');
  assert.equal(matches('!tcp && !udp'), 'CEARP');
  assert.equal(matches('tcp || icmp6'), 'AEF');
  assert.equal(matches('not not ip'), 'ABC');
  assert.equal(matches('((ip))'), 'ABC');
});

test('a bare id after and/or/not inherits the previous qualifiers', () => {
  assert.equal(matches('host 10.0.0.1 or 8.8.8.8'), 'ABC');
  assert.equal(matches('tcp port 80 or 443'), 'AF');
  assert.equal(matches('port 80 and not 40000'), '');
  assert.equal(matches('dst port 53 or 80'), 'AD');
});

test('syntax errors are one-line UserErrors naming the column', () => {
  const bad: [string, RegExp][] = [
    ['tcp and', /column 8 \(end of filter\)/],
    ['host', /column 5/],
    ['port 99999', /port number out of range at column 6/],
    ['(tcp or udp', /expected '\)' at column 12/],
    ['tcp or udp)', /unbalanced parenthesis at column 11/],
    ['host example.com', /hostnames are not resolved.*column 6/],
    ['tcp host 1.2.3.4', /'tcp' cannot qualify 'host'/],
    ['ether host 1:2:3:4:5:6', /'ether' is not supported.* at column 1/],
    ['net 10.0.0.1/8', /non-network bits/],
    ['port 80 = 3', /unexpected character '=' at column 9/],
    ['tcp udp', /expected 'and' or 'or' at column 5/],
    ['portrange 10', /expected a port range/],
    ['port nosuchservice', /unknown port name/],
    ['icmp port 3', /'icmp' has no ports/],
    ['ip host ::1', /IPv6 address with 'ip'/],
  ];
  for (const [expr, re] of bad) {
    assert.throws(() => compileFilter(expr), (e: unknown) => {
      assert.ok(e instanceof UserError, `${expr}: ${String(e)}`);
      assert.match(e.message, re, expr);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
  }
});

// Differential test against libpcap itself: a synthetic capture filtered by tcpdump and by compileFilter
// must keep exactly the same frames.
test('agrees with tcpdump/libpcap on a synthetic capture', (t) => {
  const probe = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  assert.ok(!probe.error, 'tcpdump is needed for this test (apt-get install tcpdump; .ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'wh-filter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rng = new Rng(2024);
  const b = new FrameBuilder();
  const w = PcapWriter.toMemory();
  const decoded: DecodedPacket[] = [];
  const v4s = ['10.0.0.1', '10.0.0.2', '10.1.2.3', '192.168.1.20', '172.16.5.4', '8.8.8.8'];
  const v6s = ['fd00::1', 'fd00::2', '2001:db8::53', '2001:db8:1::9', '::1'];
  for (let i = 0; i < 600; i++) {
    const six = rng.chance(0.35);
    const pool = six ? v6s : v4s;
    const s = rng.pick(pool);
    let d = rng.pick(pool);
    if (d === s) d = pool[(pool.indexOf(s) + 1) % pool.length]!;
    b.src = ipBytes(s); b.dst = ipBytes(d);
    b.sport = rng.pick([53, 80, 443, 1024, 5353, 40000, rng.int(1, 65535)]);
    b.dport = rng.pick([53, 80, 443, 1024, 5353, 40000, rng.int(1, 65535)]);
    b.flags = 0x10; b.seq = rng.u32(); b.ack = rng.u32();
    b.icmpType = six ? 128 : 8;
    b.setPayload(Buffer.alloc(rng.int(0, 20)));
    const kind = rng.int(0, 2);
    const n = kind === 0 ? b.buildTcp() : kind === 1 ? b.buildUdp() : b.buildIcmp();
    w.writePacket(1_700_000_000_000_000 + i, b.buf, 0, n);
    const p = new DecodedPacket();
    p.l3 = six ? L3.IPv6 : L3.IPv4;
    if (six) { v6(s, p.src6); v6(d, p.dst6); } else { p.src4 = v4(s); p.dst4 = v4(d); }
    p.ipProto = kind === 0 ? 6 : kind === 1 ? 17 : six ? 58 : 1;
    if (kind < 2) { p.srcPort = b.sport; p.dstPort = b.dport; }
    decoded.push(p);
  }
  const file = join(dir, 'f.pcap');
  writeFileSync(file, w.close()!);
  const exprs = [
    'tcp', 'udp', 'icmp', 'icmp6', 'ip', 'ip6', 'port 53', 'src port 80', 'dst port 443 or 1024',
    'tcp port 80', 'udp dst port 5353', 'portrange 1000-6000', 'host 10.0.0.1', 'src host fd00::1',
    'net 10.0.0.0/8', 'dst net 10.0.0.0 mask 255.255.0.0', 'net 2001:db8::/32', 'net 192.168',
    'udp or tcp and ip6', 'not tcp and ip', 'not (port 53 or port 80)', 'host 10.0.0.1 or 8.8.8.8 and udp',
    'ip6 and (icmp6 or dst port 53)', 'src and dst net 10.0.0.0/8', 'src or dst host 172.16.5.4',
    '!udp && !tcp || port 443', 'ip proto 17', 'ip6 proto 58', 'tcp src portrange 1-1024 and not dst host ::1',
  ];
  for (const expr of exprs) {
    const r = spawnSync('tcpdump', ['-nn', '-r', file, '-w', '-', expr], { maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, `${expr}: ${r.stderr?.toString()}`);
    // Count records in tcpdump's pcap output.
    const out = r.stdout;
    let count = 0;
    for (let o = 24; o + 16 <= out.length; o += 16 + out.readUInt32LE(o + 8)) count++;
    const f = compileFilter(expr);
    const ours = decoded.filter((p) => f(p)).length;
    assert.equal(ours, count, `filter "${expr}": wirehunt ${ours}, libpcap ${count}`);
    assert.ok(count > 0 || expr.includes('and dst net'), `filter "${expr}" should select something`);
  }
});
