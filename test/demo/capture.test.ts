// The demo capture: deterministic, modest in size, and every attack of the seed hunts present as real
// protocol bytes (read back with the capture reader and taken apart here).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCapture, writeDemo } from '../../src/demo/index.js';
import { ACTORS, DEVICES, DNS_SERVER, device, inventory } from '../../src/demo/network.js';
import { EXE_URIS, EXFIL, SPRAY_USERS, SSH_BRUTE_CONNECTIONS, SSH_BRUTE_PASSWORDS_PER_CONNECTION, TRICK_UA } from '../../src/demo/generate.js';
import { parseInventory } from '../../src/events/devices.js';
import { clientStreams, nbssMessages, readFlows, reverse, tlsHandshakes, zeekSshAuth, type Flows } from './flows.js';

const END = Date.UTC(2026, 10, 26, 6, 0, 0);
const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-'));
const pcap = join(dir, 'demo.pcap');
let flows: Flows;
let out: ReturnType<typeof writeDemo>;

before(async () => {
  out = writeDemo(pcap, { endMs: END, seed: 1 });
  flows = await readFlows(pcap);
});
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const web01 = device('web01');
const trick = device(ACTORS.trick);
const icmpHost = device(ACTORS.icmp);

test('same seed and end time give the same bytes; another seed does not', () => {
  const a = demoCapture({ endMs: END, seed: 1 }).pcap;
  const b = demoCapture({ endMs: END, seed: 1 }).pcap;
  const c = demoCapture({ endMs: END, seed: 2 }).pcap;
  assert.equal(sha(a), sha(b));
  assert.notEqual(sha(a), sha(c));
  assert.equal(sha(readFileSync(pcap)), sha(a), 'the file writer and the memory writer agree');
});

test('modest size, three hours, ending at the given time, frames in time order', () => {
  assert.ok(out.bytes < 50 * 1048576, `${out.bytes} bytes`);
  assert.ok(out.packets > 5000);
  assert.equal(flows.packets, out.packets);
  assert.ok(flows.lastTs <= END / 1000 && flows.lastTs > END / 1000 - 5 * 60, `last packet ${flows.lastTs}`);
  assert.ok(flows.firstTs >= END / 1000 - 3 * 3600 && flows.firstTs < END / 1000 - 2.9 * 3600);
  // ordinary traffic is there for every protocol
  for (const k of ['dns', 'http', 'tls', 'ssh', 'smb', 'icmp', 'ftp', 'ftp-data', 'http-in', 'tls-in', 'tcp-rejected', 'tcp-unanswered']) assert.ok((out.stats.kinds[k] ?? 0) > 0, k);
});

test('inventory: a dozen devices, one internet-facing, DNS servers configured', () => {
  const inv = inventory();
  assert.equal(inv.devices.length, 12);
  assert.deepEqual(inv.devices.filter((d) => d.IsInternetFacing).map((d) => d.IPAddresses[0]), [web01.ip]);
  assert.ok(inv.devices.every((d) => d.DnsAddresses.length > 0));
  assert.equal(new Set(inv.devices.map((d) => d.DeviceId)).size, 12);
  assert.ok(inv.devices.every((d) => /^[0-9a-f]{40}$/.test(d.DeviceId)));
  // the store's inventory reader accepts it as is
  const parsed = parseInventory(JSON.stringify(inv), 'demo.devices.json');
  assert.equal(parsed.length, 12);
  const w = parsed.find((d) => d.IPAddresses.includes(web01.ip))!;
  assert.equal(w.IsInternetFacing, true);
  assert.deepEqual(w.DnsAddresses, [DNS_SERVER]);
  assert.equal(w.DeviceName, 'web01.corp.contoso.com');
});

test('frames carry each device\'s inventory MAC; internet hosts arrive through the gateway\'s', () => {
  const inv = inventory().devices;
  for (const d of inv) {
    const seen = flows.macs.get(d.IPAddresses[0]!);
    assert.ok(seen, d.DeviceName);
    assert.deepEqual([...seen].map((m) => m.toUpperCase().replace(/:/g, '-')), [d.MacAddress]);
  }
  const publicMacs = new Set([...flows.macs].filter(([ip]) => !ip.startsWith('10.')).flatMap(([, m]) => [...m]));
  assert.equal(publicMacs.size, 1);
  assert.ok(!inv.some((d) => publicMacs.has(d.MacAddress.toLowerCase().replace(/-/g, ':'))));
});

