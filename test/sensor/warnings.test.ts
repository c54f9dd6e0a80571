// The sensor's warnings about what it could not analyse (bad checksums from NIC offloading, link types
// it has no decoder for) and probeCapture's one-line errors for files that are no capture to analyse.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeCapture, checksumWarning, probeCapture } from '../../src/sensor/index.js';
import { CaptureError } from '../../src/capture/index.js';
import { udpCapture } from './udp-capture.js';
import type { LogSchema, LogSink, ZeekRecord } from '../../src/zeek/types.js';

const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));

class Rows implements LogSink {
  rows: [string, ZeekRecord][] = [];
  write(s: LogSchema, r: ZeekRecord): void { this.rows.push([s.path, r]); }
  async close(): Promise<void> {}
}


const withDir = (fn: (dir: string) => Promise<void>) => async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-warn-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

test('checksum warning: Zeek\'s condition, more than 5% of the packets bad at one layer, naming the layers', () => {
  assert.equal(checksumWarning('c.pcap', 100, { ip: 5, tcp: 5, udp: 5 }), undefined, '5% each is not more than 5%');
  assert.equal(checksumWarning('c.pcap', 0, { ip: 0, tcp: 0, udp: 0 }), undefined);
  const w = checksumWarning('c.pcap', 100, { ip: 0, tcp: 6, udp: 1 })!;
  assert.match(w, /^c\.pcap: the capture likely has invalid TCP and UDP checksums \(7 of 100 packets, 7%\), most likely from NIC checksum offloading/);
  assert.match(w, /packets were skipped/);
  assert.match(w, /-C to ignore checksums/);
  assert.match(checksumWarning('c.pcap', 10, { ip: 9, tcp: 0, udp: 0 })!, /invalid IP checksums \(9 of 10 packets, 90%\)/);
});

test('bad checksums: counted and warned about once (one thread or several); -C analyses the packets and says nothing', withDir(async (dir) => {
  const file = join(dir, 'offload.pcap');
  udpCapture(file, 20, { bad: 10 });
  const a = await analyzeCapture({ input: file, sink: new Rows() });
  assert.deepEqual(a.badChecksums, { ip: 0, tcp: 0, udp: 10 });
  assert.equal(a.warnings.filter((w) => /checksum offloading/.test(w)).length, 1, a.warnings.join('\n'));
  assert.match(a.warnings.join('\n'), /invalid UDP checksums \(10 of 20 packets, 50%\)/);
  const many = await analyzeCapture({ input: file, sink: new Rows(), analyzers: ['conn'], workers: 2 });
  assert.deepEqual(many.badChecksums, a.badChecksums);
  assert.deepEqual(many.warnings, a.warnings);
  const rows = new Rows();
  const c = await analyzeCapture({ input: file, sink: rows, ignoreChecksums: true });
  assert.deepEqual(c.badChecksums, { ip: 0, tcp: 0, udp: 0 });
  assert.deepEqual(c.warnings, []);
  assert.equal(rows.rows.filter(([p]) => p === 'conn').length, 20);

  // a few bad packets among many: no warning (as Zeek)
  const few = join(dir, 'few.pcap');
  udpCapture(few, 100, { bad: 5 });
  const f = await analyzeCapture({ input: few, sink: new Rows() });
  assert.equal(f.badChecksums.udp, 5);
  assert.deepEqual(f.warnings, []);
}));

test('wirehunt zeek prints the checksum warning on stderr (once) and not with -C', withDir(async (dir) => {
  const file = join(dir, 'offload.pcap');
  udpCapture(file, 10, { bad: 8 });
  const r = spawnSync(process.execPath, [bin, 'zeek', file, '--out', join(dir, 'logs')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => /checksum offloading/.test(l)).length, 1, r.stderr);
  assert.match(r.stderr, /^wirehunt: warning: .*offload\.pcap: the capture likely has invalid UDP checksums/);
  const c = spawnSync(process.execPath, [bin, 'zeek', file, '--out', join(dir, 'logs'), '-C'], { encoding: 'utf8' });
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stderr, '');
}));

test('link types without a decoder: read as raw IP with a warning; probeCapture refuses them', withDir(async (dir) => {
  const file = join(dir, 'user0.pcap');
  udpCapture(file, 3, { linkType: 147 });
  const a = await analyzeCapture({ input: file, sink: new Rows() });
  assert.deepEqual(a.warnings, [`${file}: 3 packet(s) of link type 147, which wirehunt has no decoder for; read as raw IP, as Zeek does`]);
  await assert.rejects(probeCapture(file), (e: unknown) => e instanceof CaptureError && (e as Error).message.startsWith(`${file}: link type 147 is not one wirehunt can decode`));
  const eth = join(dir, 'eth.pcap');
  udpCapture(eth, 3);
  await probeCapture(eth);
  assert.deepEqual((await analyzeCapture({ input: eth, sink: new Rows() })).warnings, []);
}));

test('probeCapture: empty, not a capture, cut before its first packet are one-line CaptureErrors; cut later is fine', withDir(async (dir) => {
  const whole = join(dir, 'whole.pcap');
  udpCapture(whole, 20);
  const bytes = readFileSync(whole);
  const cases: [string, Buffer, RegExp][] = [
    ['empty.pcap', Buffer.alloc(0), /empty\.pcap: empty file, not a pcap or pcapng file$/],
    ['text.pcap', Buffer.from('hello world\n'), /text\.pcap: not a pcap or pcapng file \(magic 0x68656c6c\)$/],
    ['ten.pcap', bytes.subarray(0, 10), /ten\.pcap: truncated file: pcap file header cut short after 0 packets; no packets to read$/],
    ['rec.pcap', bytes.subarray(0, 30), /rec\.pcap: truncated file: last record cut short after 0 packets; no packets to read$/],
  ];
  for (const [name, data, re] of cases) {
    const f = join(dir, name);
    writeFileSync(f, data);
    await assert.rejects(probeCapture(f), (e: unknown) => e instanceof CaptureError && re.test((e as Error).message), name);
  }
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
  await probeCapture(cut);
  const header = join(dir, 'header.pcap');
  writeFileSync(header, bytes.subarray(0, 24));
  await probeCapture(header); // a capture of no packets is not broken
}));
