import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { readZeekLog, listZeekLogFiles, logPathOf } from '../../src/zeek/reader.js';
import type { LogSchema, ZeekRecord } from '../../src/zeek/types.js';
import { withTempDir } from './helpers.js';

const HEADER = [
  '#separator \\x09',
  '#set_separator\t,',
  '#empty_field\t(empty)',
  '#unset_field\t-',
  '#path\thttp',
  '#open\t2024-01-01-00-00-00',
  '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\tuser_agent\ttags\tresp_mime_types\tproxied\tok\trtt',
  '#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tset[enum]\tvector[string]\tset[string]\tbool\tinterval',
];
const ROW1 = '1700000000.123456\tCx1\t10.0.0.5\t50000\t1.2.3.4\t80\t1\tGET\tcurl\\x2f8 \\xe2\\x98\\x83\t(empty)\ttext/html,application/x-dosexec\t-\tT\t0.25';
const ROW2 = '1700000001.000000\tCx2\t10.0.0.5\t50001\t1.2.3.4\t80\t2\tPOST\t-\tA,B\t(empty)\t-\tF\t-';

async function readAll(file: string, opts: Parameters<typeof readZeekLog>[2] = {}) {
  const recs: { schema: LogSchema; rec: ZeekRecord; line: number }[] = [];
  const bad: string[] = [];
  const stats = await readZeekLog(file, (schema, rec, line) => void recs.push({ schema, rec, line }), { onMalformed: (f, l, r) => bad.push(`${l}:${r}`), ...opts });
  return { recs, bad, stats };
}

const withDir = withTempDir('wh-reader-');

test('TSV: headers drive types; unset fields absent, (empty) sets, escapes undone to bytes', withDir(async (dir) => {
  const f = join(dir, 'http.log');
  writeFileSync(f, [...HEADER, ROW1, ROW2, '#close\t2024-01-01-00-00-01', ''].join('\n'));
  const { recs, bad, stats } = await readAll(f);
  assert.deepEqual(bad, []);
  assert.equal(stats.format, 'tsv');
  assert.equal(stats.records, 2);
  assert.equal(stats.maxTs, 1700000001);
  assert.equal(recs[0]!.schema.path, 'http');
  assert.equal(recs[0]!.line, 9);
  assert.deepEqual(recs[0]!.rec, {
    ts: 1700000000.123456, uid: 'Cx1', 'id.orig_h': '10.0.0.5', 'id.orig_p': 50000, 'id.resp_h': '1.2.3.4', 'id.resp_p': 80, trans_depth: 1,
    method: 'GET', user_agent: 'curl/8 \xe2\x98\x83', tags: [], resp_mime_types: ['text/html', 'application/x-dosexec'], ok: true, rtt: 0.25,
  });
  assert.deepEqual(recs[1]!.rec.tags, ['A', 'B']);
  assert.equal('user_agent' in recs[1]!.rec, false);
  assert.equal(recs[1]!.rec.ok, false);
}));

test('a malformed line is reported with its line number and skipped; the rest is read', withDir(async (dir) => {
  const f = join(dir, 'http.log');
  const broken = ROW1.replace('\t80\t1\t', '\t80\tone\t'); // count field that is not a number
  const short = 'x\ty';
  writeFileSync(f, [...HEADER, ROW1, broken, short, ROW2].join('\n') + '\n');
  const { recs, bad } = await readAll(f);
  assert.equal(recs.length, 2);
  assert.deepEqual(recs.map((r) => r.line), [9, 12]);
  assert.equal(bad.length, 2);
  assert.match(bad[0]!, /^10:.*'one' is not a count/);
  assert.match(bad[1]!, /^11:2 fields where the header has 14/);
}));

test('gzip and rotated names: conn.2024-01-01-00-00-00.log.gz is read as conn', withDir(async (dir) => {
  const f = join(dir, 'http.2024-01-01-00-00-00.log.gz');
  writeFileSync(f, gzipSync([...HEADER.filter((h) => !h.startsWith('#path')), ROW1, ROW2].join('\n') + '\n'));
  assert.equal(logPathOf(f), 'http');
  assert.equal(logPathOf('/x/conn.00:00:00-01:00:00.log.gz'), 'conn');
  const { recs, stats } = await readAll(f);
  assert.equal(recs.length, 2);
  assert.equal(stats.path, 'http');
  assert.equal(recs[0]!.schema.path, 'http');
  // a truncated gzip: what was readable comes out, the damage is reported, no throw
  const g = join(dir, 'trunc.log.gz');
  const full = gzipSync([...HEADER, ...Array.from({ length: 2000 }, () => ROW1)].join('\n') + '\n');
  writeFileSync(g, full.subarray(0, full.length - 40));
  const t = await readAll(g);
  assert.ok(t.recs.length > 0 && t.recs.length <= 2000);
  assert.ok(t.bad.some((b) => /gzip/.test(b)));
}));

