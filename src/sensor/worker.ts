// A sensor worker thread: runs the conn-level pipeline on the frames of its shard, which the main thread
// sends chunk by chunk (the frames stay in the shared chunk the capture was read into, see chunks.ts),
// and posts the log records back in batches.
import { parentPort, workerData } from 'node:worker_threads';
import { createPipeline, type BadChecksums, type Selection } from './pipeline.js';
import type { RawPacket } from '../capture/types.js';
import { eachFrame, type ChunkBatch } from './chunks.js';
import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';

export interface WorkerInit {
  /** What the run enables (conn-level: no analyzer specs, so nothing that cannot be cloned). */
  sel: Selection;
  ignoreChecksums: boolean;
  /** The chunks the main thread reads the capture into. */
  chunks: SharedArrayBuffer[];
}

/** Messages to a worker: its frames in one chunk, or the end of the input. */
export type ToWorker = ChunkBatch | { t: 'end' };

/** Messages from a worker. */
export type WorkerMessage =
  | { t: 'rec'; rows: [string, ZeekRecord][] }
  | { t: 'free'; id: number; frames: Float64Array<ArrayBuffer> }
  | { t: 'done'; ipPackets: number; connections: number; badChecksums: BadChecksums }
  | { t: 'error'; message: string };

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

const fail = (err: unknown): void => {
  port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) } satisfies WorkerMessage);
  port.close();
};

try {
  const pipe = createPipeline(init.sel, sink, { ignoreChecksums: init.ignoreChecksums });
  const chunks = init.chunks.map((sab) => Buffer.from(sab));
  const raw: RawPacket = { ts: 0, linkType: 0, interfaceId: 0, wireLen: 0, data: chunks[0]!, offset: 0, capLen: 0 };
  const onFrame = (r: RawPacket, index: number): void => pipe.packet(r, index);
  port.on('message', (m: ToWorker) => {
    try {
      if (m.t === 'chunk') {
        eachFrame(m, chunks[m.id]!, raw, onFrame);
        port.postMessage({ t: 'free', id: m.id, frames: m.frames } satisfies WorkerMessage, [m.frames.buffer]);
      } else {
        pipe.finish();
        flush();
        port.postMessage({ t: 'done', ipPackets: pipe.ipPackets(), connections: pipe.connections(), badChecksums: pipe.badChecksums() } satisfies WorkerMessage);
        port.close();
      }
    } catch (err) {
      fail(err);
    }
  });
} catch (err) {
  fail(err);
}
