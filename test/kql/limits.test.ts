// The memory cap on queries: a size that is not one is refused, a query that needs more memory than
// the cap fails with one line naming the cap's remedies, and the same query runs without the cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { runQuery, KqlError } from '../../src/kql/index.js';
import { applyMemoryCap, parseMemorySize, queryMemoryCap, DEFAULT_QUERY_MEMORY } from '../../src/kql/exec/limits.js';

test('memory sizes: decimal and binary units, spaces, case; junk is null', () => {
  assert.equal(parseMemorySize('512MiB'), 512 * 2 ** 20);
  assert.equal(parseMemorySize('4GB'), 4e9);
  assert.equal(parseMemorySize(' 1.5 gib '), 1.5 * 2 ** 30);
  assert.equal(parseMemorySize('100b'), 100);
  assert.equal(parseMemorySize('lots'), null);
  assert.equal(parseMemorySize('12'), null);
  assert.equal(parseMemorySize('0MB'), null);
  assert.equal(queryMemoryCap(undefined, {}), DEFAULT_QUERY_MEMORY);
  assert.equal(queryMemoryCap(undefined, { WIREHUNT_QUERY_MEMORY: '1GiB' }), '1GiB');
  assert.equal(queryMemoryCap('2GB', { WIREHUNT_QUERY_MEMORY: '1GiB' }), '2GB');
});

// 3 million distinct 30-byte keys: ~150 MB of hash table, far past a 32 MiB cap
const BIG = `range x from 1 to 3000000 step 1 | summarize by k = strcat(tostring(x), "-padding-padding-padding") | count`;

test('a query past the memory cap fails with one clear line; under a larger cap it runs', async () => {
  const store = await openStore(':memory:');
  try {
    await applyMemoryCap(store.connection, '32MiB');
    await assert.rejects(runQuery(store, BIG), (err: unknown) => {
      assert.ok(err instanceof KqlError);
      assert.match(err.message, /^query needs more memory than the cap allows/);
      assert.match(err.message, /--max-memory/);
      assert.ok(!err.message.includes('\n'), err.message);
      return true;
    });
    await applyMemoryCap(store.connection, '2GiB');
    const r = await runQuery(store, BIG);
    assert.deepEqual(r.rows, [{ Count: 3000000 }]);
  } finally {
    store.close();
  }
});

test('a cap that is not a size is refused before anything runs', async () => {
  const store = await openStore(':memory:');
  try {
    await assert.rejects(applyMemoryCap(store.connection, 'plenty'), /memory cap: expected a size such as 512MiB or 4GB, got "plenty"/);
  } finally {
    store.close();
  }
});

test('wirehunt query --max-memory: a bad size is one line; a query past the cap exits 1 with the cap line', async () => {
  const { spawnSync } = await import('node:child_process');
  const bin = new URL('../../../bin/wirehunt.js', import.meta.url).pathname;
  const bad = spawnSync(process.execPath, [bin, 'query', '--db', ':memory:', '--max-memory', 'heaps', 'print 1'], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);
  assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
  assert.match(bad.stderr, /--max-memory: expected a size/);
  const over = spawnSync(process.execPath, [bin, 'query', '--db', ':memory:', '--max-memory', '32MiB', BIG], { encoding: 'utf8' });
  assert.equal(over.status, 1, over.stderr);
  assert.match(over.stderr, /query needs more memory than the cap allows/);
  assert.ok(!/\n\s+at /.test(over.stderr), over.stderr);
});
