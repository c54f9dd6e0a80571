// Conn-level analysis over threads, as a Zeek cluster spreads flows over workers. This thread reads the
// capture (a file, stdin or a stream) into shared chunks and routes each frame to a shard (route.ts: a
// cheap address-only parse for most frames). It analyses the last shard itself; each worker thread gets,
// per chunk, the list of its frames there, so the frames are never copied. It writes the records of
// every shard. Uids are keyed by packet number, so the logs hold the same rows as a single-threaded run
// (in another order).
import { Worker } from 'node:worker_threads';
import { CHUNK, openCapture } from '../capture/index.js';
import { connSchema } from '../zeek/schemas/conn.js';
import { tunnelSchema } from '../zeek/schemas/tunnel.js';
import { weirdSchema } from '../zeek/schemas/weird.js';
import { analyzerSchema } from '../analyzers/framework/analyzer-log.js';
import type { LogSchema, LogSink } from '../zeek/types.js';
import { ShardRouter } from './route.js';
import { createPipeline } from './pipeline.js';
import { ChunkPool, FrameBatch } from './chunks.js';
import type { ToWorker, WorkerInit, WorkerMessage } from './worker.js';
import { LinkTypes, openSink, sensorWarnings, type Selection, type SensorOptions, type SensorStats } from './index.js';

type Done = Extract<WorkerMessage, { t: 'done' }>;

interface Crew {
  /** Every worker's final counts; rejects with the first failure. */
  done: Promise<Done[]>;
  send(i: number, m: ToWorker): void;
  terminate(): void;
}

/** Starts the workers; records they send go to `sink`, chunks they are done with to `onFree`. */
function startWorkers(inits: WorkerInit[], sink: LogSink, onFree: (worker: number, id: number, frames: Float64Array<ArrayBuffer>) => void): Crew {
  const schemas = new Map<string, LogSchema>([connSchema, tunnelSchema, weirdSchema, analyzerSchema].map((x) => [x.path, x]));
  const workers: Worker[] = [];
  const each: Promise<Done>[] = [];
  for (const [i, workerData] of inits.entries()) {
    const w = new Worker(new URL('./worker.js', import.meta.url), { workerData });
    workers.push(w);
    each.push(new Promise((resolve, reject) => {
      w.on('message', (m: WorkerMessage) => {
        if (m.t === 'rec') {
          for (const [path, rec] of m.rows) {
            const schema = schemas.get(path);
            if (schema) sink.write(schema, rec);
          }
        } else if (m.t === 'free') onFree(i, m.id, m.frames);
        else if (m.t === 'done') resolve(m);
        else reject(new Error(m.message));
      });
      w.on('error', reject);
      w.on('exit', (code) => { if (code !== 0) reject(new Error(`sensor worker exited with code ${code}`)); });
    }));
  }
  const done = Promise.all(each);
  done.catch(() => {}); // awaited by the caller; this keeps an early failure from being unhandled
  return {
    done,
    send: (i, m) => workers[i]!.postMessage(m, m.t === 'chunk' ? [m.frames.buffer] : []),
    terminate: () => { for (const w of workers) void w.terminate(); },
  };
}

/**
 * How much dearer a frame of this thread's shard counts when the router picks a shard for a new address
 * pair, since this thread also reads and routes every frame: its shard gets 40% of the frames with 2
 * shards (measured best of 1, 1.5, 2, 2.5 and 3 on the bench capture).
 */
const MAIN_SHARD_WEIGHT = 1.5;

/**
 * Conn-level analysis over `n` shards: n-1 worker threads and this thread, which analyses the last shard
 * itself between reading and routing frames (one isolate fewer to compile and collect, and half the frames
 * never handed off).
 */
export async function analyzeParallel(opts: SensorOptions, sel: Selection, n: number): Promise<SensorStats> {
  const { sink, written } = openSink(opts, sel);
  const nw = n - 1;
  const own = n - 1;
  // Enough chunks for the reader to fill one while each worker works through two. A chunk is the reader's
  // own buffer size, so that it accepts and rejects exactly the blocks a single-threaded run does.
  const pool = new ChunkPool(2 + 2 * nw, CHUNK);
  const base = { sel, ignoreChecksums: !!opts.ignoreChecksums };
  const batches = Array.from({ length: nw }, () => new FrameBatch());
  const crew = startWorkers(Array.from({ length: nw }, () => ({ ...base, chunks: pool.shared })), sink, (w, id, frames) => {
    batches[w]!.giveBack(frames);
    pool.release(id);
  });
  crew.done.catch((e: unknown) => pool.fail(e));
  // The router already applied the filter, as it does for the workers.
  const pipe = createPipeline(sel, sink, { ignoreChecksums: opts.ignoreChecksums });
  let chunk = -1;
  /** Sends each worker its frames in the current chunk. */
  const handOut = (): void => {
    let users = 0;
    for (let w = 0; w < nw; w++) {
      if (batches[w]!.count === 0) continue;
      crew.send(w, batches[w]!.take(chunk));
      users++;
    }
    pool.handedOut(chunk, users);
  };
  const reader = openCapture(opts.input, undefined, async () => {
    if (chunk >= 0) handOut();
    chunk = await pool.take();
    return pool.buffer(chunk);
  });
  const weights = new Array<number>(n).fill(1);
  weights[own] = MAIN_SHARD_WEIGHT;
  const router = new ShardRouter(n, { filter: opts.filter, weights });
  const every = opts.progressEvery ?? 1 << 16;
  let untilProgress = every;
  let index = 0;
  const links = new LinkTypes();
  let capture;
  let results: Done[];
  try {
    capture = await reader.run((raw) => {
      links.see(raw);
      const i = index++;
      if (--untilProgress === 0) {
        untilProgress = every;
        opts.onProgress?.({ packets: reader.stats.packets, bytes: reader.stats.bytes, connections: pipe.connections(), active: pipe.active() });
      }
      const w = router.route(raw);
      if (w < 0) return;
      if (w === own) pipe.packet(router.reassembled ? router.whole : raw, i);
      else if (router.reassembled) batches[w]!.add(router.whole, i, true);
      else batches[w]!.add(raw, i, false);
    });
    if (chunk >= 0) handOut();
    for (let w = 0; w < nw; w++) crew.send(w, { t: 'end' });
    pipe.finish();
    results = await crew.done;
  } catch (err) {
    crew.terminate();
    throw err;
  } finally {
    await sink.close();
  }
  const connections = results.reduce((a, r) => a + r.connections, pipe.connections());
  const bad = pipe.badChecksums();
  for (const r of results) {
    bad.ip += r.badChecksums.ip;
    bad.tcp += r.badChecksums.tcp;
    bad.udp += r.badChecksums.udp;
  }
  opts.onProgress?.({ packets: capture.packets, bytes: capture.bytes, connections, active: 0 });
  return {
    packets: capture.packets,
    bytes: capture.bytes,
    ipPackets: results.reduce((a, r) => a + r.ipPackets, pipe.ipPackets()),
    connections,
    truncated: capture.truncated,
    warnings: [...capture.warnings, ...sensorWarnings(opts, capture.packets, bad, links)],
    badChecksums: bad,
    logs: [...written],
  };
}
