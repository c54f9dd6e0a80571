// Zeek logs mapped to rows inside DuckDB (events/sql-map.ts) give the JavaScript model's rows, field
// for field: over every corpus case (the sensor's logs of its capture, and Zeek's own baselines),
// and over lines built to take each way out of SQL (escapes, UTF-8, odd numbers, masked times,
// repeated lines, a malformed line).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync, readdirSync, existsSync, mkdirSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { corpusCases as cases, zeekHeader, ID_FIELDS, ID_TYPES, withTempDir } from './helpers.js';
import { openStore, shreddedKeys, shreddedColumn } from '../../src/store/store.js';
import { ingestPaths, type IngestOptions, type IngestResult } from '../../src/events/ingest.js';
import { planSqlLog } from '../../src/events/sql-map.js';

const withDir = withTempDir('wh-sqlmap-');

/** Every stored row of the three tables the ingest writes, ReportId left out (SQL and JavaScript hash differently), sorted. */
async function ingestRows(paths: string[], opts: IngestOptions, db = ':memory:'): Promise<{ r: IngestResult; rows: string[]; warnings: string[] }> {
  const warnings: string[] = [];
  const s = await openStore(db);
  try {
    const r = await ingestPaths(s, paths, { workers: 0, warn: (l) => warnings.push(l), ...opts });
    // the keys the store keeps as columns (hidden from the view) hold what the text gives, on either path
    const keys = shreddedKeys('DeviceNetworkEvents', 'AdditionalFields');
    const stale = await s.connection.runAndReadAll(`SELECT count(*) FROM store."DeviceNetworkEvents" WHERE ${keys.map((k) => `"${shreddedColumn('AdditionalFields', k)}" IS DISTINCT FROM try(json_extract_string(NULLIF("AdditionalFields", ''), '$."${k}"'))`).join(' OR ')}`);
    assert.equal(stale.getRows()[0]![0], 0n, `rows whose kept keys differ from their AdditionalFields (${JSON.stringify(opts)})`);
    const rows: string[] = [];
    for (const t of ['DeviceNetworkEvents', 'DeviceInfo', 'DeviceNetworkInfo']) {
      const res = await s.connection.runAndReadAll(`SELECT CAST(to_json(x) AS VARCHAR) FROM (SELECT * EXCLUDE (ReportId) FROM "${t}") x`);
      for (const [j] of res.getRows()) rows.push(`${t} ${String(j)}`);
    }
    return { r, rows: rows.sort(), warnings };
  } finally {
    s.close();
  }
}

function sameIngest(a: Awaited<ReturnType<typeof ingestRows>>, b: Awaited<ReturnType<typeof ingestRows>>, what: string): void {
  const short = (r: string) => r.replace(/,"(InitiatingProcess|AppGuard|LogonID|IsInitiating)[A-Za-z0-9]*":(""|null)/g, '');
  const onlyA = a.rows.filter((r) => !b.rows.includes(r)).map(short);
  const onlyB = b.rows.filter((r) => !a.rows.includes(r)).map(short);
  assert.deepEqual({ onlyA, onlyB }, { onlyA: [], onlyB: [] }, what);
  assert.deepEqual(a.rows, b.rows, what);
  assert.deepEqual(a.r.events, b.r.events, what);
  assert.equal(a.r.networkRows, b.r.networkRows, what);
  assert.deepEqual(a.warnings, b.warnings, what);
  const files = (r: IngestResult) => r.zeek.map((z) => [z.file, z.records, z.malformed, z.masked]);
  assert.deepEqual(files(a.r), files(b.r), what);
}

test('every corpus case: the sensor\'s logs and Zeek\'s baselines give the same rows mapped in SQL as through the model', withDir(async (dir) => {
  const { analyzeCapture } = await import('../../src/sensor/index.js');
  const all = cases();
  assert.ok(all.length >= 40);
  let mapped = 0;
  let baselineLines = 0;
  for (const c of all) {
    const out = join(dir, c.name.replace('/', '_'));
    await analyzeCapture({ input: c.pcap, out });
    const mine = existsSync(out) ? readdirSync(out).filter((f) => f.endsWith('.log')).map((f) => join(out, f)) : [];
    if (mine.length) {
      const sql = await ingestRows(mine, { sqlMapping: 'always' });
      sameIngest(sql, await ingestRows(mine, { sqlMapping: 'never' }), `${c.name} (sensor logs)`);
      mapped += sql.r.sqlMapped;
    }
    const sql = await ingestRows(c.logs, { sqlMapping: 'always', maskedTime: 'zero' });
    sameIngest(sql, await ingestRows(c.logs, { sqlMapping: 'never', maskedTime: 'zero' }), `${c.name} (baselines)`);
    baselineLines += sql.r.zeek.reduce((n, z) => n + z.records, 0);
  }
  // SQL mapped the sensor's records (467 of them); the baselines' masked times all went through the model
  assert.ok(mapped >= 400, `${mapped} records mapped in SQL`);
  assert.ok(baselineLines > 300);
}));

