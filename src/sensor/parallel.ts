// Conn-level analysis over worker threads, as a Zeek cluster spreads flows over workers (route.ts says
// which worker analyses a frame). For a capture file every worker reads the file itself and analyses only
// its shard's frames: no copies, and this thread only writes the records the workers send back. Input
// only one thread can read (stdin, a stream) or a capture filter (a function, which cannot cross threads)
// takes the ring path: this thread reads and routes each frame and copies it into its worker's ring.
// Uids are keyed by packet number, so the logs hold the same rows as a single-threaded run (in another order).
import { Worker } from 'node:worker_threads';
import { openCapture, CaptureError } from '../capture/index.js';
import { connSchema } from '../zeek/schemas/conn.js';
import { tunnelSchema } from '../zeek/schemas/tunnel.js';
import { weirdSchema } from '../zeek/schemas/weird.js';
import { analyzerSchema } from '../analyzers/framework/analyzer-log.js';
import type { LogSchema, LogSink } from '../zeek/types.js';
import { RingWriter, newRing } from './ring.js';
import { ShardRouter } from './route.js';
import type { WorkerInit, WorkerMessage } from './worker.js';
import { openSink, type Selection, type SensorOptions, type SensorStats } from './index.js';

type Done = Extract<WorkerMessage, { t: 'done' }>;

interface Crew {
  done: Promise<Done[]>;
  terminate(): void;
}

/** Starts the workers; records they send go to `sink`, progress of shard 0 to `onProgress`. */
function startWorkers(inits: WorkerInit[], sink: LogSink, onProgress?: (packets: number, bytes: number) => void): Crew {
  const schemas = new Map<string, LogSchema>([connSchema, tunnelSchema, weirdSchema, analyzerSchema].map((x) => [x.path, x]));
  const workers: Worker[] = [];
  const each: Promise<Done>[] = [];
  for (const workerData of inits) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData });
    workers.push(w);
    each.push(new Promise((resolve, reject) => {
      w.on('message', (m: WorkerMessage) => {
        if (m.t === 'rec') {
          for (const [path, rec] of m.rows) {
            const schema = schemas.get(path);
            if (schema) sink.write(schema, rec);
          }
        } else if (m.t === 'progress') onProgress?.(m.packets, m.bytes);
        else if (m.t === 'done') resolve(m);
        else if (m.t === 'error') reject(m.capture ? new CaptureError(m.message) : new Error(m.message));
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`sensor worker exited with code ${code}`)); });
    }));
  }
  // Keep unhandled rejections away while the caller is busy; the first failure is awaited through `done`.
  for (const d of each) d.catch(() => {});
  return {
    done: Promise.all(each),
    terminate: () => { for (const w of workers) void w.terminate(); },
  };
}

export async function analyzeParallel(opts: SensorOptions, sel: Selection, n: number): Promise<SensorStats> {
  const { sink, written } = openSink(opts, sel);
  const base = { analyzers: opts.analyzers ? [...opts.analyzers] : null, ignoreChecksums: !!opts.ignoreChecksums };
  const every = opts.progressEvery ?? 1 << 16;
  const fileMode = typeof opts.input === 'string' && opts.input !== '-' && !opts.filter;
  let capture: { packets: number; bytes: number; truncated: boolean; warnings: string[] };
  let results: Done[];
  if (fileMode) {
    const inits: WorkerInit[] = [];
    for (let shard = 0; shard < n; shard++) inits.push({ ...base, file: opts.input as string, shard, shards: n, progressEvery: opts.onProgress ? every : 0 });
    const crew = startWorkers(inits, sink, (packets, bytes) => opts.onProgress?.({ packets, bytes, connections: 0, active: 0 }));
    try {
      results = await crew.done;
    } catch (err) {
      crew.terminate();
      throw err;
    } finally {
      await sink.close();
    }
    const r0 = results[0]!;
    capture = { packets: r0.packets!, bytes: r0.bytes!, truncated: !!r0.truncated, warnings: r0.warnings ?? [] };
  } else {
    const sabs = Array.from({ length: n }, () => newRing());
    const writers = sabs.map((sab) => new RingWriter(sab));
    const crew = startWorkers(sabs.map((sab) => ({ ...base, sab })), sink);
    let failure: unknown;
    crew.done.catch((e: unknown) => { failure = e; });
    const reader = openCapture(opts.input);
    const router = new ShardRouter(n, { filter: opts.filter });
    let untilProgress = every;
    let index = 0;
    try {
      capture = await reader.run((raw) => {
        const i = index++;
        if (--untilProgress === 0) {
          untilProgress = every;
          opts.onProgress?.({ packets: reader.stats.packets, bytes: reader.stats.bytes, connections: 0, active: 0 });
        }
        const w = router.route(raw);
        if (w >= 0) writers[w]!.write(router.reassembled ? router.whole : raw, i);
      });
      for (const w of writers) w.close();
      results = await crew.done;
    } catch (err) {
      crew.terminate();
      throw failure ?? err;
    } finally {
      await sink.close();
    }
  }
  const connections = results.reduce((a, r) => a + r.connections, 0);
  opts.onProgress?.({ packets: capture.packets, bytes: capture.bytes, connections, active: 0 });
  return {
    packets: capture.packets,
    bytes: capture.bytes,
    ipPackets: results.reduce((a, r) => a + r.ipPackets, 0),
    connections,
    truncated: capture.truncated,
    warnings: capture.warnings,
    logs: [...written],
  };
}
