// The examples of Microsoft's Kusto documentation (shared/corpus/kql-docs) with their documented
// outputs. The counts are pinned so they cannot fall.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/store/index.js';
import { loadDocs, runDocs, cellMatches, EXCLUDED } from './docs-lib.js';

const shared = new URL('../../../../shared/', import.meta.url);
let store: Store;
before(async () => { store = await openStore(':memory:'); });
after(() => store.close());

// supported excludes the EXCLUDED examples (each listed there with its reason)
const PINNED = { total: 554, supported: 276, matched: 269 };

test('the comparison is by value, not by display format', () => {
  assert.ok(cellMatches('2018-07-01 00:00:00.0000000', '2018-07-01T00:00:00.0000000Z', 'DateTime'));
  assert.ok(!cellMatches('2018-07-02 00:00:00.0000000', '2018-07-01T00:00:00.0000000Z', 'DateTime'));
  assert.ok(cellMatches('1.00:00:00', '1.00:00:00', 'TimeSpan'));
  assert.ok(cellMatches('700,000,000', 700000000, 'Int64'));
  assert.ok(!cellMatches('7', 8, 'Int64'));
  assert.ok(cellMatches('`{"a": 1}`', { a: 1 }, 'Object'));
  assert.ok(cellMatches('True', true, 'Boolean'));
  assert.ok(cellMatches('(null)', null, 'Int32'));
  assert.ok(!cellMatches('(null)', 0, 'Int32'));
});

test('kql-docs examples: documented outputs', { timeout: 1_800_000 }, async () => {
  const o = await runDocs(store.connection, loadDocs(shared));
  console.log(`# kql-docs: ${o.total} examples, ${o.supported} supported (run), ${o.matched} match the documented output (${((100 * o.matched) / o.supported).toFixed(1)}% of supported)`);
  const reasons = new Map<string, number>();
  for (const u of o.unsupported) { const k = u.why.replace(/'[^']*'/g, "'…'"); reasons.set(k, (reasons.get(k) ?? 0) + 1); }
  for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`#   unsupported ${v} × ${k}`);
  for (const x of o.excluded) console.log(`#   excluded ${x.id}: ${x.why}`);
  for (const m of o.mismatches) console.log(`#   mismatch ${m.id}: ${m.why.slice(0, 140)}`);
  assert.equal(o.excluded.length, Object.keys(EXCLUDED).length, 'every excluded id names an example of the corpus');
  assert.equal(o.total, PINNED.total);
  assert.ok(o.supported >= PINNED.supported, `supported ${o.supported} < ${PINNED.supported}`);
  assert.ok(o.matched >= PINNED.matched, `matched ${o.matched} < ${PINNED.matched}`);
});