const head = zeekHeader;
const ID = ID_FIELDS;
const IDT = ID_TYPES;

test('lines SQL cannot write exactly go through the model; repeated lines are stored once; re-ingesting adds nothing', withDir(async (dir) => {
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  const dns = [head('dns', [...ID, 'proto', 'trans_id', 'rtt', 'query', 'qtype_name', 'AA', 'answers', 'TTLs', 'rejected'],
    [...IDT, 'enum', 'count', 'interval', 'string', 'string', 'bool', 'vector[string]', 'vector[interval]', 'bool'])];
  const lines = [
    // plain: SQL
    '1767603600.000100\tC1\t10.0.0.1\t5353\t10.0.0.2\t53\tudp\t1\t0.001000\tprinter.corp\tA\tF\t10.0.0.9\t300.000000\tF',
    '1767603601.000000\tC2\t10.0.0.1\t5354\t10.0.0.2\t53\tudp\t2\t-\tmail.corp\tMX\tT\tmx1.corp,mx2.corp\t20.500000,3600.000000\tF',
    '1767603602.5\tC3\t10.0.0.3\t5355\t8.8.8.8\t53\ttcp\t(empty)\t(empty)\tx.example\tTXT\t-\t(empty)\t(empty)\t-',
    // escapes and UTF-8 (the model decodes), quotes: JavaScript
    '1767603603.000000\tC4\t10.0.0.3\t5356\t10.0.0.2\t53\tudp\t3\t0.1\tbad\\x09name.corp\tA\tF\t-\t-\tF',
    '1767603604.000000\tC5\t10.0.0.4\t5357\t10.0.0.2\t53\tudp\t4\t0.2\tcafé.corp\tA\tF\t10.0.0.4\t60.0\tF',
    '1767603605.000000\tC6\t10.0.0.4\t5358\t10.0.0.2\t53\tudp\t5\t0.2\tq"uote.corp\tA\tF\t-\t-\tF',
    // numbers the model writes differently from the log's text: JavaScript
    '1767603606.000000\tC7\t10.0.0.5\t5359\t10.0.0.2\t53\tudp\t007\t-0.000000\ta.corp\tA\tF\t-\t1e3\tF',
    '1767603607.000000\tC8\t10.0.0.5\t5360\t10.0.0.2\t53\tudp\t123456789012345678\tnan\ta.corp\tA\tF\t-\t-\tF',
    'XXXXXXXXXX.XXXXXX\tC9\t10.0.0.5\t5361\t10.0.0.2\t53\tudp\t1\t0.1\tmasked.corp\tA\tF\t-\t-\tF',
    '1767603608.1234567\tC10\t10.0.0.5\t5362\t10.0.0.2\t53\tudp\t1\t0.1\tseven.places\tA\tF\t-\t-\tF',
    // an empty field (DuckDB reads NULL): JavaScript
    '1767603609.000000\tC11\t10.0.0.5\t5363\t10.0.0.2\t53\tudp\t1\t0.1\t\tA\tF\t-\t-\tF',
    // no rows: unset address, unset time
    '1767603610.000000\tC12\t-\t5364\t10.0.0.2\t53\tudp\t1\t0.1\tz.corp\tA\tF\t-\t-\tF',
    '-\tC13\t10.0.0.5\t5365\t10.0.0.2\t53\tudp\t1\t0.1\tz.corp\tA\tF\t-\t-\tF',
  ];
  // a repeated line, and the PTR that names 10.0.0.9 after its rows
  dns.push(...lines.map((l) => l + '\n'), lines[0] + '\n', '1767603611.000000\tC14\t10.0.0.1\t5366\t10.0.0.2\t53\tudp\t6\t0.1\t9.0.0.10.in-addr.arpa\tPTR\tF\tnine.corp\t60.000000\tF\n', '#close\t2026-01-05-10-00-00\n');
  writeFileSync(join(logs, 'dns.log'), dns.join(''));
  const conn = [head('conn', [...ID, 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'missed_bytes', 'history', 'orig_pkts', 'resp_pkts', 'tunnel_parents'],
    [...IDT, 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'count', 'string', 'count', 'count', 'set[string]'])];
  for (let i = 0; i < 300; i++) {
    const st = ['SF', 'S0', 'REJ', 'OTH', 'RSTO', 'SH', '-'][i % 7]!;
    const proto = ['tcp', 'udp', 'icmp', 'unknown_transport'][i % 4]!;
    const orig = i % 5 === 0 ? `fe80::${i}` : `10.0.${i % 3}.${1 + (i % 40)}`;
    conn.push(`${(1767603600 + i / 7).toFixed(6)}\tC${i}\t${orig}\t${1024 + i}\t${i % 2 ? '10.0.0.9' : `93.184.216.${i % 250}`}\t${[443, 80, 53][i % 3]}\t${proto}\t${i % 6 ? 'ssl' : '-'}\t${(i / 3).toFixed(6)}\t${i * 11}\t${i % 4 ? i * 13 : '-'}\t${st}\t${i % 2 ? 'T' : 'F'}\t0\tShADadf\t${i % 3}\t${i % 4}\t${i % 9 ? '(empty)' : 'Cx,Cy'}\n`);
  }
  writeFileSync(join(logs, 'conn.log'), conn.join(''));
  writeFileSync(join(logs, 'x509.log'), head('x509', ['ts', 'fingerprint', 'certificate.subject', 'certificate.issuer'], ['time', 'string', 'string', 'string'])
    + '1767603600.000000\tfp1\tCN=printer\tCN=ca\n1767603600.000000\tfp2\tCN=q\\x22uoted,O=Ex\tCN=\\xc3\\xa9ca\n');
  const ssl = [head('ssl', [...ID, 'version', 'server_name', 'resumed', 'cert_chain_fps', 'client_cert_chain_fps', 'subject'],
    [...IDT, 'string', 'string', 'bool', 'vector[string]', 'vector[string]', 'string'])];
  for (let i = 0; i < 40; i++) {
    ssl.push(`${(1767603700 + i).toFixed(6)}\tS${i}\t10.0.0.${1 + (i % 9)}\t${60000 + i}\t10.0.0.7\t443\tTLSv13\t${i % 3 ? 'printer.corp' : '-'}\t${i % 2 ? 'T' : 'F'}\t${['fp1', 'fp2', '(empty)', 'fp9,fp1', '-'][i % 5]}\t${i % 7 ? '-' : 'fp1'}\t${i % 11 ? '-' : 'CN=own'}\n`);
  }
  writeFileSync(join(logs, 'ssl.log'), ssl.join(''));

  for (const f of ['dns.log', 'conn.log', 'ssl.log']) assert.ok(planSqlLog(join(logs, f), () => readFileSync(join(logs, f), 'utf8')), f);
  const db = join(dir, 'sql.duckdb');
  const sql = await ingestRows([logs], { sqlMapping: 'always', maskedTime: 'zero' }, db);
  const js = await ingestRows([logs], { sqlMapping: 'never', maskedTime: 'zero' });
  sameIngest(sql, js, 'mixed lines');
  // SQL mapped most lines, the model the ones above marked JavaScript
  assert.ok(sql.r.sqlMapped >= 300 + 40 + 4, String(sql.r.sqlMapped));
  const total = sql.r.zeek.reduce((n, z) => n + z.records, 0);
  assert.ok(total - sql.r.sqlMapped >= 8, `${total - sql.r.sqlMapped} records through the model`);
  assert.equal(sql.r.networkRows, js.r.networkRows);
  // 10.0.0.9 took the first name DNS gave it (an A answer; the later PTR does not rename it)
  const nine = sql.rows.filter((r) => r.startsWith('DeviceNetworkEvents') && r.includes('"LocalIP":"10.0.0.9"'));
  assert.ok(nine.length > 50, String(nine.length));
  assert.ok(nine.every((r) => r.includes('"DeviceName":"printer.corp"')));

  // the same logs gzip-compressed under rotated names: DuckDB decompresses them, same rows
  const gz = join(dir, 'gz');
  mkdirSync(gz);
  for (const f of readdirSync(logs)) writeFileSync(join(gz, f.replace('.log', '.2026-01-05-09-00-00.log.gz')), gzipSync(readFileSync(join(logs, f))));
  const zipped = await ingestRows([gz], { sqlMapping: 'always', maskedTime: 'zero' });
  sameIngest({ ...zipped, r: { ...zipped.r, zeek: sql.r.zeek } }, sql, 'gzip');
  assert.equal(zipped.r.sqlMapped, sql.r.sqlMapped);
  // a compressed log whose header changes midway (two rotated files joined) goes to the model whole
  const twice = join(dir, 'twice');
  mkdirSync(twice);
  const connText = readFileSync(join(logs, 'conn.log'), 'utf8');
  const other = connText.replace(/\tlocal_orig/, '\tlocal_resp');
  writeFileSync(join(twice, 'conn.log.gz'), Buffer.concat([gzipSync(connText), gzipSync(other)]));
  const joined = await ingestRows([twice], { sqlMapping: 'always' });
  sameIngest(joined, await ingestRows([twice], { sqlMapping: 'never' }), 'two headers');
  assert.equal(joined.r.sqlMapped, 0);

  // --rebase-time: the latest time read by DuckDB gives the model's shift
  const now = Date.parse('2026-11-26T12:00:00Z');
  const shifted = await ingestRows([logs], { sqlMapping: 'always', rebaseTime: true, now });
  sameIngest(shifted, await ingestRows([logs], { sqlMapping: 'never', rebaseTime: true, now }), 'rebase-time');
  assert.equal(shifted.r.shiftSeconds, now / 1000 - 1767603739); // the last ssl record

  const again = await ingestRows([logs], { sqlMapping: 'always', maskedTime: 'zero' }, db);
  assert.equal(again.r.networkInserted, 0);
  // (names learned in the second run may now fill DeviceName of rows that had none: the model's rule)
  const events = (rows: string[]) => rows.filter((r) => r.startsWith('DeviceNetworkEvents')).length;
  assert.equal(events(again.rows), events(sql.rows));
}));

