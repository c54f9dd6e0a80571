// Ingest through worker threads: the same rows, warnings and devices as the single-threaded ingest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, rmSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { planTsvChunks, readZeekLog } from '../../src/zeek/reader.js';
import { openStore } from '../../src/store/store.js';
import { ingestPaths } from '../../src/events/ingest.js';
import { cli, tableDigest, zeekHeader, ID_FIELDS, ID_TYPES, withTempDir } from './helpers.js';

const withDir = withTempDir('wh-workers-');

const head = zeekHeader;
const ID = ID_FIELDS;
const IDT = ID_TYPES;

/**
 * Logs whose rows depend on what other logs teach: dhcp names 10.0.0.5, dns names 10.0.0.7 (found
 * by conn first), x509 gives the ssl rows a subject; conn has a malformed line far from its start.
 */
function writeLogs(dir: string, n: number): void {
  const ts = (i: number) => (1767603600 + i * 0.25).toFixed(6);
  const conn = [head('conn', [...ID, 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'history', 'orig_pkts', 'resp_pkts'],
    [...IDT, 'enum', 'string', 'interval', 'count', 'count', 'string', 'string', 'count', 'count'])];
  for (let i = 0; i < n; i++) {
    if (i === n - 7) conn.push('this line is not a record\n');
    const c = `10.0.0.${1 + (i % 9)}`;
    const s = i % 3 ? `93.184.${i % 7}.${i % 200}` : '10.0.0.7';
    conn.push(`${ts(i)}\tC${i}\t${c}\t${40000 + i}\t${s}\t443\ttcp\tssl\t${(i % 50) / 8}\t${i * 3}\t${i * 7}\t${['SF', 'S0', 'REJ'][i % 3]}\tShADadFf\t${i % 9}\t${i % 5}\n`);
  }
  conn.push('#close\t2026-01-05-10-00-00\n');
  writeFileSync(join(dir, 'conn.log'), conn.join(''));
  writeFileSync(join(dir, 'dhcp.log'), head('dhcp', ['ts', 'uids', 'client_addr', 'assigned_addr', 'mac', 'host_name', 'domain'], ['time', 'set[string]', 'addr', 'addr', 'string', 'string', 'string'])
    + `${ts(0)}\tCd\t10.0.0.5\t10.0.0.5\t00:11:22:33:44:55\tlaptop\tcorp.example\n`);
  writeFileSync(join(dir, 'dns.log'), head('dns', [...ID, 'proto', 'query', 'qtype_name', 'answers'], [...IDT, 'enum', 'string', 'string', 'vector[string]'])
    + `${ts(5)}\tCq\t10.0.0.1\t5353\t10.0.0.2\t53\tudp\tprinter.corp.example\tA\t10.0.0.7\n`);
  const http = [head('http', [...ID, 'method', 'host', 'uri', 'status_code'], [...IDT, 'string', 'string', 'string', 'count'])];
  for (let i = 0; i < n / 4; i++) http.push(`${ts(i * 4)}\tH${i}\t10.0.0.${1 + (i % 9)}\t${50000 + i}\t10.0.0.7\t80\tGET\tprinter\t/p/${i}\t200\n`);
  writeFileSync(join(dir, 'http.log'), http.join(''));
  writeFileSync(join(dir, 'x509.log'), head('x509', ['ts', 'fingerprint', 'certificate.subject', 'certificate.issuer'], ['time', 'string', 'string', 'string'])
    + `${ts(0)}\tfp1\tCN=printer\tCN=ca\n`);
  const ssl = [head('ssl', [...ID, 'server_name', 'cert_chain_fps'], [...IDT, 'string', 'vector[string]'])];
  for (let i = 0; i < n / 4; i++) ssl.push(`${ts(i * 4 + 1)}\tS${i}\t10.0.0.${1 + (i % 9)}\t${60000 + i}\t10.0.0.7\t443\tprinter.corp.example\t${i % 2 ? 'fp1' : '(empty)'}\n`);
  writeFileSync(join(dir, 'ssl.log'), ssl.join(''));
}

test('planTsvChunks: ranges at line boundaries cover the file; compressed, JSON or mid-file headers are not split', withDir(async (dir) => {
  writeLogs(dir, 2000);
  const file = join(dir, 'conn.log');
  const text = readFileSync(file);
  const plan = planTsvChunks(file, 4, 20_000)!;
  assert.equal(plan.path, 'conn');
  assert.equal(plan.ranges.length, 4);
  assert.ok(plan.preamble.startsWith('#separator') && plan.preamble.endsWith('\n') && plan.preamble.includes('#fields\tts\t'));
  let at = 0;
  for (const r of plan.ranges) {
    assert.equal(r.start, at);
    assert.equal(text[r.end - 1], 10, 'a range ends after a newline');
    at = r.end;
  }
  assert.equal(at, text.length);
  // Reading the ranges (each after the preamble) gives the records of the whole file, in order.
  const whole: unknown[] = [];
  await readZeekLog(file, (_s, rec) => void whole.push(rec), { onMalformed: () => {} });
  const parts: unknown[] = [];
  for (const [k, r] of plan.ranges.entries()) {
    await readZeekLog(file, (_s, rec) => void parts.push(rec), { start: r.start, end: r.end, preamble: k ? plan.preamble : undefined, onMalformed: () => {} });
  }
  assert.deepEqual(parts, whole);
  assert.equal(planTsvChunks(file, 4, 1 << 30)!.ranges.length, 1, 'a small file is one range');

  writeFileSync(join(dir, 'z.log.gz'), gzipSync(text));
  assert.equal(planTsvChunks(join(dir, 'z.log.gz'), 4, 1000), undefined);
  writeFileSync(join(dir, 'j.log'), '{"ts":1,"uid":"C"}\n'.repeat(5000));
  assert.equal(planTsvChunks(join(dir, 'j.log'), 4, 1000), undefined);
  writeFileSync(join(dir, 'two.log'), text.toString('latin1') + readFileSync(join(dir, 'http.log'), 'latin1'), 'latin1');
  assert.equal(planTsvChunks(join(dir, 'two.log'), 4, 1000), undefined, 'a second header later in the file');
}));