test('SSH brute force: many connections from one host, each failing with > 3 attempts by Zeek\'s size heuristic', () => {
  const conns = clientStreams(flows, (s) => s.src === ACTORS.sshAttacker && s.dport === 22);
  assert.equal(conns.length, SSH_BRUTE_CONNECTIONS);
  for (const c of conns) {
    assert.match(c.data.toString('latin1', 0, 40), /^SSH-2\.0-libssh2/);
    const r = zeekSshAuth(c, reverse(flows, c)!);
    assert.deepEqual(r, { success: false, attempts: SSH_BRUTE_PASSWORDS_PER_CONNECTION });
  }
  // The admin's logins succeed by the same heuristic.
  const admin = clientStreams(flows, (s) => s.src === device('it-admin01').ip && s.dport === 22);
  assert.ok(admin.length > 0);
  for (const c of admin) assert.deepEqual(zeekSshAuth(c, reverse(flows, c)!), { success: true, attempts: 1 });
});

function requests(data: Buffer): { uri: string; ua: string }[] {
  return [...data.toString('latin1').matchAll(/^GET (\S+) HTTP\/1\.1\r\n(?:[^\r\n]+\r\n)*?User-Agent: ([^\r\n]*)\r\n/gm)].map((m) => ({ uri: m[1]!, ua: m[2]! }));
}

test('rare user agent TrickXYZ from one device only, and executable downloads', () => {
  const byUa = new Map<string, Set<string>>();
  const exe: { uri: string; body: Buffer }[] = [];
  for (const s of clientStreams(flows, (x) => x.dport === 80)) {
    for (const r of requests(s.data)) {
      if (!byUa.has(r.ua)) byUa.set(r.ua, new Set());
      byUa.get(r.ua)!.add(s.src);
      if (/\.(?:dll|exe|zip|7z|ps1|ps|bat|sh)$/.test(r.uri)) {
        const resp = reverse(flows, s)!.data;
        exe.push({ uri: r.uri, body: resp.subarray(resp.indexOf('\r\n\r\n') + 4) });
      }
    }
  }
  assert.deepEqual([...byUa.get(TRICK_UA)!], [trick.ip]);
  const others = [...byUa].filter(([ua]) => ua !== TRICK_UA);
  assert.ok(others.some(([, devs]) => devs.size > 2), 'ordinary agents are shared by several devices');
  assert.deepEqual(exe.map((e) => e.uri).sort(), [...EXE_URIS].sort());
  for (const e of exe.filter((x) => !x.uri.endsWith('.ps1'))) assert.equal(e.body.toString('latin1', 0, 2), 'MZ');
});

test('ICMP exfiltration: > 500 KB out over > 100 s to one public address, gaps under the 60 s timeout', () => {
  const req = flows.icmp.filter((m) => m.src === icmpHost.ip && m.dst === ACTORS.icmpSink && m.type === 8);
  assert.equal(req.length, EXFIL.count);
  const bytes = req.reduce((a, m) => a + m.dataLen + 8, 0);
  assert.ok(bytes > 500_000, `${bytes}`);
  const dur = req[req.length - 1]!.ts - req[0]!.ts;
  assert.ok(dur > 100, `${dur}`);
  for (let i = 1; i < req.length; i++) assert.ok(req[i]!.ts - req[i - 1]!.ts < 60);
});

test('ping sweep: echo requests to more than five private hosts within ten minutes', () => {
  const req = flows.icmp.filter((m) => m.src === icmpHost.ip && m.type === 8 && m.dst.startsWith('10.'));
  const first = req[0]!.ts;
  const within = new Set(req.filter((m) => m.ts - first < 600).map((m) => m.dst));
  assert.ok(within.size > 5, `${within.size}`);
  // nobody else pings more than two private hosts in any ten minutes
  for (const d of DEVICES.filter((x) => x.ip !== icmpHost.ip)) {
    const mine = flows.icmp.filter((m) => m.src === d.ip && m.type === 8 && m.dst.startsWith('10.'));
    for (const m of mine) assert.ok(new Set(mine.filter((x) => x.ts >= m.ts && x.ts - m.ts < 600).map((x) => x.dst)).size <= 2, d.name);
  }
});

function rfc2253(name: string): string {
  return name.split('\n').reverse().join(',');
}

