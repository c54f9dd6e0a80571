import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, selectAnalyzers } from '../../src/sensor/index.js';
import type { LogSchema, LogSink, ZeekRecord } from '../../src/zeek/types.js';
import type { AnalyzerContext, AnalyzerSpec, StreamAnalyzer } from '../../src/analyzers/types.js';
import { AnalyzerFramework } from '../../src/analyzers/framework/manager.js';
import { FlowTable } from '../../src/flow/table.js';
import type { Conn } from '../../src/flow/conn.js';
import { UidGenerator } from '../../src/flow/uid.js';
import { connRecord } from '../../src/sensor/records.js';
import { tcp, TCP_ACK, TCP_FIN, TCP_SYN } from '../flow/helpers.js';

const corpus = fileURLToPath(new URL('../../../../shared/corpus/zeek/', import.meta.url));
const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));

class MemorySink implements LogSink {
  rows: [string, ZeekRecord][] = [];
  closed = false;
  write(s: LogSchema, r: ZeekRecord): void { this.rows.push([s.path, r]); }
  async close(): Promise<void> { this.closed = true; }
  of(path: string): ZeekRecord[] { return this.rows.filter(([p]) => p === path).map(([, r]) => r); }
}

test('VXLAN: outer UDP connections get service vxlan, the inner ICMP flow has both tunnels as parents and tunnel.log has DISCOVER/CLOSE', async () => {
  const sink = new MemorySink();
  const st = await analyzeCapture({ input: join(corpus, 'icmp/vxlan/vxlan.pcap'), sink, analyzers: ['conn', 'tunnels'] });
  assert.ok(sink.closed);
  assert.equal(st.packets, 10);
  const conns = sink.of('conn');
  assert.equal(conns.length, 5);
  const inner = conns.find((r) => r.proto === 'icmp')!;
  const outers = conns.filter((r) => r['id.resp_p'] === 4789);
  assert.equal(outers.length, 4);
  assert.ok(outers.every((r) => r.service === 'vxlan'));
  const parents = inner.tunnel_parents as string[];
  assert.equal(parents.length, 2);
  for (const u of parents) assert.ok(outers.some((r) => r.uid === u), `${u} is an outer connection`);
  assert.equal(inner.history, 'X', 'more than Tunnel::max_changes_per_connection tunnel changes');
  assert.equal(inner.orig_pkts, 4);
  assert.equal(inner.resp_pkts, 4);
  const tun = sink.of('tunnel');
  assert.deepEqual(tun.map((r) => r.action).sort(), ['Tunnel::CLOSE', 'Tunnel::CLOSE', 'Tunnel::DISCOVER', 'Tunnel::DISCOVER']);
  assert.ok(tun.every((r) => r.tunnel_type === 'Tunnel::VXLAN' && parents.includes(r.uid as string)));
  assert.equal(sink.of('weird').length, 0, 'bare mode without the weird script writes no weird.log');
});

test('bare mode writes only the logs of the named scripts; default mode writes everything', async () => {
  const a = new MemorySink();
  await analyzeCapture({ input: join(corpus, 'icmp/vxlan/vxlan.pcap'), sink: a, analyzers: ['conn'] });
  assert.equal(a.of('tunnel').length, 0);
  assert.equal(a.of('conn').length, 5);
  const b = new MemorySink();
  await analyzeCapture({ input: join(corpus, 'icmp/vxlan/vxlan.pcap'), sink: b, analyzers: ['tunnels'] });
  assert.equal(b.of('conn').length, 0);
  assert.equal(b.of('tunnel').length, 4);
  const sel = selectAnalyzers(['conn', 'dns', 'frobnicate']);
  assert.deepEqual(sel.unknown, ['frobnicate']);
  assert.ok(sel.specs.every((s) => s.scripts.includes('dns')));
  assert.ok(sel.likely.udp.has(53) && !sel.likely.tcp.has(80), 'likely_server_ports follow the loaded scripts');
  assert.ok(selectAnalyzers(null).likely.tcp.has(80));
});

test('GRE/ERSPAN: the IP tunnel consumes a uid, is the inner flow\'s parent and is DISCOVERed once', async () => {
  const sink = new MemorySink();
  await analyzeCapture({ input: join(corpus, 'icmp/erspan1/erspanI.pcap'), sink, analyzers: ['conn', 'tunnels'] });
  const conns = sink.of('conn');
  assert.equal(conns.length, 1);
  const tun = sink.of('tunnel');
  assert.equal(tun.length, 1);
  assert.equal(tun[0]!.tunnel_type, 'Tunnel::GRE');
  assert.equal(tun[0]!.action, 'Tunnel::DISCOVER');
  assert.deepEqual(conns[0]!.tunnel_parents, [tun[0]!.uid]);
  assert.notEqual(conns[0]!.uid, tun[0]!.uid);
  assert.equal(conns[0]!.orig_pkts, 5);
});

