// `wirehunt demo` arguments: help, and one-line errors for bad flags (nothing generated).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [main, 'demo', ...args], { encoding: 'utf8' });

test('demo --help prints its usage', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^usage: wirehunt demo \[--db <file>\] \[--pcap-out <file>\] \[--no-serve\]/);
});

test('bad flags are one line on stderr, exit 2, and write nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-cli-'));
  try {
    const pcap = join(dir, 'x.pcap');
    for (const [args, msg] of [
      [['--bogus'], /^wirehunt: demo: unknown option '--bogus'/],
      [['--end', 'yesterday-ish'], /^wirehunt: --end: not a date\/time: yesterday-ish/],
      [['--seed', '-3'], /^wirehunt: --seed: not an integer 0\.\.4294967295: -3\n/],
      [['--seed', '1.5'], /^wirehunt: --seed: not an integer/],
      [['--db'], /^wirehunt: --db needs a value/],
    ] as const) {
      const r = run('--pcap-out', pcap, '--no-serve', ...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, msg);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!existsSync(pcap));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unwritable capture path is one line on stderr, exit 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-cli-'));
  try {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    for (const [out, code] of [[dir, 'EISDIR'], [join(file, 'x.pcap'), 'ENOTDIR']] as const) {
      const r = run('--pcap-out', out, '--no-serve');
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, `wirehunt: demo: cannot write ${out}: ${code}\n`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
