import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, existsSync, statSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { cli, bin, shared, tableDigest, query, withTempDir } from './helpers.js';
import { openStore } from '../../src/store/store.js';

const withDir = withTempDir('wh-ingest-');

const corpus = join(shared, 'corpus/zeek');

test('Zeek baseline logs: every inspected ActionType appears; re-ingesting changes nothing', withDir(async (dir) => {
  const db = join(dir, 'a.duckdb');
  const r1 = cli(['ingest', corpus, '--db', db, '--masked-time', 'zero']);
  assert.equal(r1.status, 0, r1.stderr);
  const m = /DeviceNetworkEvents: (\d+) rows \((\d+) new\)/.exec(r1.stdout);
  assert.ok(m, r1.stdout);
  assert.equal(m[1], m[2]);
  const first = await tableDigest(db, 'DeviceNetworkEvents');
  assert.equal(first.rows, Number(m[1]));
  const acts = (await query(db, `SELECT DISTINCT ActionType FROM DeviceNetworkEvents ORDER BY 1`)).map((r) => r.ActionType);
  for (const a of ['HttpConnectionInspected', 'SshConnectionInspected', 'SslConnectionInspected', 'DnsConnectionInspected', 'FtpConnectionInspected',
    'NtlmAuthenticationInspected', 'IcmpConnectionInspected', 'ConnectionSuccess', 'ConnectionAttempt', 'InboundConnectionAccepted']) {
    assert.ok(acts.includes(a), `missing ${a}`);
  }
  const devInfo = await tableDigest(db, 'DeviceInfo');
  const devNet = await tableDigest(db, 'DeviceNetworkInfo');
  assert.ok(devInfo.rows > 0);

  const r2 = cli(['ingest', corpus, '--db', db, '--masked-time', 'zero']);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /DeviceNetworkEvents: \d+ rows \(0 new\)/);
  assert.deepEqual(await tableDigest(db, 'DeviceNetworkEvents'), first);
  assert.deepEqual(await tableDigest(db, 'DeviceInfo'), devInfo);
  assert.deepEqual(await tableDigest(db, 'DeviceNetworkInfo'), devNet);

  // the default masked-time rule skips the baselines' records, says so, and writes nothing
  const db2 = join(dir, 'b.duckdb');
  const r3 = cli(['ingest', join(corpus, 'ssh'), '--db', db2]);
  assert.equal(r3.status, 0, r3.stderr);
  assert.match(r3.stderr, /masked timestamp/);
  assert.equal((await tableDigest(db2, 'DeviceNetworkEvents')).rows, 0);
}));

test('the Zeek log path gives the same rows whether the logs are TSV, gzip-rotated or JSON', withDir(async (dir) => {
  const conn = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tbool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]',
    '1700000000.000001\tCa\t10.0.0.5\t40000\t93.184.216.34\t443\ttcp\tssl\t1.500000\t100\t2000\tSF\tT\tF\t0\tShADadFf\t5\t300\t4\t2200\t(empty)',
    '1700000002.000000\tCb\t10.0.0.5\t0\t10.0.0.9\t8\ticmp\t-\t-\t-\t-\tOTH\tT\tT\t0\t-\t1\t84\t0\t0\t(empty)',
  ];
  const json = [
    { ts: 1700000000.000001, uid: 'Ca', 'id.orig_h': '10.0.0.5', 'id.orig_p': 40000, 'id.resp_h': '93.184.216.34', 'id.resp_p': 443, proto: 'tcp', service: 'ssl', duration: 1.5, orig_bytes: 100, resp_bytes: 2000, conn_state: 'SF', local_orig: true, local_resp: false, missed_bytes: 0, history: 'ShADadFf', orig_pkts: 5, orig_ip_bytes: 300, resp_pkts: 4, resp_ip_bytes: 2200 },
    { ts: 1700000002.0, uid: 'Cb', 'id.orig_h': '10.0.0.5', 'id.orig_p': 0, 'id.resp_h': '10.0.0.9', 'id.resp_p': 8, proto: 'icmp', conn_state: 'OTH', local_orig: true, local_resp: true, missed_bytes: 0, orig_pkts: 1, orig_ip_bytes: 84, resp_pkts: 0, resp_ip_bytes: 0 },
  ];
  writeFileSync(join(dir, 'conn.log'), conn.join('\n') + '\n');
  const { gzipSync } = await import('node:zlib');
  writeFileSync(join(dir, 'conn.2023-11-14-22-00-00.log.gz'), gzipSync(conn.join('\n') + '\n'));
  writeFileSync(join(dir, 'conn.json.log'), json.map((o) => JSON.stringify(o)).join('\n') + '\n');
  const digests = [];
  for (const f of ['conn.log', 'conn.2023-11-14-22-00-00.log.gz', 'conn.json.log']) {
    const db = join(dir, `${f}.duckdb`);
    const r = cli(['ingest', join(dir, f), '--db', db]);
    assert.equal(r.status, 0, r.stderr);
    digests.push(await tableDigest(db, 'DeviceNetworkEvents'));
  }
  assert.equal(digests[0]!.rows, 3);
  assert.deepEqual(digests[1], digests[0]);
  assert.deepEqual(digests[2], digests[0]);
}));

