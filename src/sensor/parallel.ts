// Conn-level analysis over worker threads, as a Zeek cluster spreads flows over workers: this thread
// reads and decodes each frame only to find its shard (a symmetric hash of the outermost address pair,
// so IP fragments, tunnels and both directions of a flow stay together), copies it into that worker's
// shared ring, and writes the records the workers send back. Uids are keyed by packet number, so the
// logs hold the same rows as a single-threaded run (in another order).
import { Worker } from 'node:worker_threads';
import { openCapture } from '../capture/index.js';
import { Decoder, DecodeStatus, DecodedPacket } from '../decode/index.js';
import { L3 } from '../decode/packet.js';
import { connSchema } from '../zeek/schemas/conn.js';
import { tunnelSchema } from '../zeek/schemas/tunnel.js';
import { weirdSchema } from '../zeek/schemas/weird.js';
import { analyzerSchema } from '../analyzers/framework/analyzer-log.js';
import type { LogSchema, ZeekRecord } from '../zeek/types.js';
import { RingWriter, newRing } from './ring.js';
import { openSink, type Selection, type SensorOptions, type SensorStats } from './index.js';

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

function shardOf(p: DecodedPacket, n: number): number {
  let h: number;
  if (p.l3 === L3.IPv4) h = mix32(p.src4 ^ p.dst4);
  else if (p.l3 === L3.IPv6) {
    const s = p.src6, d = p.dst6;
    h = mix32((s[0]! ^ d[0]!) + mix32((s[1]! ^ d[1]!) + mix32((s[2]! ^ d[2]!) + mix32(s[3]! ^ d[3]!))));
  } else return 0;
  return h % n;
}

export async function analyzeParallel(opts: SensorOptions, sel: Selection, n: number): Promise<SensorStats> {
  const { sink, written } = openSink(opts, sel);
  const schemas = new Map<string, LogSchema>([connSchema, tunnelSchema, weirdSchema, analyzerSchema].map((x) => [x.path, x]));
  const writers: RingWriter[] = [];
  const workers: Worker[] = [];
  const done: Promise<{ ipPackets: number; connections: number }>[] = [];
  let failure: Error | undefined;
  for (let i = 0; i < n; i++) {
    const sab = newRing();
    writers.push(new RingWriter(sab));
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: { sab, analyzers: opts.analyzers ? [...opts.analyzers] : null, ignoreChecksums: !!opts.ignoreChecksums },
    });
    workers.push(w);
    done.push(new Promise((resolve, reject) => {
      w.on('message', (m: { t: string; rows?: [string, ZeekRecord][]; message?: string; ipPackets?: number; connections?: number }) => {
        if (m.t === 'rec') {
          for (const [path, rec] of m.rows!) {
            const schema = schemas.get(path);
            if (schema) sink.write(schema, rec);
          }
        }
        else if (m.t === 'done') resolve({ ipPackets: m.ipPackets!, connections: m.connections! });
        else if (m.t === 'error') { failure = new Error(m.message); reject(failure); }
      });
      w.on('error', (e) => { failure = e; reject(e); });
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`sensor worker exited with code ${code}`)); });
    }));
  }
  // Keep unhandled rejections away while the reader runs; they are awaited below.
  for (const d of done) d.catch(() => {});

  const reader = openCapture(opts.input);
  const decoder = new Decoder({ ignoreChecksums: !!opts.ignoreChecksums });
  const p = new DecodedPacket();
  const filter = opts.filter;
  const every = opts.progressEvery ?? 1 << 16;
  let untilProgress = every;
  let index = 0;
  let stats;
  try {
    stats = await reader.run((raw) => {
      const i = index++;
      const st = decoder.decode(raw, p);
      if (filter && !filter(p)) return;
      if (st === DecodeStatus.NotIP || st === DecodeStatus.Weird || st === DecodeStatus.Ignored) return;
      writers[shardOf(p, n)]!.write(raw, i);
      if (--untilProgress === 0) {
        untilProgress = every;
        opts.onProgress?.({ packets: reader.stats.packets, bytes: reader.stats.bytes, connections: 0, active: 0 });
      }
    });
  } catch (err) {
    for (const w of workers) void w.terminate();
    await sink.close();
    throw failure ?? err;
  }
  for (const w of writers) w.close();
  let results;
  try {
    results = await Promise.all(done);
  } finally {
    await sink.close();
  }
  const connections = results.reduce((a, r) => a + r.connections, 0);
  opts.onProgress?.({ packets: stats.packets, bytes: stats.bytes, connections, active: 0 });
  return {
    packets: stats.packets,
    bytes: stats.bytes,
    ipPackets: results.reduce((a, r) => a + r.ipPackets, 0),
    connections,
    truncated: stats.truncated,
    warnings: stats.warnings,
    logs: [...written],
  };
}