test('JSON lines: typed values, nested records flattened, ISO or epoch ts, bad JSON skipped', withDir(async (dir) => {
  const f = join(dir, 'ssh.log');
  writeFileSync(f, [
    JSON.stringify({ ts: 1700000000.5, uid: 'C1', 'id.orig_h': '10.0.0.1', 'id.orig_p': 1, 'id.resp_h': '10.0.0.2', 'id.resp_p': 22, auth_success: false, auth_attempts: 4, client: 'SSH-2.0-é' }),
    '{not json',
    JSON.stringify({ _path: 'ssh', ts: '2023-11-14T22:13:21.000000Z', uid: 'C2', id: { orig_h: '10.0.0.1', orig_p: 2, resp_h: '10.0.0.2', resp_p: 22 } }),
  ].join('\n') + '\n');
  const { recs, bad, stats } = await readAll(f);
  assert.equal(stats.format, 'json');
  assert.equal(recs.length, 2);
  assert.deepEqual(bad.map((b) => b.split(':')[0]), ['2']);
  assert.equal(recs[0]!.rec.auth_success, false);
  assert.equal(recs[0]!.rec.auth_attempts, 4);
  assert.equal(recs[0]!.rec.client, 'SSH-2.0-\xc3\xa9'); // UTF-8 bytes, as the sensor's byte strings
  assert.equal(recs[1]!.rec.ts, 1700000001);
  assert.equal(recs[1]!.rec['id.resp_p'], 22);
  assert.equal(recs[1]!.schema.path, 'ssh');
}));

test('btest baselines: banner ignored, masked ts skipped by default or read as 0', withDir(async (dir) => {
  const f = join(dir, 'http.log');
  writeFileSync(f, ['### BTest baseline data generated by btest-diff. Do not edit.', ...HEADER, ROW1.replace('1700000000.123456', 'XXXXXXXXXX.XXXXXX'), ROW2].join('\n') + '\n');
  const a = await readAll(f);
  assert.deepEqual(a.bad, []);
  assert.equal(a.recs.length, 1);
  assert.equal(a.stats.masked, 1);
  const b = await readAll(f, { maskedTime: 'zero' });
  assert.equal(b.recs.length, 2);
  assert.equal(b.recs[0]!.rec.ts, 0);
}));

test('folders: logs listed recursively, x509 before ssl, non-logs ignored', withDir(async (dir) => {
  mkdirSync(join(dir, '2024-01-01'));
  for (const n of ['ssl.log', 'x509.log', 'conn.log', 'notes.txt', 'case.json', '2024-01-01/conn.10:00:00-11:00:00.log.gz']) writeFileSync(join(dir, n), '');
  const files = listZeekLogFiles([dir]).map((f) => f.slice(dir.length + 1));
  assert.deepEqual(files, ['x509.log', '2024-01-01/conn.10:00:00-11:00:00.log.gz', 'conn.log', 'ssl.log']);
}));

test('TSV: odd field names (quotes, backslashes, __proto__, a repeated name) are plain record keys; numbers in every accepted form',
  withDir(async (dir) => {
    const f = join(dir, 'odd.log');
    writeFileSync(f, [
      '#separator \\x09', '#unset_field\t-', '#empty_field\t(empty)', '#path\todd',
      '#fields\tts\ta"b\tc\\d\t__proto__\tn\tn\td\tk',
      '#types\ttime\tstring\tstring\tstring\tcount\tcount\tdouble\tint',
      '1.5\tq\tb\tp\t1\t-\t-.5\t-7',
      '2.\tq\tb\t-\t-\t2\t1e3\t0',
      '3\tq\tb\tp\tx\t2\t1\t1',
    ].join('\n') + '\n');
    const { recs, bad } = await readAll(f);
    assert.equal(recs.length, 2);
    const r0 = recs[0]!.rec;
    assert.equal(Object.getPrototypeOf(r0), Object.prototype);
    assert.deepEqual(Object.keys(r0), ['ts', 'a"b', 'c\\d', '__proto__', 'n', 'd', 'k']);
    assert.equal(r0['__proto__' as keyof typeof r0], 'p');
    assert.deepEqual([r0.ts, r0.n, r0.d, r0.k], [1.5, 1, -0.5, -7]);
    const r1 = recs[1]!.rec;
    assert.deepEqual(Object.keys(r1), ['ts', 'a"b', 'c\\d', 'n', 'd', 'k']);
    assert.deepEqual([r1.ts, r1.n, r1.d, r1.k], [2, 2, 1000, 0]);
    assert.deepEqual(bad, ["9:n: 'x' is not a count"]);
  }));
