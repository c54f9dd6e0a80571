// makeDirectory: an output folder or a store's folder that cannot be made is one line, never a hang
// (fs.mkdirSync with recursive: true spins forever at 100% CPU under /proc).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDirectory } from '../../src/cli/dirs.js';

const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));
const pcap = fileURLToPath(new URL('../../../../shared/corpus/zeek/icmp/vxlan/vxlan.pcap', import.meta.url));
const hasProc = existsSync('/proc/self');

test('makeDirectory makes missing parents, accepts an existing folder, names what is in the way', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-dirs-'));
  try {
    const deep = join(dir, 'a', 'b', 'c');
    makeDirectory(deep);
    assert.ok(statSync(deep).isDirectory());
    makeDirectory(deep);
    makeDirectory(dir);
    writeFileSync(join(dir, 'file'), 'x');
    assert.throws(() => makeDirectory(join(dir, 'file', 'sub', 'subsub')), { message: `${join(dir, 'file')} is not a folder` });
    assert.throws(() => makeDirectory(join(dir, 'file')), { message: `${join(dir, 'file')} is not a folder` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('makeDirectory under /proc fails at once instead of spinning', { skip: !hasProc && 'no /proc' }, () => {
  assert.throws(() => makeDirectory('/proc/wirehunt-nope/deeper'), { message: '/proc does not accept new folders' });
  assert.equal(existsSync('/proc/wirehunt-nope'), false);
});

test('zeek --out and ingest --db under /proc are one-line errors, not hangs', { skip: !hasProc && 'no /proc' }, () => {
  const z = spawnSync(process.execPath, [bin, 'zeek', pcap, '--out', '/proc/nope'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(z.signal, null, 'wirehunt zeek did not end');
  assert.equal(z.status, 2);
  assert.equal(z.stderr, 'wirehunt: cannot create output folder /proc/nope: /proc does not accept new folders\n');
  const i = spawnSync(process.execPath, [bin, 'ingest', pcap, '--db', '/proc/nope/x.duckdb'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(i.signal, null, 'wirehunt ingest did not end');
  assert.equal(i.status, 2);
  assert.equal(i.stderr, 'wirehunt: cannot create the store folder /proc/nope: /proc does not accept new folders\n');
});

test("zeek --out - is refused (it would make a folder named '-')", () => {
  const z = spawnSync(process.execPath, [bin, 'zeek', pcap, '--out', '-'], { encoding: 'utf8', cwd: tmpdir(), timeout: 30_000 });
  assert.equal(z.status, 2);
  assert.equal(z.stderr, "wirehunt: --out: give a folder for the logs ('-' would be a folder named '-')\n");
  assert.ok(!existsSync(join(tmpdir(), '-')));
});
