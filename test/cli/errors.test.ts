// What the CLI prints for errors of the machine rather than of wirehunt (DuckDB's words for a full
// disk or too little memory): one line saying what happened and what to do, never "internal error".
// (Checked by hand on a 3 MiB tmpfs: the ingest stops with this line, the store reopens with what was
// committed, and the same command after freeing space completes it.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { environmentError } from '../../src/cli/types.js';

test('a full disk and an exhausted memory are one line each; other errors are not taken for them', () => {
  const full = environmentError(new Error('IO Error: Could not write file "/data/store.duckdb": No space left on device\nmore'));
  assert.equal(full, 'Could not write file "/data/store.duckdb": No space left on device (the store keeps what was committed before; free space or fix the file, then run the same command again)');
  assert.equal(environmentError(new Error('Out of Memory Error: could not allocate block of size 256.0 KiB (1.9 GiB/2.0 GiB used)')),
    'out of memory: could not allocate block of size 256.0 KiB (1.9 GiB/2.0 GiB used)');
  assert.equal(environmentError(new Error('Binder Error: column x not found')), undefined);
  assert.equal(environmentError('IO Error: not an Error object'), undefined);
});