// A toy analyzer found by content: it attaches when the originator's first bytes are "HELLO".
function toySpec(log: string[]): AnalyzerSpec {
  return {
    name: 'TOY', service: 'toy', scripts: ['toy'], transport: 'tcp', ports: [],
    detect: (o) => !!o && o.length >= 5 && o.toString('latin1', 0, 5) === 'HELLO',
    create(ctx: AnalyzerContext): StreamAnalyzer {
      return {
        deliverStream(isOrig, data, off, len) {
          const s = data.toString('latin1', off, off + len);
          log.push(`${isOrig ? '>' : '<'}${s}`);
          if (s.includes('OK')) ctx.confirm();
          if (s.includes('BAD')) ctx.violation('bad');
        },
        gap(isOrig, len) { log.push(`gap ${isOrig} ${len}`); },
        endOfData(isOrig) { log.push(`eod ${isOrig}`); },
        done() { log.push('done'); },
      };
    },
    logs: [],
  };
}

function toyFlow(log: string[], written: [string, ZeekRecord][] = []) {
  const rows: ZeekRecord[] = [];
  const uids = new UidGenerator();
  let flow!: FlowTable;
  const fw = new AnalyzerFramework([toySpec(log)], {
    write: (sc: LogSchema, r: ZeekRecord) => { written.push([sc.path, r]); }, weird: () => {}, now: () => flow.now,
    wantStreams: (c: Conn) => flow.wantStreams(c), flipRoles: (c: Conn) => flow.flipConn(c),
  });
  flow = new FlowTable({ app: fw, weird: () => {}, removed: (c) => rows.push(connRecord(c)) },
    { likelyTcp: new Set(), likelyUdp: new Set(), newUid: () => uids.next() }, 16);
  return { flow, rows };
}

const C = '10.0.0.1', S = '10.0.0.2';
function session(reply: string) {
  return [
    tcp({ ts: 1.0, src: C, dst: S, sport: 5000, dport: 7777, flags: TCP_SYN, seq: 100 }),
    tcp({ ts: 1.1, src: S, dst: C, sport: 7777, dport: 5000, flags: TCP_SYN | TCP_ACK, seq: 900, ack: 101 }),
    tcp({ ts: 1.2, src: C, dst: S, sport: 5000, dport: 7777, seq: 101, ack: 901, payload: Buffer.from('HEL') }),
    tcp({ ts: 1.3, src: C, dst: S, sport: 5000, dport: 7777, seq: 104, ack: 901, payload: Buffer.from('LO there') }),
    tcp({ ts: 1.4, src: S, dst: C, sport: 7777, dport: 5000, seq: 901, ack: 112, payload: Buffer.from(reply) }),
    tcp({ ts: 1.5, src: C, dst: S, sport: 5000, dport: 7777, flags: TCP_FIN | TCP_ACK, seq: 112, ack: 901 + reply.length }),
    tcp({ ts: 1.6, src: S, dst: C, sport: 7777, dport: 5000, flags: TCP_FIN | TCP_ACK, seq: 901 + reply.length, ack: 113 }),
  ];
}

test('content detection on an unknown port: the analyzer attaches, gets the buffered prefix replayed, confirms → service', () => {
  const log: string[] = [];
  const { flow, rows } = toyFlow(log);
  for (const p of session('OK fine')) flow.processPacket(p, null);
  flow.flushAll();
  assert.deepEqual(log, ['>HEL', '>LO there', '<OK fine', 'eod true', 'eod false', 'done']);
  assert.equal(rows[0]!.service, 'toy');
  assert.equal(rows[0]!.conn_state, 'SF');
});

test('a violation removes the analyzer and takes its service back; analyzer.log records the failure', () => {
  const log: string[] = [];
  const written: [string, ZeekRecord][] = [];
  const { flow, rows } = toyFlow(log, written);
  const pk = session('OK then BAD');
  for (const p of pk) flow.processPacket(p, null);
  flow.flushAll();
  assert.equal(rows[0]!.service, undefined);
  assert.deepEqual(log, ['>HEL', '>LO there', '<OK then BAD', 'done']);
  const failures = written.filter(([p]) => p === 'analyzer').map(([, r]) => r);
  assert.equal(failures.length, 1);
  assert.equal(failures[0]!.analyzer_name, 'TOY');
  assert.equal(failures[0]!.analyzer_kind, 'protocol');
  assert.equal(failures[0]!.failure_reason, 'bad');
  assert.equal(failures[0]!.uid, rows[0]!.uid);
});