test('TLS to a public address with a self-signed certificate; ordinary sites chain to a CA', () => {
  const selfSigned: X509Certificate[] = [];
  const issuers = new Set<string>();
  for (const s of clientStreams(flows, (x) => x.dport === 443)) {
    const back = reverse(flows, s);
    if (!back) {
      assert.equal(s.dst, '192.0.2.200', 'only the retired address leaves SYNs unanswered');
      continue;
    }
    const hs = tlsHandshakes(back.data);
    const cert = hs.find((h) => h.type === 11);
    assert.ok(cert, s.key);
    const leafLen = cert.body.readUIntBE(3, 3);
    const leaf = new X509Certificate(cert.body.subarray(6, 6 + leafLen));
    issuers.add(rfc2253(leaf.issuer));
    if (/CN=\S+$/.test(rfc2253(leaf.issuer))) {
      assert.equal(s.dst, ACTORS.c2Tls);
      assert.equal(s.src, trick.ip);
      selfSigned.push(leaf);
    }
  }
  assert.ok(selfSigned.length >= 1);
  for (const c of selfSigned) {
    assert.equal(c.issuer, `CN=${ACTORS.c2TlsName}`);
    assert.equal(c.subject, c.issuer);
    assert.ok(c.verify(c.publicKey), 'signed by its own key');
  }
  assert.ok(issuers.has('CN=Demo Web CA 1,O=Demo Trust Services,C=US'));
});

function parseDns(p: Buffer): { qtype: number; qname: string; ancount: number; qr: boolean } {
  let o = 12;
  const labels: string[] = [];
  while (p[o]) { labels.push(p.toString('latin1', o + 1, o + 1 + p[o]!)); o += 1 + p[o]!; }
  return { qname: labels.join('.'), qtype: p.readUInt16BE(o + 1), ancount: p.readUInt16BE(6), qr: (p[2]! & 0x80) !== 0 };
}

test('TXT lookups answered by a resolver no device is configured with', () => {
  const configured = new Set(inventory().devices.flatMap((d) => d.DnsAddresses));
  const txt = flows.udp.filter((d) => d.sport === 53).map((d) => ({ d, m: parseDns(d.payload) })).filter((x) => x.m.qr && x.m.qtype === 16);
  const rogue = txt.filter((x) => !configured.has(x.d.src));
  assert.ok(rogue.length > 0);
  assert.ok(rogue.every((x) => x.d.src === ACTORS.rogueResolver && x.d.dst === trick.ip && x.m.ancount > 0 && x.m.qname.endsWith(ACTORS.txtDomain)));
  assert.ok(!configured.has(ACTORS.rogueResolver));
  assert.ok(txt.some((x) => x.d.src === DNS_SERVER), 'ordinary TXT lookups go to the configured resolver');
});

test('NTLM password spraying over SMB2 against the internet-facing server: > 3 users, all failing', () => {
  const users: string[] = [];
  const conns = clientStreams(flows, (s) => s.src === ACTORS.sprayer && s.dst === web01.ip && s.dport === 445);
  for (const c of conns) {
    for (const m of nbssMessages(c.data)) {
      const at = m.indexOf('NTLMSSP\0');
      if (at < 0 || m.readUInt32LE(at + 8) !== 3) continue;
      const len = m.readUInt16LE(at + 36), off = m.readUInt32LE(at + 40);
      users.push(m.subarray(at + off, at + off + len).toString('utf16le'));
    }
    const replies = nbssMessages(reverse(flows, c)!.data);
    const last = replies[replies.length - 1]!;
    assert.equal(last.readUInt16LE(12), 1, 'SESSION_SETUP');
    assert.equal(last.readUInt32LE(8), 0xc000006d, 'STATUS_LOGON_FAILURE');
    assert.equal(last.readUInt16LE(64), 9, 'an SMB2 ERROR response');
  }
  assert.deepEqual(users, [...SPRAY_USERS]);
  assert.ok(new Set(users).size > 3);
  const spanS = conns[conns.length - 1]!.firstTs - conns[0]!.firstTs;
  assert.ok(spanS < 600, 'within ten minutes');
  assert.ok(inventory().devices.find((d) => d.IPAddresses.includes(web01.ip))!.IsInternetFacing);
});

test('FTP: each passive data connection opens after the 150 reply and ends before the 226', () => {
  const ctl = clientStreams(flows, (s) => s.dport === 21);
  assert.ok(ctl.length >= 2);
  for (const c of ctl) {
    const srv = reverse(flows, c)!;
    const text = srv.data.toString('latin1');
    const m = /227 Entering Passive Mode \((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)/.exec(text)!;
    const port = Number(m[5]) * 256 + Number(m[6]);
    const at = (code: string) => srv.segments.find((g) => srv.data.toString('latin1', g.off, g.off + 3) === code)!.ts;
    const data = [...flows.tcp.values()].filter((s) => s.syn && s.src === c.src && s.dport === port && s.dst === c.dst);
    assert.equal(data.length, 1, `data connection of ${c.key}`);
    const d = data[0]!;
    const payload = d.segments.length ? d : reverse(flows, d)!;
    assert.ok(d.firstTs > at('150'), 'opens after 150');
    assert.ok(payload.segments[payload.segments.length - 1]!.ts < at('226'), 'done before 226');
    assert.ok(payload.data.length > 10_000);
  }
});