test('a log with a malformed line is read by the model as a whole, which reports the line', withDir(async (dir) => {
  const f = join(dir, 'conn.log');
  const rows = [head('conn', [...ID, 'proto', 'conn_state', 'orig_pkts', 'resp_pkts'], [...IDT, 'enum', 'string', 'count', 'count'])];
  for (let i = 0; i < 50; i++) rows.push(`${1767603600 + i}.000000\tC${i}\t10.0.0.1\t${2000 + i}\t10.0.0.2\t80\ttcp\tSF\t3\t4\n`);
  rows.splice(20, 0, `1767603600.5\tCbad\t10.0.0.1\t1999\t10.0.0.2\tnot-a-port\ttcp\tSF\t3\t4\n`, 'short line\n');
  writeFileSync(f, rows.join(''));
  const sql = await ingestRows([f], { sqlMapping: 'always' });
  const js = await ingestRows([f], { sqlMapping: 'never' });
  sameIngest(sql, js, 'malformed');
  assert.equal(sql.r.sqlMapped, 0);
  assert.equal(sql.warnings.length, 2);
  assert.match(sql.warnings[0]!, /conn\.log:28: id\.resp_p: 'not-a-port' is not a port; line skipped/);
}));

test('ReportId of a mapped row is pinned (a DuckDB release that changes hash() would make re-ingests add rows)', withDir(async (dir) => {
  const f = join(dir, 'conn.log');
  writeFileSync(f, head('conn', [...ID, 'proto', 'conn_state'], [...IDT, 'enum', 'string']) + '1767603600.000000\tCpin\t10.0.0.1\t40000\t93.184.216.34\t443\ttcp\tSF\n');
  const s = await openStore(':memory:');
  try {
    const r = await ingestPaths(s, [f], { sqlMapping: 'always', workers: 0, warn: () => {} });
    assert.equal(r.sqlMapped, 1);
    const got = (await s.connection.runAndReadAll(`SELECT ReportId, ActionType, AdditionalFields FROM DeviceNetworkEvents`)).getRows();
    assert.deepEqual(got.map(([id, a, af]) => [Number(id), a, af]), [[PINNED_REPORT_ID, 'ConnectionSuccess', '{"direction":"Out","uid":"Cpin","conn_state":"SF"}']]);
  } finally {
    s.close();
  }
}));

const PINNED_REPORT_ID = 7837159290356430;
