// `wirehunt ingest` of captures as a first-time user meets them: bad checksums from NIC offloading
// (-C), broken or unsupported files (one line each, the others still ingested, exit 1), and the time
// span of what was ingested with a hint when it is too old for ago() filters.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, query, shared, withTempDir } from './helpers.js';
import { classifyFile } from '../../src/events/ingest.js';
import { timeSpanLines } from '../../src/cli/commands/ingest.js';
import { udpCapture } from '../sensor/udp-capture.js';

const withDir = withTempDir('wh-ingest-cap-');
const espn = join(shared, 'corpus/pcaps/chrissanders-packets/http_espn.pcapng');


test('a file named like a capture is read as one, whatever it holds (so the reader says what is wrong)', withDir(async (dir) => {
  for (const [name, body] of [['x.pcap', 'hello\n'], ['e.pcapng', ''], ['l.cap', '{"Timestamp":"2024-01-01"}\n']] as const) {
    writeFileSync(join(dir, name), body);
    assert.equal(classifyFile(join(dir, name)), 'capture', name);
    assert.equal(classifyFile(join(dir, name), 'DeviceEvents'), 'capture', `${name} with --table`);
  }
  writeFileSync(join(dir, 'rows.json'), '{"Timestamp":"2024-01-01"}\n');
  assert.equal(classifyFile(join(dir, 'rows.json')), 'defender');
}));

test('broken captures: one line each and exit 1, the other inputs ingested; a cut capture warns and keeps its rows', withDir(async (dir) => {
  const good = join(dir, 'good.pcap');
  udpCapture(good, 4, { sport: 50000 });
  const whole = join(dir, 'whole.pcap');
  udpCapture(whole, 20);
  const bytes = readFileSync(whole);
  const cut = join(dir, 'cut.pcap');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
  writeFileSync(join(dir, 'ten.pcap'), bytes.subarray(0, 10));
  writeFileSync(join(dir, 'empty.pcap'), '');
  writeFileSync(join(dir, 'text.pcap'), 'hello world\n');
  udpCapture(join(dir, 'user0.pcap'), 3, { linkType: 147 });
  const db = join(dir, 's.duckdb');
  const inputs = ['good.pcap', 'cut.pcap', 'ten.pcap', 'empty.pcap', 'text.pcap', 'user0.pcap'].map((f) => join(dir, f));
  const r = cli(['ingest', ...inputs, '--db', db, '--no-detect']);
  assert.equal(r.status, 1, r.stderr);
  const err = r.stderr.trim().split('\n');
  assert.deepEqual(err, [
    `wirehunt: warning: ${cut}: truncated file: last record cut short after 19 packets`,
    `wirehunt: ${join(dir, 'ten.pcap')}: truncated file: pcap file header cut short after 0 packets; no packets to read`,
    `wirehunt: ${join(dir, 'empty.pcap')}: empty file, not a pcap or pcapng file`,
    `wirehunt: ${join(dir, 'text.pcap')}: not a pcap or pcapng file (magic 0x68656c6c)`,
    `wirehunt: ${join(dir, 'user0.pcap')}: link type 147 is not one wirehunt can decode (Ethernet, Linux cooked, raw IP, loopback, PPP, 802.11, NFLOG …)`,
  ]);
  assert.match(r.stdout, /^ingested 2 input\(s\) into .* in [\d.]+ s; 4 left out \(see above\)\n/);
  assert.match(r.stdout, /DeviceNetworkEvents: 46 rows \(46 new\) from 23 Zeek records/);
  const [n] = await query(db, `SELECT count(DISTINCT greatest(LocalPort, RemotePort))::INTEGER AS n FROM DeviceNetworkEvents`);
  assert.equal(n!.n, 23, '4 connections (source ports) from good.pcap, 19 from the cut one');
}));

test('-C: a capture with NIC-offloaded checksums is analysed in full; without it a warning says what was skipped', withDir(async (dir) => {
  const db = join(dir, 'a.duckdb'), dbC = join(dir, 'c.duckdb');
  const r = cli(['ingest', espn, '--db', db, '--no-detect']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.split('\n').filter((l) => /checksum offloading/.test(l)).length, 1, r.stderr);
  assert.match(r.stderr, /^wirehunt: warning: .*http_espn\.pcapng: the capture likely has invalid TCP and UDP checksums \(\d+ of \d+ packets, \d+%\).*skipped.*Use -C to ignore checksums$/m);
  const c = cli(['ingest', espn, '--db', dbC, '--no-detect', '-C']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(c.stderr, '');
  const methods = `SELECT count(*)::INTEGER AS n, count(json_extract_string(AdditionalFields, '$.method'))::INTEGER AS m
    FROM DeviceNetworkEvents WHERE ActionType = 'HttpConnectionInspected'`;
  const [without] = await query(db, methods);
  const [withC] = await query(dbC, methods);
  assert.ok((withC!.n as number) > 0);
  assert.equal(withC!.m, withC!.n, 'every HTTP row has its method with -C');
  assert.equal(without!.m, 0, 'the requests (bad checksums) were skipped without -C');
  const help = cli(['ingest', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^ {2}-C {2,}captures: ignore checksums \(Zeek's -C\)/m);
}));

test('the summary gives the time span of the rows, and for old data a hint about ago() and --rebase-time', withDir(async (dir) => {
  const cap = join(dir, 'old.pcap');
  udpCapture(cap, 3);
  const r = cli(['ingest', cap, '--db', join(dir, 'o.duckdb'), '--no-detect']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^ {2}Timestamps: 2020-09-13T12:26:40Z to 2020-09-13T12:26:40Z$/m);
  assert.match(r.stdout, /^ {2}note: the newest row is \d+ days old, so queries with 'where Timestamp > ago\(7d\)' find none of it: .*--rebase-time/m);
  const rb = cli(['ingest', cap, '--db', join(dir, 'n.duckdb'), '--no-detect', '--rebase-time']);
  assert.equal(rb.status, 0, rb.stderr);
  assert.match(rb.stdout, /^ {2}Timestamps: \S+ to \S+$/m);
  assert.doesNotMatch(rb.stdout, /note: the newest row/);

  const now = Date.parse('2026-03-01T00:00:00Z');
  assert.deepEqual(timeSpanLines(NaN, NaN, now), []);
  assert.deepEqual(timeSpanLines(now / 1000 - 86400 * 30, now / 1000 - 86400 * 29.5, now), ['  Timestamps: 2026-01-30T00:00:00Z to 2026-01-30T12:00:00Z']);
  const old = timeSpanLines(now / 1000 - 86400 * 40, now / 1000 - 86400 * 31.5, now);
  assert.equal(old.length, 2);
  assert.match(old[1]!, /newest row is 31 days old.*ago\(33d\).*--rebase-time/);
}));
