// A sensor worker thread: reads frames from its ring, runs the conn-level pipeline on the flows of its
// shard and posts the log records back to the main thread in batches.
import { parentPort, workerData } from 'node:worker_threads';
import { RingReader, markDead } from './ring.js';
import { createPipeline, selectAnalyzers } from './index.js';
import type { LogSchema, LogSink, ZeekRecord } from '../zeek/types.js';

interface Init { sab: SharedArrayBuffer; analyzers: string[] | null; ignoreChecksums: boolean }

const init = workerData as Init;
const port = parentPort!;
let batch: [string, ZeekRecord][] = [];
const flush = (): void => {
  if (batch.length) port.postMessage({ t: 'rec', rows: batch });
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
  new RingReader(init.sab).run((raw, index) => pipe.packet(raw, index));
  pipe.finish();
  flush();
  port.postMessage({ t: 'done', ipPackets: pipe.ipPackets(), connections: pipe.connections() });
} catch (err) {
  markDead(init.sab);
  port.postMessage({ t: 'error', message: err instanceof Error ? err.message : String(err) });
}
