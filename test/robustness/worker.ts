// Worker thread of the robustness harness: runs corpus captures or fuzz mutations through the pipeline,
// reporting before and after each one so that the main thread can spot a hang and name the culprit.

import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { classify, loadPipeline } from './pipeline.js';
import { mutate } from './mutate.js';

export interface WorkerJob {
  kind: 'files' | 'fuzz';
  /** Corpus files (kind files: each is one item; kind fuzz: the mutation inputs). */
  files: string[];
  seed: number;
  from: number;
  to: number;
}

export type WorkerMsg =
  | { t: 'ready'; pipeline: string }
  | { t: 'begin'; i: number; what: string }
  | { t: 'end'; i: number; outcome: 'ok' | 'error' | 'fail'; detail?: string; ms: number; packets?: number };

const job = workerData as WorkerJob;
const post = (m: WorkerMsg): void => parentPort!.postMessage(m);

const pipeline = await loadPipeline();
post({ t: 'ready', pipeline: pipeline.name });
const inputs = job.kind === 'fuzz' ? job.files.map((f) => readFileSync(f)) : [];
for (let i = job.from; i < job.to; i++) {
  let input: string | Buffer;
  let what: string;
  if (job.kind === 'files') {
    input = job.files[i]!;
    what = input;
  } else {
    const m = mutate(inputs, job.seed, i);
    input = m.data;
    what = `mutation ${i} (seed ${job.seed}) of ${job.files[m.base]}: ${m.desc}`;
  }
  post({ t: 'begin', i, what });
  const t0 = performance.now();
  try {
    const packets = await pipeline.run(input);
    post({ t: 'end', i, outcome: 'ok', ms: performance.now() - t0, packets });
  } catch (err) {
    const c = classify(err);
    post(c === 'error'
      ? { t: 'end', i, outcome: 'error', detail: (err as Error).message, ms: performance.now() - t0 }
      : { t: 'end', i, outcome: 'fail', detail: c, ms: performance.now() - t0 });
  }
}