test('workers give the rows, devices and warnings of the single-threaded ingest; re-ingesting adds nothing', withDir(async (dir) => {
  const logs = join(dir, 'logs');
  rmSync(logs, { recursive: true, force: true });
  (await import('node:fs')).mkdirSync(logs);
  writeLogs(logs, 6000);
  const run = async (db: string, workers: number) => {
    const warnings: string[] = [];
    const s = await openStore(db);
    try {
      const r = await ingestPaths(s, [logs], { workers, chunkBytes: 50_000, batchSize: 1000, warn: (l) => warnings.push(l) });
      return { r, warnings };
    } finally {
      s.close();
    }
  };
  const one = await run(join(dir, 'one.duckdb'), 0);
  const many = await run(join(dir, 'many.duckdb'), 3);
  assert.ok(one.r.networkRows > 6000);
  assert.equal(many.r.networkRows, one.r.networkRows);
  assert.deepEqual(many.r.events, one.r.events);
  assert.deepEqual(many.warnings, one.warnings);
  assert.equal(one.warnings.length, 1);
  assert.match(one.warnings[0]!, /conn\.log:6002: 1 fields where the header has 15; line skipped/); // 8 header lines, then record 5993
  assert.deepEqual(many.r.zeek.map((z) => [z.file, z.records, z.malformed, z.lines]), one.r.zeek.map((z) => [z.file, z.records, z.malformed, z.lines]));
  for (const t of ['DeviceNetworkEvents', 'DeviceInfo', 'DeviceNetworkInfo']) {
    assert.deepEqual(await tableDigest(join(dir, 'many.duckdb'), t), await tableDigest(join(dir, 'one.duckdb'), t), t);
  }
  // What the teaching logs taught reached the rows written by workers.
  const s = await openStore(join(dir, 'many.duckdb'), { readOnly: true });
  try {
    const q = async (sql: string) => (await s.connection.runAndReadAll(sql)).getRows();
    assert.deepEqual(await q(`SELECT DISTINCT DeviceName FROM DeviceNetworkEvents WHERE LocalIP = '10.0.0.7' AND ActionType = 'HttpConnectionInspected'`), [['printer.corp.example']]);
    assert.deepEqual(await q(`SELECT DISTINCT DeviceName FROM DeviceNetworkEvents WHERE LocalIP = '10.0.0.5' AND ActionType LIKE 'Connection%'`), [['laptop.corp.example']]);
    assert.equal(Number((await q(`SELECT count(*) FROM DeviceNetworkEvents WHERE ActionType = 'SslConnectionInspected' AND AdditionalFields LIKE '%"subject":"CN=printer"%'`))[0]![0]) > 0, true);
  } finally {
    s.close();
  }
  const again = await run(join(dir, 'many.duckdb'), 3);
  assert.equal(again.r.networkInserted, 0);
  assert.deepEqual(await tableDigest(join(dir, 'many.duckdb'), 'DeviceNetworkEvents'), await tableDigest(join(dir, 'one.duckdb'), 'DeviceNetworkEvents'));
}));

test('a worker that cannot read its log fails the ingest with one line', withDir(async (dir) => {
  writeLogs(dir, 3000);
  const s = await openStore(join(dir, 'a.duckdb'));
  const prev = process.env.WIREHUNT_STAGE_DIR;
  process.env.WIREHUNT_STAGE_DIR = join(dir, 'no-such-folder');
  try {
    await assert.rejects(ingestPaths(s, [join(dir, 'conn.log')], { workers: 2, chunkBytes: 50_000, batchSize: 500, warn: () => {} }),
      (e: Error) => e.name === 'UserError' && /cannot write the batch staging file/.test(e.message) && !e.message.includes('\n'));
  } finally {
    if (prev === undefined) delete process.env.WIREHUNT_STAGE_DIR;
    else process.env.WIREHUNT_STAGE_DIR = prev;
    s.close();
  }
}));

test('--workers: the CLI takes a count (0: one thread) and refuses anything else in one line', withDir(async (dir) => {
  writeLogs(dir, 500);
  for (const n of ['0', '2']) {
    const r = cli(['ingest', join(dir, 'conn.log'), '--db', join(dir, `w${n}.duckdb`), '--workers', n, '--quiet', '--no-detect']);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.deepEqual(await tableDigest(join(dir, 'w2.duckdb'), 'DeviceNetworkEvents'), await tableDigest(join(dir, 'w0.duckdb'), 'DeviceNetworkEvents'));
  const bad = cli(['ingest', join(dir, 'conn.log'), '--db', join(dir, 'x.duckdb'), '--workers', 'many']);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--workers takes a whole number from 0 to 64/);
}));
