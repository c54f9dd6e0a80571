// Live sensor benchmark (never run as a test; needs root, tcpdump, tcpreplay, iproute2, curl):
// `npm run bench:live [-- options]`.
//
// Makes a network namespace joined to the host by a veth pair, runs the live sensor (in this process,
// private store) on the host end, and replays a generated capture (HTTP/DNS mix, cached in
// bench/.data/) into the namespace end with tcpreplay at increasing packet rates. At each rate it
// reports what tcpdump captured and dropped, what the sensor analysed, and the packet-to-queryable
// latency: a curl from the namespace to a server on the host, in the middle of the replay, timed from
// curl's exit until its HttpConnectionInspected row answers a KQL query. The highest rate held
// without drops (tcpdump's kernel/interface drops and packets never reaching the sensor) is the result.
//
// Options:
//   --rates <list>     packets/s to try, comma-separated (default 2000,5000,10000,20000,40000,80000)
//   --seconds <n>      replay time per rate (default 4)
//   --flush <ms>       the sensor's batch period (default 1000)
//   --size <MB>        generated capture size (default 16)

import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMixedCapture } from '../src/synth/index.js';
import { openStore } from '../src/store/store.js';
import { runQuery } from '../src/kql/index.js';
import { LiveSensor } from '../src/live/sensor.js';
import { makeNetns } from '../test/live/netns.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = join(root, 'bench', '.data');

interface Args { rates: number[]; seconds: number; flush: number; sizeMB: number }
function parseArgs(argv: string[]): Args {
  const a: Args = { rates: [2000, 5000, 10000, 20000, 40000, 80000], seconds: 4, flush: 1000, sizeMB: 16 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--rates') a.rates = v().split(',').map(Number).filter((n) => n > 0);
    else if (k === '--seconds') a.seconds = Number(v());
    else if (k === '--flush') a.flush = Number(v());
    else if (k === '--size') a.sizeMB = Number(v());
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

function need(cmd: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${cmd} not found (apt-get install ${cmd === 'ip' ? 'iproute2' : cmd})`);
  }
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (b: Buffer) => { out += b; });
    c.stderr.on('data', (b: Buffer) => { out += b; });
    c.on('exit', (code) => resolve({ code, out }));
  });
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench:live needs root (network namespaces, capture)');
  for (const c of ['ip', 'tcpdump', 'tcpreplay', 'curl']) need(c);
  mkdirSync(dataDir, { recursive: true });
  const pcap = join(dataDir, `live-mix-${a.sizeMB}MB.pcap`);
  if (!existsSync(pcap)) {
    const r = generateMixedCapture(pcap, { targetBytes: a.sizeMB * 1e6, seed: 7, apps: true });
    console.log(`generated ${pcap}: ${r.packets} packets, ${(r.bytes / 1e6).toFixed(1)} MB`);
  }
  const ns = makeNetns('b');
  const dbDir = mkdtempSync(join(tmpdir(), 'wirehunt-bench-live-'));
  const store = await openStore(join(dbDir, 'bench.duckdb'));
  const server = createServer((req, res) => res.end('ok\n'));
  await new Promise<void>((r) => server.listen(8088, ns.hostIP, () => r()));
  const sensor = new LiveSensor({ iface: ns.hostIf, store, flushMs: a.flush, discover: true });
  const results: { rate: number; sent: number; captured: number; drops: number; analysed: number; latencyMs: number; held: boolean }[] = [];
  try {
    await sensor.start();
    // The first query loads the KQL language service (seconds): not part of any latency.
    await runQuery(store, 'DeviceNetworkEvents | count');
    console.log(`sensor on ${ns.hostIf}; replaying into ${ns.name} for ${a.seconds} s per rate; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log('rate pps | sent | captured by sensor | tcpdump drops | held | packet→queryable');
    let marker = 0;
    for (const rate of a.rates) {
      const before = sensor.status;
      const limit = Math.round(rate * a.seconds);
      const replay = run('ip', ['netns', 'exec', ns.name, 'tcpreplay', '-q', '-i', `${ns.hostIf.slice(0, -1)}n`, `--pps=${rate}`, `--limit=${limit}`, '--loop=1000', pcap]);
      // The marker, mid-replay: one HTTP request from the namespace to this host.
      await new Promise((r) => setTimeout(r, (a.seconds * 1000) / 2));
      const ua = `wirehunt-bench-${process.pid}-${++marker}`;
      await run('ip', ['netns', 'exec', ns.name, 'curl', '-s', '-A', ua, `http://${ns.hostIP}:8088/`]);
      const sentAt = Date.now();
      const r = await replay;
      const m = /Actual: (\d+) packets/.exec(r.out);
      const sent = m ? Number(m[1]) : limit;
      let latencyMs = NaN;
      for (;;) {
        const q = await runQuery(store, `DeviceNetworkEvents | where ActionType == "HttpConnectionInspected" and tostring(todynamic(AdditionalFields).user_agent) == "${ua}" | count`);
        if (Number((q.rows[0] as Record<string, unknown>).Count) > 0) { latencyMs = Date.now() - sentAt; break; }
        if (Date.now() - sentAt > 60_000) break;
        await new Promise((res) => setTimeout(res, 50));
      }
      // Let tcpdump answer a statistics request and the reader catch up.
      await new Promise((res) => setTimeout(res, a.flush + 500));
      const after = sensor.status;
      const captured = after.packets - before.packets;
      const drops = after.drops - before.drops;
      // The marker's own packets (~10) come on top of the replay.
      const held = drops === 0 && captured >= sent;
      results.push({ rate, sent, captured, drops, analysed: captured, latencyMs, held });
      console.log(`${String(rate).padStart(8)} | ${String(sent).padStart(6)} | ${String(captured).padStart(18)} | ${String(drops).padStart(13)} | ${held ? 'yes ' : 'no  '} | ${Number.isFinite(latencyMs) ? `${latencyMs} ms` : 'not seen in 60 s'} (backlog ${Math.max(0, after.captured - after.packets)} packets)`);
      if (!held && drops > sent / 10) break; // far past the limit
    }
  } finally {
    const s = await sensor.stop().catch(() => sensor.status);
    server.close();
    store.close();
    ns.destroy();
    rmSync(dbDir, { recursive: true, force: true });
    console.log(`sensor: ${s.packets} packets, ${s.connections} connections, ${s.rows} rows, ${s.drops} drops`);
  }
  const best = results.filter((r) => r.held).pop();
  if (best) console.log(`highest rate held without drops: ${best.rate} packets/s; packet→queryable latency there: ${best.latencyMs} ms (batch period ${a.flush} ms)`);
  else console.log('no rate was held without drops');
}

main().catch((err: unknown) => {
  console.error(`bench:live: ${(err as Error).message ?? err}`);
  process.exitCode = 1;
});
