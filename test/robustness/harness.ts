// Main-thread side of the robustness harness: splits the items over worker threads, watches each worker's
// progress, and when one stops answering (a hang) or dies (a crash, or running out of its memory limit),
// records the item it was on and carries on with a fresh worker after it.

import { Worker } from 'node:worker_threads';
import type { WorkerJob, WorkerMsg } from './worker.js';

export interface Problem { i: number; what: string; detail: string }
export interface HarnessResult {
  pipeline: string;
  ok: number;
  errors: number;
  /** Distinct one-line errors and how often each was seen (first 60 chars after the file name). */
  errorKinds: Map<string, number>;
  failures: Problem[];
  hangs: Problem[];
  slowestMs: number;
  slowest: string;
  packets: number;
}

export interface HarnessOptions {
  kind: 'files' | 'fuzz';
  files: string[];
  seed?: number;
  count: number;
  workers: number;
  /** A single item taking longer than this is a hang. */
  itemTimeoutMs: number;
  /** Heap limit of each worker (an input must not make us allocate without bound). */
  maxOldGenerationSizeMb?: number;
}

export async function runHarness(o: HarnessOptions): Promise<HarnessResult> {
  const res: HarnessResult = { pipeline: '', ok: 0, errors: 0, errorKinds: new Map(), failures: [], hangs: [], slowestMs: 0, slowest: '', packets: 0 };
  const per = Math.ceil(o.count / o.workers);
  const ranges: [number, number][] = [];
  for (let a = 0; a < o.count; a += per) ranges.push([a, Math.min(o.count, a + per)]);

  const runRange = (from: number, to: number): Promise<void> => new Promise((resolve) => {
    if (from >= to) { resolve(); return; }
    const job: WorkerJob = { kind: o.kind, files: o.files, seed: o.seed ?? 1, from, to };
    const w = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: o.maxOldGenerationSizeMb ?? 512 },
      stdout: true,
      stderr: true,
    });
    // Drain the worker's console output (a diagnostic print must not block it, nor flood the test log).
    w.stdout.resume();
    w.stderr.resume();
    let current = -1;
    let currentWhat = '';
    let last = Date.now();
    let finished = false;
    let next = from;
    const finish = (then?: number): void => {
      if (finished) return;
      finished = true;
      clearInterval(watch);
      if (then !== undefined) void w.terminate().then(() => runRange(then, to)).then(resolve);
      else resolve();
    };
    const watch = setInterval(() => {
      if (current >= 0 && Date.now() - last > o.itemTimeoutMs) {
        res.hangs.push({ i: current, what: currentWhat, detail: `no result after ${o.itemTimeoutMs} ms` });
        finish(current + 1);
      }
    }, 200);
    w.on('message', (m: WorkerMsg) => {
      last = Date.now();
      if (m.t === 'ready') res.pipeline = m.pipeline;
      else if (m.t === 'begin') { current = m.i; currentWhat = m.what; }
      else {
        current = -1;
        next = m.i + 1;
        if (m.ms > res.slowestMs) { res.slowestMs = m.ms; res.slowest = currentWhat; }
        if (m.outcome === 'ok') { res.ok++; res.packets += m.packets ?? 0; }
        else if (m.outcome === 'error') {
          res.errors++;
          const k = (m.detail ?? '').replace(/^[^:]*: /, '').slice(0, 60);
          res.errorKinds.set(k, (res.errorKinds.get(k) ?? 0) + 1);
        } else res.failures.push({ i: m.i, what: currentWhat, detail: m.detail ?? '' });
      }
    });
    w.on('error', (err) => {
      const at = current >= 0 ? current : next;
      res.failures.push({ i: at, what: current >= 0 ? currentWhat : `item ${at}`, detail: `worker died: ${(err as Error).message}` });
      finish(at + 1);
    });
    w.on('exit', () => finish());
  });

  await Promise.all(ranges.map(([a, b]) => runRange(a, b)));
  return res;
}

export function report(r: HarnessResult): string {
  const kinds = [...r.errorKinds.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => `${n}× ${k}`).join('; ');
  return `pipeline ${r.pipeline}: ${r.ok} ok (${r.packets} packets), ${r.errors} clear errors [${kinds}], `
    + `${r.failures.length} failures, ${r.hangs.length} hangs; slowest ${r.slowestMs.toFixed(0)} ms (${r.slowest})`;
}
