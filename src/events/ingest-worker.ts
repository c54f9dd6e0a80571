// A worker thread of `wirehunt ingest`: maps one Zeek log (or a byte range of one) to
// DeviceNetworkEvents rows and stages them in batch files; the thread holding the store inserts
// them (events/pool.ts). It is given the devices and certificates known where the file stands in
// the input order, and it only reads logs that teach nothing (no dns, dhcp or x509), so its rows
// are the ones the single-threaded ingest writes for the same records.

import { parentPort } from 'node:worker_threads';
import { readZeekLog, ReaderError } from '../zeek/reader.js';
import { BatchStager } from '../store/store.js';
import { DeviceRegistry } from './devices.js';
import { DNE_COLUMNS, EventModel } from './model.js';
import type { ToWorker, FromWorker, WorkerJob } from './pool.js';
import { LEARNING_PATHS } from './pool.js';

/** Batches staged but not yet inserted, per worker: bounds memory and staging space. */
const MAX_OUTSTANDING = 2;

const port = parentPort!;
let outstanding = 0;
let acked: (() => void) | undefined;

const post = (m: FromWorker) => port.postMessage(m);

port.on('message', (m: ToWorker) => {
  if (m.type === 'ack') {
    outstanding--;
    const a = acked;
    acked = undefined;
    a?.();
  } else if (m.type === 'job') {
    run(m.job).catch((err: unknown) => {
      post({ type: 'error', id: m.job.id, message: String((err as Error)?.message ?? err).split('\n')[0]!, user: err instanceof ReaderError || (err as Error)?.name === 'UserError' });
    });
  }
});

async function run(job: WorkerJob): Promise<void> {
  const registry = new DeviceRegistry(job.devices, job.discover);
  const known = new Set(registry.devices);
  const stager = new BatchStager('DeviceNetworkEvents', DNE_COLUMNS, `w${job.id}`);
  const model = new EventModel(registry, stager, job.modelOpts);
  model.importCerts(job.certs);
  const handOver = async () => {
    const batch = stager.take();
    if (!batch) return;
    outstanding++;
    post({ type: 'batch', id: job.id, batch });
    while (outstanding >= MAX_OUTSTANDING) await new Promise<void>((r) => (acked = r));
  };
  try {
    const stats = await readZeekLog(
      job.file,
      (schema, rec) => {
        if (LEARNING_PATHS.has(schema.path)) throw new Error(`${job.file}: a ${schema.path} record in a worker's range`);
        model.write(schema, rec);
        if (stager.pending >= job.batchSize) return handOver();
      },
      {
        maskedTime: job.maskedTime,
        start: job.start,
        end: job.end,
        preamble: job.preamble,
        onMalformed: (_f, line, reason) => post({ type: 'warn', id: job.id, line, reason }),
      },
    );
    await handOver();
    const discovered: string[] = [];
    const seen: string[] = [];
    for (const d of registry.seen) {
      if (known.has(d)) seen.push(d.DeviceId);
      else discovered.push(d.IPAddresses[0]!);
    }
    post({ type: 'done', id: job.id, stats, events: model.stats, discovered, seen });
  } catch (err) {
    stager.discard();
    throw err;
  }
}
