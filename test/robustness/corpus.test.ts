// Every capture of ../shared/corpus/pcaps (real third-party captures: odd link types, multi-interface
// pcapng, malformed and truncated files) goes through the sensor without a crash or a hang: it yields logs,
// or a CaptureError of one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { corpusCaptures } from './corpus-files.js';
import { report, runHarness } from './harness.js';

test('every corpus capture: logs or a one-line error, no crash, no hang', { timeout: 600_000 }, async () => {
  const files = corpusCaptures();
  assert.ok(files.length >= 500, `expected the 521-capture corpus, found ${files.length}`);
  const r = await runHarness({ kind: 'files', files, count: files.length, workers: Math.min(2, availableParallelism()), itemTimeoutMs: 60_000, maxOldGenerationSizeMb: 1024 });
  console.log(`# corpus: ${files.length} captures; ${report(r)}`);
  assert.deepEqual(r.hangs, [], 'hangs');
  assert.deepEqual(r.failures, [], 'crashes');
  assert.equal(r.ok + r.errors, files.length);
  // The corpus is mostly well-formed: the bulk must produce logs, not errors.
  assert.ok(r.ok >= files.length * 0.9, `only ${r.ok} of ${files.length} captures were read`);
});
