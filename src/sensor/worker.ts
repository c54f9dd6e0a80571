// A sensor worker thread: runs the conn-level pipeline on the flows of its shard and posts the log records
// back to the main thread in batches. Its frames come either from the capture file itself (every worker
// reads the whole file and routes each frame with the same rules, analysing only its own shard's) or,
// for input only one thread can read (stdin), from a ring the main thread fills.
import { parentPort, workerData } from 'node:worker_threads';
import { RingReader, markDead } from './ring.js';
import { ShardRouter } from './route.js';
import { createPipeline, selectAnalyzers } from './index.js';
import { openCapture, CaptureError } from '../capture/index.js';
import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';

export interface WorkerInit {
  analyzers: string[] | null;
  ignoreChecksums: boolean;
  /** Ring mode: the shared ring the main thread fills. */
  sab?: SharedArrayBuffer;
  /** File mode: the capture, this worker's shard and the number of shards. */
  file?: string;
  shard?: number;
  shards?: number;
  /** File mode: post progress every this many frames (shard 0 only; 0 = never). */
  progressEvery?: number;
}

export type WorkerMessage =
  | { t: 'rec'; rows: [string, ZeekRecord][] }
  | { t: 'progress'; packets: number; bytes: number }
  | { t: 'done'; ipPackets: number; connections: number; packets?: number; bytes?: number; truncated?: boolean; warnings?: string[] }
  | { t: 'error'; message: string; capture: boolean };

const init = workerData as WorkerInit;
const port = parentPort!;
let batch: [string, ZeekRecord][] = [];
const flush = (): void => {
  if (batch.length) port.postMessage({ t: 'rec', rows: batch } satisfies WorkerMessage);
  batch = [];
};
const sink: LogSink = {
  write(schema: LogSchema, rec: ZeekRecord): void {
    batch.push([schema.path, rec]);
    if (batch.length >= 4096) flush();
  },
  async close(): Promise<void> { flush(); },
};

try {
  const sel = selectAnalyzers(init.analyzers);
  const pipe = createPipeline(sel, sink, { ignoreChecksums: init.ignoreChecksums });
  if (init.file !== undefined) {
    const me = init.shard!;
    const router = new ShardRouter(init.shards!);
    const reader = openCapture(init.file);
    const every = me === 0 ? init.progressEvery ?? 0 : 0;
    let untilProgress = every;
    let index = 0;
    const stats = await reader.run((raw) => {
      const i = index++;
      if (every && --untilProgress === 0) {
        untilProgress = every;
        port.postMessage({ t: 'progress', packets: reader.stats.packets, bytes: reader.stats.bytes } satisfies WorkerMessage);
      }
      if (router.route(raw) !== me) return;
      pipe.packet(router.reassembled ? router.whole : raw, i);
    });
    pipe.finish();
    flush();
    port.postMessage({
      t: 'done', ipPackets: pipe.ipPackets(), connections: pipe.connections(),
      packets: stats.packets, bytes: stats.bytes, truncated: stats.truncated, warnings: stats.warnings,
    } satisfies WorkerMessage);
  } else {
    new RingReader(init.sab!).run((raw, index) => pipe.packet(raw, index));
    pipe.finish();
    flush();
    port.postMessage({ t: 'done', ipPackets: pipe.ipPackets(), connections: pipe.connections() } satisfies WorkerMessage);
  }
} catch (err) {
  if (init.sab) markDead(init.sab);
  port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err), capture: err instanceof CaptureError } satisfies WorkerMessage);
}
