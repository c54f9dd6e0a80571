// Worker threads for `wirehunt ingest` of Zeek logs: each maps a log, or a byte range of a large
// uncompressed one, to DeviceNetworkEvents rows and stages them in batch files (events/ingest-worker.ts);
// this thread inserts the batches one at a time through the store's BatchWriter. At most two
// batches per worker wait to be inserted, so memory stays bounded whatever the input size.

import { rmSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { BatchWriter, StagedBatch } from '../store/store.js';
import type { ReadStats } from '../zeek/reader.js';
import type { Device } from './devices.js';
import type { EventModelOptions, EventStats } from './model.js';

/** Logs whose records change what later rows hold (device names and MACs, certificates): read in order by the ingest's own thread. */
export const LEARNING_PATHS: ReadonlySet<string> = new Set(['dns', 'dhcp', 'x509']);

export interface WorkerJob {
  id: number;
  file: string;
  start?: number;
  end?: number;
  preamble?: string;
  /** The devices known where the file stands in the input order (copies without internal marks). */
  devices: Device[];
  discover: boolean;
  certs: [string, string, string][];
  modelOpts: EventModelOptions;
  maskedTime: 'skip' | 'zero';
  batchSize: number;
}

export type ToWorker = { type: 'job'; job: WorkerJob } | { type: 'ack' };

export type FromWorker =
  | { type: 'batch'; id: number; batch: StagedBatch }
  | { type: 'warn'; id: number; line: number; reason: string }
  | { type: 'done'; id: number; stats: ReadStats; events: EventStats; discovered: string[]; seen: string[] }
  | { type: 'error'; id: number; message: string; user: boolean };

export interface JobResult {
  stats: ReadStats;
  events: EventStats;
  /** Malformed lines, numbered from the job's first line. */
  warnings: { line: number; reason: string }[];
  /** Addresses of devices the job discovered, and DeviceIds of the known devices it saw. */
  discovered: string[];
  seen: string[];
}

export class JobError extends Error {
  constructor(message: string, readonly user: boolean) {
    super(message);
  }
}

interface Slot {
  worker: Worker;
  job?: { job: WorkerJob; resolve: (r: JobResult) => void; reject: (e: unknown) => void; warnings: JobResult['warnings']; inserts: Promise<void> };
}

export class IngestPool {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: WorkerJob; resolve: (r: JobResult) => void; reject: (e: unknown) => void }[] = [];
  private failed: unknown;
  /** Staging files of batches handed over and not yet inserted (removed on close). */
  private readonly unsettled = new Set<string>();

  /** `onBatch(rows)`: a worker's batch was inserted. */
  constructor(size: number, private readonly writer: BatchWriter, private readonly onBatch: (rows: number) => void) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./ingest-worker.js', import.meta.url));
      const slot: Slot = { worker };
      worker.on('message', (m: FromWorker) => this.onMessage(slot, m));
      worker.on('error', (err) => this.fail(slot, err));
      this.slots.push(slot);
    }
  }

  /** Runs a job on the next free worker; resolves once all its batches are inserted. */
  run(job: WorkerJob): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      if (this.failed) return reject(this.failed);
      this.queue.push({ job, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    for (const slot of this.slots) {
      if (slot.job || !this.queue.length) continue;
      const q = this.queue.shift()!;
      slot.job = { ...q, warnings: [], inserts: Promise.resolve() };
      slot.worker.postMessage({ type: 'job', job: q.job } satisfies ToWorker);
    }
  }

  private onMessage(slot: Slot, m: FromWorker): void {
    const cur = slot.job;
    if (!cur || cur.job.id !== m.id) return;
    switch (m.type) {
      case 'batch':
        // Inserts run one at a time in the writer's queue; a failed one fails the job.
        this.unsettled.add(m.batch.file);
        cur.inserts = cur.inserts.then(async () => {
          await this.writer.insertStaged(m.batch);
          this.unsettled.delete(m.batch.file);
          this.onBatch(m.batch.rows);
          slot.worker.postMessage({ type: 'ack' } satisfies ToWorker);
        });
        cur.inserts.catch(() => {});
        break;
      case 'warn':
        cur.warnings.push({ line: m.line, reason: m.reason });
        break;
      case 'done':
        cur.inserts.then(
          () => {
            slot.job = undefined;
            cur.resolve({ stats: m.stats, events: m.events, warnings: cur.warnings, discovered: m.discovered, seen: m.seen });
            this.next();
          },
          (err: unknown) => this.fail(slot, err),
        );
        break;
      case 'error':
        this.fail(slot, new JobError(m.message, m.user));
        break;
    }
  }

  private fail(slot: Slot, err: unknown): void {
    this.failed ??= err;
    const cur = slot.job;
    slot.job = undefined;
    cur?.reject(err);
    for (const q of this.queue.splice(0)) q.reject(err);
  }

  /** Stops the workers and removes batch files never inserted (after a failure). */
  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const f of this.unsettled) rmSync(f, { force: true });
    this.unsettled.clear();
  }
}