test('wirehunt zeek: logs in the folder, one-line errors, warning for unknown analyzer names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-zeek-'));
  try {
    const ok = spawnSync(process.execPath, [bin, 'zeek', join(corpus, 'icmp/vxlan/vxlan.pcap'), '--out', dir, '--analyzers', 'conn,tunnels,frobnicate'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stderr, /warning: no analyzer for 'frobnicate'/);
    const conn = readFileSync(join(dir, 'conn.log'), 'latin1');
    assert.match(conn, /^#separator \\x09\n/);
    assert.equal(conn.split('\n').filter((l) => l && !l.startsWith('#')).length, 5);
    assert.ok(existsSync(join(dir, 'tunnel.log')));
    const json = spawnSync(process.execPath, [bin, 'zeek', join(corpus, 'icmp/vxlan/vxlan.pcap'), '--out', join(dir, 'j'), '--json'], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const first = JSON.parse(readFileSync(join(dir, 'j', 'conn.log'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
    assert.equal(typeof first.uid, 'string');
    const noOut = spawnSync(process.execPath, [bin, 'zeek', join(corpus, 'icmp/vxlan/vxlan.pcap')], { encoding: 'utf8' });
    assert.equal(noOut.status, 2);
    assert.equal(noOut.stderr.trim().split('\n').length, 1);
    const missing = spawnSync(process.execPath, [bin, 'zeek', join(dir, 'nope.pcap'), '--out', dir], { encoding: 'utf8' });
    assert.notEqual(missing.status, 0);
    assert.doesNotMatch(missing.stderr, /at .*\.js:\d+/);
    const help = spawnSync(process.execPath, [bin, 'zeek', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--analyzers/);
    assert.match(help.stdout, /-C/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--workers: conn-level analysis on worker threads gives the same rows and uids as one thread', async () => {
  const input = join(corpus, 'ssh/many-connections/ssh.pcap');
  const one = new MemorySink(), two = new MemorySink();
  const a = await analyzeCapture({ input, sink: one, analyzers: ['conn', 'tunnels'] });
  const b = await analyzeCapture({ input, sink: two, analyzers: ['conn', 'tunnels'], workers: 2 });
  assert.equal(a.packets, b.packets);
  assert.equal(a.connections, b.connections);
  const key = (r: ZeekRecord) => JSON.stringify(r);
  const ra = one.of('conn').map(key).sort(), rb = two.of('conn').map(key).sort();
  assert.ok(ra.length >= 25);
  assert.deepEqual(rb, ra);
  assert.ok(two.closed);
});

test('weird policy: Zeek\'s ignored names, once per originator, sampling after 25 per connection', async () => {
  const { WeirdPolicy } = await import('../../src/sensor/weirds.js');
  const { Conn } = await import('../../src/flow/conn.js');
  const pol = new WeirdPolicy();
  const c = new Conn();
  c.uid = 'Cx';
  c.o0 = 0; c.o1 = 0; c.o2 = 0xffff; c.o3 = 0x0a000001;
  assert.equal(pol.decide(c, 'spontaneous_FIN'), null);
  assert.deepEqual(pol.decide(c, 'bad_TCP_checksum'), { notice: false });
  const c2 = new Conn();
  c2.o0 = 0; c2.o1 = 0; c2.o2 = 0xffff; c2.o3 = 0x0a000001;
  assert.equal(pol.decide(c2, 'bad_TCP_checksum'), null, 'same originator');
  let logged = 0;
  for (let i = 0; i < 2000; i++) if (pol.decide(c, 'data_after_reset')) logged++;
  assert.equal(logged, 25 + 1);
  assert.deepEqual(pol.decide(c, 'SYN_after_partial'), { notice: true });
});

test('weird records: on a flow (addresses, ports 0), on a connection (uid and id), or on the packet stream', async () => {
  const { weirdRecord } = await import('../../src/sensor/records.js');
  const flowW = weirdRecord(5, null, 'truncated_header_in_tunnel', undefined, undefined, '10.0.0.1', '10.0.0.2');
  assert.equal(flowW['id.orig_h'], '10.0.0.1');
  assert.equal(flowW['id.orig_p'], 0);
  assert.equal(flowW['id.resp_p'], 0);
  assert.equal(flowW.uid, undefined);
  const netW = weirdRecord(5, null, 'truncated_link_frame');
  assert.equal(netW['id.orig_h'], undefined);
  assert.equal(netW.notice, false);
  assert.equal(netW.peer, 'zeek');
});