/** A conn.log of n records, each giving exactly one row (private client → public server). */
function bigConnLog(file: string, n: number): void {
  const head = [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\thistory\torig_pkts\tresp_pkts',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tstring\tcount\tcount',
  ].join('\n') + '\n';
  const parts = [head];
  for (let i = 0; i < n; i++) {
    const ts = (1700000000 + i * 0.001).toFixed(6);
    parts.push(`${ts}\tC${i.toString(36)}\t10.0.${(i >> 8) & 255}.${i & 255}\t${1024 + (i % 60000)}\t93.184.${(i >> 8) & 255}.${i & 255}\t443\ttcp\tssl\t0.5\t${i % 1000}\t${i % 7777}\tSF\tShADadFf\t5\t4\n`);
  }
  writeFileSync(file, parts.join(''));
}

// Batches of the JavaScript model (one thread, worker threads), and a log mapped inside DuckDB (one batch: the whole file).
for (const [how, env] of [
  ['', { WIREHUNT_INGEST_SQL: 'never' }],
  [' (worker threads)', { WIREHUNT_INGEST_WORKERS: '2', WIREHUNT_INGEST_SQL: 'never' }],
  [' (mapped in DuckDB)', { WIREHUNT_INGEST_SQL: 'always' }],
] as const) test(`SIGKILL mid-ingest${how}: the store reopens with whole batches only; re-running gives exactly one clean ingest`, withDir(async (dir) => {
  const whole = env.WIREHUNT_INGEST_SQL === 'always';
  const log = join(dir, 'conn.log');
  const N = 200_000;
  const B = 10_000;
  bigConnLog(log, N);

  // reference: one clean ingest
  const clean = join(dir, 'clean.duckdb');
  const t0 = Date.now();
  const rc = cli(['ingest', log, '--db', clean, '--batch-size', String(B), '--quiet'], env);
  const cleanMs = Date.now() - t0;
  assert.equal(rc.status, 0, rc.stderr);
  const want = await tableDigest(clean, 'DeviceNetworkEvents');
  assert.equal(want.rows, N);

  const db = join(dir, 'killed.duckdb');
  (await openStore(db)).close(); // tables exist: the WAL grows only with committed batches from here on
  const walBefore = existsSync(db + '.wal') ? statSync(db + '.wal').size : 0;
  const child = spawn(process.execPath, [bin, 'ingest', log, '--db', db, '--batch-size', String(B), '--quiet'], { stdio: 'ignore', env: { ...process.env, ...env } });
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let killed = false;
  const deadline = Date.now() + 60_000;
  const started = Date.now();
  while (Date.now() < deadline) {
    const wal = existsSync(db + '.wal') ? statSync(db + '.wal').size : 0;
    // one statement writes the whole log: kill it while it runs (its clean run took `cleanMs`)
    if (whole ? Date.now() - started > cleanMs / 3 : wal > walBefore) {
      await new Promise((r) => setTimeout(r, 150));
      killed = child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  const code = await exited;
  assert.ok(killed, 'the ingest was killed');
  assert.equal(code, null, 'it died by the signal, not by finishing');

  const after = await tableDigest(db, 'DeviceNetworkEvents'); // reopening works
  if (whole) assert.ok(after.rows === 0 || after.rows === N, `all or nothing: ${after.rows} of ${N}`);
  else {
    assert.ok(after.rows > 0 && after.rows < N, `partial: ${after.rows} of ${N}`);
    assert.equal(after.rows % B, 0, `whole batches only: ${after.rows} rows, batches of ${B}`);
  }
  // nothing half-written: every committed row is a complete row of the clean ingest
  const s = await openStore(db);
  await s.connection.run(`ATTACH '${clean}' AS clean (READ_ONLY)`);
  const strays = (await s.connection.runAndReadAll(`SELECT count(*) FROM (SELECT * FROM store.DeviceNetworkEvents EXCEPT SELECT * FROM clean.store.DeviceNetworkEvents)`)).getRows()[0]![0];
  s.close();
  assert.equal(Number(strays), 0);

  const rr = cli(['ingest', log, '--db', db, '--batch-size', String(B), '--quiet'], env);
  assert.equal(rr.status, 0, rr.stderr);
  assert.deepEqual(await tableDigest(db, 'DeviceNetworkEvents'), want);
  assert.deepEqual(await tableDigest(db, 'DeviceInfo'), await tableDigest(clean, 'DeviceInfo'));
}));

test('inventory: named devices, DnsAddresses and IsInternetFacing in DeviceInfo/DeviceNetworkInfo; bad inventory is one line', withDir(async (dir) => {
  const inv = join(dir, 'inv.json');
  writeFileSync(inv, JSON.stringify({
    devices: [
      { DeviceName: 'web01.contoso.local', IPAddresses: ['10.0.0.9/24'], IsInternetFacing: true, OSPlatform: 'Linux', DnsAddresses: ['10.0.0.2'], MacAddress: '00:15:5d:00:00:09' },
      { DeviceName: 'ws05.contoso.local', IPAddresses: [{ IPAddress: '10.0.0.5', SubnetPrefix: 24 }], DnsAddresses: ['10.0.0.2'], DefaultGateways: ['10.0.0.1'] },
    ],
  }));
  const log = join(dir, 'conn.log');
  writeFileSync(log, [
    '#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', '#path\tconn',
    '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\torig_pkts\tresp_pkts',
    '#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tcount\tcount',
    '1700000000.000000\tC1\t10.0.0.5\t40000\t10.0.0.9\t22\ttcp\tSF\t3\t3',
    '1700000001.000000\tC2\t10.0.0.77\t40000\t10.0.0.9\t22\ttcp\tS0\t1\t0',
  ].join('\n') + '\n');
  const db = join(dir, 'd.duckdb');
  const r = cli(['ingest', log, '--db', db, '--devices', inv]);
  assert.equal(r.status, 0, r.stderr);
  const rows = await query(db, `SELECT DeviceName, ActionType, LocalIP FROM DeviceNetworkEvents ORDER BY Timestamp, DeviceName`);
  assert.deepEqual(rows, [
    { DeviceName: 'web01.contoso.local', ActionType: 'InboundConnectionAccepted', LocalIP: '10.0.0.9' },
    { DeviceName: 'ws05.contoso.local', ActionType: 'ConnectionSuccess', LocalIP: '10.0.0.5' },
    { DeviceName: 'web01.contoso.local', ActionType: 'ConnectionAttempt', LocalIP: '10.0.0.9' }, // 10.0.0.77 is not in the inventory
  ]);
  const info = await query(db, `SELECT DeviceName, IsInternetFacing, OSPlatform, CAST(epoch(Timestamp) AS VARCHAR) t FROM DeviceInfo ORDER BY DeviceName`);
  assert.deepEqual(info, [
    { DeviceName: 'web01.contoso.local', IsInternetFacing: true, OSPlatform: 'Linux', t: '1700000001.0' },
    { DeviceName: 'ws05.contoso.local', IsInternetFacing: false, OSPlatform: '', t: '1700000001.0' },
  ]);
  const net = await query(db, `SELECT DeviceName, DnsAddresses, IPAddresses, MacAddress FROM DeviceNetworkInfo ORDER BY DeviceName`);
  assert.equal(net[0]!.DnsAddresses, '["10.0.0.2"]');
  assert.equal(net[0]!.MacAddress, '00:15:5d:00:00:09');
  assert.deepEqual(JSON.parse(net[1]!.IPAddresses as string), [{ IPAddress: '10.0.0.5', SubnetPrefix: 24, AddressType: 'Private' }]);

  // a later ingest without --devices keeps the recorded devices (no discovery of 10.0.0.77 as a new one? it is discovered)
  writeFileSync(inv, '{"devices": [{"DeviceName": "x", "IPAddress": "10.0.0.1"}]}');
  const bad = cli(['ingest', log, '--db', db, '--devices', inv]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^wirehunt: .*inv\.json: device 1: unknown field 'IPAddress'/);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
}));

test('--rebase-time moves the last event to now; --legacy-signatures adds NetworkSignatureInspected rows', withDir(async (dir) => {
  const db = join(dir, 'r.duckdb');
  const r = cli(['ingest', join(corpus, 'ssh'), join(corpus, 'http'), '--db', db, '--masked-time', 'zero', '--rebase-time', '--legacy-signatures']);
  assert.equal(r.status, 0, r.stderr);
  const [row] = await query(db, `SELECT epoch(max(Timestamp)) AS t FROM DeviceNetworkEvents`);
  assert.ok(Math.abs((row!.t as number) - Date.now() / 1000) < 120, `max Timestamp ${row!.t}`);
  const sigs = (await query(db, `SELECT DISTINCT json_extract_string(AdditionalFields, '$.SignatureName') s FROM DeviceNetworkEvents WHERE ActionType = 'NetworkSignatureInspected' ORDER BY 1`)).map((x) => x.s);
  assert.deepEqual(sigs, ['HTTP_Client', 'HTTP_RequestBodyParameters', 'HTTP_Server', 'SSH']);
}));

test('captures: a folder of captures ingests through the sensor, and re-ingesting changes nothing', withDir(async (dir) => {
  const caps = join(dir, 'caps');
  const { mkdirSync, copyFileSync, readdirSync } = await import('node:fs');
  mkdirSync(caps);
  for (const c of ['http/100-continue', 'ssh/curve25519-kex', 'dns/dnskey']) {
    const d = join(corpus, c);
    for (const f of readdirSync(d)) if (/\.pcap(ng)?$/.test(f)) copyFileSync(join(d, f), join(caps, `${c.replace('/', '_')}_${f}`));
  }
  const db = join(dir, 'c.duckdb');
  const r1 = cli(['ingest', caps, '--db', db]);
  assert.equal(r1.status, 0, r1.stderr);
  assert.match(r1.stdout, /ingested 3 input/);
  const first = await tableDigest(db, 'DeviceNetworkEvents');
  const acts = (await query(db, `SELECT DISTINCT ActionType FROM DeviceNetworkEvents ORDER BY 1`)).map((r) => r.ActionType);
  for (const a of ['HttpConnectionInspected', 'SshConnectionInspected', 'DnsConnectionInspected']) assert.ok(acts.includes(a), `missing ${a}`);
  const r2 = cli(['ingest', caps, '--db', db]);
  assert.equal(r2.status, 0, r2.stderr);
  assert.match(r2.stdout, /DeviceNetworkEvents: \d+ rows \(0 new\)/);
  assert.deepEqual(await tableDigest(db, 'DeviceNetworkEvents'), first);
}));
