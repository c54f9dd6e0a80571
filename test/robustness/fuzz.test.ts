// ≥ 10,000 seeded mutations (bit flips, byte overwrites, truncations, length-field corruption, block
// splicing) of small corpus captures run in-process through the sensor: each ends with logs or a one-line
// CaptureError; no other exception, no hang (per-item bound), no runaway allocation (worker heap limit).
// WH_FUZZ_SEED and WH_FUZZ_COUNT explore further; a failure prints the seed and index that reproduce it
// (node dist/test/robustness/repro.js <seed> <index> writes that capture).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { fuzzInputs } from './corpus-files.js';
import { report, runHarness } from './harness.js';
import { mutate } from './mutate.js';
import { readFileSync } from 'node:fs';

const seed = Number(process.env.WH_FUZZ_SEED ?? 20260105);
const count = Math.max(10_000, Number(process.env.WH_FUZZ_COUNT ?? 10_000));

const inputs = fuzzInputs;

test('mutations are deterministic and actually change the inputs', () => {
  const files = inputs();
  const bufs = files.map((f) => readFileSync(f));
  let changed = 0;
  const kinds = new Set<string>();
  for (let i = 0; i < 500; i++) {
    const a = mutate(bufs, seed, i);
    const b = mutate(bufs, seed, i);
    assert.deepEqual(a.data, b.data);
    assert.equal(a.desc, b.desc);
    if (!a.data.equals(bufs[a.base]!)) changed++;
    for (const op of a.desc.split('+')) kinds.add(op.replace(/[@=\d].*$/, ''));
  }
  assert.ok(changed > 450, `only ${changed}/500 mutations changed their input`);
  for (const k of ['flip', 'byte', 'trunc', 'dup', 'del', 'splice', 'hdr', 'tssec']) assert.ok(kinds.has(k), `mutation kind ${k} never chosen`);
  assert.ok([...kinds].some((k) => /len|linktype|snaplen/.test(k)), 'length fields are corrupted');
});

test(`fuzz: ${count} mutated captures through the sensor`, { timeout: 900_000 }, async () => {
  const files = inputs();
  assert.ok(files.length >= 100, `fuzz inputs: ${files.length}`);
  const r = await runHarness({ kind: 'fuzz', files, seed, count, workers: Math.min(2, availableParallelism()), itemTimeoutMs: 10_000, maxOldGenerationSizeMb: 512 });
  console.log(`# fuzz: ${count} mutations of ${files.length} captures, seed ${seed}; ${report(r)}`);
  const show = (p: { what: string; detail: string }[]): string => p.slice(0, 5).map((x) => `${x.what}\n  ${x.detail}`).join('\n');
  assert.equal(r.hangs.length, 0, `hangs:\n${show(r.hangs)}`);
  assert.equal(r.failures.length, 0, `crashes:\n${show(r.failures)}`);
  assert.equal(r.ok + r.errors, count);
  assert.ok(r.ok > count / 4 && r.errors > 0, 'the mutations exercise both clean reads and clear errors');
});
