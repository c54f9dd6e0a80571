import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));

test('wirehunt --help lists the commands and exits 0', () => {
  const r = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  for (const c of ['zeek', 'ingest', 'query', 'serve', 'demo']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
});

test('an unknown command is a one-line user error, not a stack trace', () => {
  const r = spawnSync(process.execPath, [bin, 'frobnicate'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^wirehunt: unknown command 'frobnicate'/);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});
