// The user-facing side of robustness: `wirehunt zeek` on bad input exits with logs or one clear line on
// stderr (exit 1), never a stack trace or an internal error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../src/synth/index.js';
import { pcapsDir } from './corpus-files.js';

const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));

test('wirehunt zeek on damaged captures: logs or one line, never a stack trace', { timeout: 120_000 }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-cli-robust-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = readFileSync(join(pcapsDir, 'zeek/testing/btest/Traces/http/206_example_b.pcap'));
  const rng = new Rng(99);
  const junk = rng.fill(Buffer.alloc(5000));
  const cases: [string, Buffer, 'logs' | 'error' | 'either'][] = [
    ['empty.pcap', Buffer.alloc(0), 'error'],
    ['junk.pcap', junk, 'error'],
    ['short-header.pcap', good.subarray(0, 10), 'either'],
    ['header-only.pcap', good.subarray(0, 24), 'logs'],
    ['cut-mid-record.pcap', good.subarray(0, Math.floor(good.length / 2) + 3), 'logs'],
    ['huge-incl-len.pcap', (() => { const b = Buffer.from(good); b.writeUInt32LE(0x7fffffff, 24 + 8); return b; })(), 'logs'],
  ];
  for (const [name, data, want] of cases) {
    const file = join(dir, name);
    writeFileSync(file, data);
    const out = join(dir, `${name}.out`);
    const r = spawnSync(process.execPath, [bin, 'zeek', file, '--out', out], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `${name}: killed (hang?)`);
    assert.doesNotMatch(r.stderr, /\n\s+at .*:\d+:\d+/, `${name}: stack trace on stderr:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/, `${name}: ${r.stderr}`);
    // Whatever the outcome, stderr is only wirehunt's own one-line messages (warnings or the error).
    for (const line of r.stderr.split('\n').filter(Boolean)) assert.match(line, /^wirehunt: /, `${name}: ${line}`);
    if (want === 'either') {
      assert.ok(r.status === 0 || r.status === 1, `${name}: exit ${r.status}`);
      if (r.status === 1) assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line expected:\n${r.stderr}`);
    } else if (want === 'error') {
      assert.equal(r.status, 1, `${name}: exit ${r.status}, stderr ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${name}: one line expected:\n${r.stderr}`);
      assert.match(r.stderr, /^wirehunt: .*(pcap|capture|empty)/);
    } else {
      assert.equal(r.status, 0, `${name}: exit ${r.status}, stderr ${r.stderr}`);
      assert.ok(!existsSync(join(out, 'conn.log')) || readFileSync(join(out, 'conn.log'), 'utf8').startsWith('#separator'), name);
    }
  }
  // A missing file and a directory are one-line errors too.
  for (const p of [join(dir, 'does-not-exist.pcap'), dir]) {
    const r = spawnSync(process.execPath, [bin, 'zeek', p, '--out', join(dir, 'o')], { encoding: 'utf8', timeout: 60_000 });
    assert.notEqual(r.status, 0);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
});
