// npm run bench:query — the seed hunting queries through wirehunt's KQL engine versus the SQL a
// DuckDB expert would hand-write for them, on the same store, in the same run.
//
// Input: N generated DeviceNetworkEvents rows (default 10,000,000; BENCH_ROWS to change) with
// realistic AdditionalFields per ActionType (numbers as wirehunt's ingest writes them: microsecond
// durations, whole numbers without ".0"), spread over 7 days, plus small DeviceInfo,
// DeviceNetworkInfo and DeviceImageLoadEvents tables. The store is built once into
// $BENCH_DB (default /tmp/wirehunt-bench-query.duckdb) and reused while its rows and tables are what this
// code makes (a hash of the generating SQL and the table layout is kept in it).
// DuckDB runs with 2 threads (BENCH_THREADS). Reported: median of BENCH_REPS runs (default 5) per
// query for both, their ratio, CPU time of the process (DuckDB's threads included; survives load on
// the machine better than wall time), and parse+bind+compile times (cold, uncached: median of
// COMPILE_ROUNDS, wall and CPU; and cached).
//
// What is timed, both sides ending at the Results JSON text an API client receives (at most 100,000 rows,
// one more fetched to know the result was truncated):
//   wirehunt: runCompiled() (compile cached) until result.resultsJson, the Results array bytes the HTTP
//             API writes as they are (Defender's encoding per Kusto type).
//   hand SQL: the expert's query with DuckDB's own JSON of each row (to_json of the row, LIMIT before
//             encoding), runAndReadAll + getColumns, joined into one '[…]' text; without insertion order
//             when it has no ORDER BY (as wirehunt runs queries whose result does not depend on it).
import { readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { openStore, createTableSql, withShreddedColumns } from '../src/store/index.js';
import { TABLES, getTable } from '../src/store/types.js';
import { compileQuery, runCompiled } from '../src/kql/index.js';
import { nowSql } from '../src/kql/exec/run.js';
import { readJsonRows } from '../src/kql/exec/json-rows.js';
import { dependsOnInputOrder } from '../src/kql/exec/insertion-order.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Compiled } from '../src/kql/compile.js';

const N = Number(process.env.BENCH_ROWS ?? 10_000_000);
const DEFAULT_DB = '/tmp/wirehunt-bench-query.duckdb';
const DB = process.env.BENCH_DB ?? DEFAULT_DB;
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const COMPILE_ROUNDS = 9;
// BENCH_ORDER=blocked: a query's wirehunt runs back to back, then the hand SQL's (default: alternating, so that
// drift of the machine's speed hits both sides alike; but each side then runs in the memory state the other left)
const BLOCKED = process.env.BENCH_ORDER === 'blocked';
// BENCH_ONLY=10,13: time only those seed queries (compile timings still cover all)
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',').map(Number)) : null;
const NOW = new Date('2024-05-08T00:00:00Z');
const NOW_US = NOW.getTime() * 1000;
const SPAN_US = 7 * 86400 * 1_000_000;

// Pseudo-random pieces from hash(i, k): deterministic, no JS per row.
const H = (k: number) => `CAST(hash(i * 31 + ${k}) % 1000000007 AS BIGINT)`;
const pick = (k: number, xs: string[]) => `(['${xs.join("','")}'])[(${H(k)} % ${xs.length}) + 1]`;

function generateSql(n: number): string {
  const action = `CASE WHEN r < 40 THEN 'ConnectionSuccess' WHEN r < 55 THEN 'InboundConnectionAccepted' WHEN r < 75 THEN 'DnsConnectionInspected'
    WHEN r < 85 THEN 'HttpConnectionInspected' WHEN r < 93 THEN 'SslConnectionInspected' WHEN r < 96 THEN 'IcmpConnectionInspected'
    WHEN r < 98 THEN 'SshConnectionInspected' WHEN r < 99 THEN 'NtlmAuthenticationInspected' ELSE 'NetworkSignatureInspected' END`;
  const dir = `CASE WHEN ${H(3)} % 5 = 0 THEN 'In' ELSE 'Out' END`;
  const ua = pick(4, ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Microsoft-CryptoAPI/10.0', 'curl/8.4.0', 'Windows-Update-Agent/10.0', 'python-requests/2.31', 'TrickXYZ']);
  const uri = pick(5, ['/', '/index.html', '/api/v1/status', '/download/setup.exe', '/static/app.js', '/update/patch.zip', '/a/b/c.png', '/payload.ps1']);
  const af = `CASE a
    WHEN 'HttpConnectionInspected' THEN json_object('direction', dir, 'uid', uid, 'trans_depth', 1, 'method', ${pick(6, ['GET', 'GET', 'POST', 'HEAD'])}, 'host', 'host' || (${H(7)} % 300) || '.example.com', 'uri', ${uri}, 'version', '1.1', 'user_agent', ${ua}, 'request_body_len', 0, 'response_body_len', ${H(8)} % 100000, 'status_code', 200, 'status_msg', 'OK', 'tags', []::VARCHAR[])
    WHEN 'SshConnectionInspected' THEN json_object('direction', dir, 'uid', uid, 'version', 2, 'auth_success', (${H(9)} % 4 = 0), 'auth_attempts', ${H(10)} % 8, 'client', ${pick(11, ['SSH-2.0-OpenSSH_9.6', 'SSH-2.0-libssh_0.9.6', 'SSH-2.0-PuTTY_0.80', 'SSH-2.0-paramiko_3.4'])}, 'server', ${pick(12, ['SSH-2.0-OpenSSH_8.9p1', 'SSH-2.0-OpenSSH_7.4'])}, 'cipher_alg', 'aes256-gcm@openssh.com')
    WHEN 'IcmpConnectionInspected' THEN json_object('direction', dir, 'uid', uid, 'conn_state', 'OTH', 'duration', (${H(13)} % 400000000 + 1) / 1000000.0, 'orig_bytes', ${H(14)} % 2000000, 'resp_bytes', ${H(15)} % 100000, 'orig_pkts', ${H(16)} % 2000, 'resp_pkts', ${H(17)} % 2000, 'missed_bytes', 0)
    WHEN 'SslConnectionInspected' THEN json_object('direction', dir, 'uid', uid, 'version', 'TLSv13', 'cipher', 'TLS_AES_128_GCM_SHA256', 'server_name', 'site' || (${H(18)} % 500) || '.example.org', 'established', true, 'resumed', false, 'subject', 'CN=site' || (${H(18)} % 500) || '.example.org', 'issuer', ${pick(19, ["CN=R3,O=Let''s Encrypt,C=US", 'CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US', 'CN=selfsigned.local'])})
    WHEN 'DnsConnectionInspected' THEN json_object('direction', dir, 'uid', uid, 'query', 'q' || (${H(20)} % 5000) || '.example.net', 'qtype_name', ${pick(21, ['A', 'A', 'AAAA', 'TXT', 'PTR', 'MX'])}, 'qclass_name', 'C_INTERNET', 'rcode_name', 'NOERROR', 'trans_id', ${H(22)} % 65536, 'rtt', (${H(41)} % 200000 + 1) / 1000000.0, 'AA', false, 'TC', false, 'RD', true, 'RA', true, 'rejected', false, 'answers', CASE WHEN ${H(23)} % 3 = 0 THEN []::VARCHAR[] ELSE ['93.184.216.' || (${H(24)} % 255)] END, 'TTLs', [${H(42)} % 3600])
    WHEN 'NtlmAuthenticationInspected' THEN json_object('direction', dir, 'uid', uid, 'username', 'user' || (${H(25)} % 200), 'hostname', 'WS' || (${H(26)} % 500), 'domainname', 'CORP', 'success', (${H(27)} % 3 = 0))
    WHEN 'NetworkSignatureInspected' THEN json_object('SignatureName', ${pick(28, ['SSH', 'HTTP_Client', 'DNS_Request', 'HTTPS_Client'])}, 'SignatureMatchedContent', 'x', 'SamplePacketContent', 'y')
    ELSE json_object('direction', dir, 'uid', uid, 'conn_state', 'SF') END`;
  const names = ['"Timestamp"', '"DeviceId"', '"DeviceName"', '"ActionType"', '"RemoteIP"', '"RemotePort"', '"LocalIP"', '"LocalPort"', '"Protocol"', '"__cold"', '"ReportId"', '"AdditionalFields"'];
  const rows = `SELECT make_timestamp(CAST(${NOW_US - SPAN_US} + (i * ${Math.floor(SPAN_US / n)}) AS BIGINT)), dev, dev || '.corp.contoso.com', a,
      CASE WHEN ${H(30)} % 4 = 0 THEN '10.20.' || (${H(31)} % 4) || '.' || (${H(32)} % 250) ELSE (${H(33)} % 200 + 20) || '.' || (${H(34)} % 250) || '.' || (${H(35)} % 250) || '.' || (${H(36)} % 250) END,
      CAST(${pick(37, ['443', '80', '53', '22', '445', '3389', '8080'])} AS INTEGER),
      '10.20.' || (devn % 4) || '.' || (devn % 250), CAST(49152 + ${H(38)} % 16000 AS INTEGER), 'Tcp',
      json_object('InitiatingProcessFileName', ${pick(39, ['chrome.exe', 'msedge.exe', 'svchost.exe', 'powershell.exe', 'teams.exe', 'outlook.exe'])}, 'InitiatingProcessId', CAST(${H(40)} % 20000 AS BIGINT)), i, ${af}
    FROM (SELECT i, (${H(1)} % 100) AS r, (${H(2)} % 500) AS devn, 'dev' || lpad(CAST(${H(2)} % 500 AS VARCHAR), 4, '0') AS dev,
                 'C' || md5(CAST(i AS VARCHAR))[1:17] AS uid, ${dir} AS dir,
                 ${action} AS a
          FROM range(${n}) t(i))`;
  // named as the table's columns, then with the columns the store derives from AdditionalFields
  const named = `SELECT * FROM (${rows}) AS g(${names.join(', ')})`;
  const all = withShreddedColumns(getTable('DeviceNetworkEvents')!, names, named);
  return `INSERT INTO store."DeviceNetworkEvents" (${all.names.join(', ')}) SELECT ${all.names.join(', ')} FROM (${all.rows})`;
}

// The SQL a DuckDB expert would hand-write for each seed query (same results, read straight off the table).
const NOWSQL = `TIMESTAMP '${NOW.toISOString().replace('T', ' ').replace('Z', '')}'`;
const HAND: Record<number, string> = {
  1: `SELECT * REPLACE (CAST(AdditionalFields AS JSON) AS AdditionalFields) FROM DeviceNetworkEvents WHERE ActionType = 'NetworkSignatureInspected' AND json_extract_string(AdditionalFields, '$.SignatureName') = 'SSH'`,
  2: `SELECT * FROM DeviceNetworkEvents WHERE ActionType = 'SshConnectionInspected'`,
  3: `SELECT DISTINCT ActionType FROM DeviceNetworkEvents WHERE ActionType ILIKE '%ConnectionInspected%'`,
  4: `SELECT json_extract_string(AdditionalFields, '$.user_agent') AS user_agent, count(DISTINCT DeviceId) AS Devices FROM DeviceNetworkEvents WHERE ActionType = 'HttpConnectionInspected' AND json_extract_string(AdditionalFields, '$.direction') = 'Out' GROUP BY 1 ORDER BY Devices`,
  5: `WITH h AS (SELECT ActionType, AdditionalFields, LocalIP, LocalPort, RemoteIP, RemotePort, time_bucket(INTERVAL 5 MINUTE, Timestamp) AS TimeKey FROM DeviceNetworkEvents
        WHERE Timestamp > ${NOWSQL} - INTERVAL 1 HOUR AND ActionType = 'HttpConnectionInspected' AND json_extract_string(AdditionalFields, '$.user_agent') = 'TrickXYZ'),
      c AS (SELECT *, time_bucket(INTERVAL 5 MINUTE, Timestamp) AS TimeKey FROM DeviceNetworkEvents WHERE Timestamp > ${NOWSQL} - INTERVAL 1 HOUR AND ActionType = 'ConnectionSuccess')
      SELECT c.DeviceId, h.ActionType, h.AdditionalFields, h.LocalIP, h.LocalPort, h.RemoteIP, h.RemotePort, c.InitiatingProcessId, c.InitiatingProcessFileName, h.TimeKey
      FROM h JOIN c ON h.LocalIP = c.LocalIP AND h.RemoteIP = c.RemoteIP AND h.LocalPort = c.LocalPort AND h.TimeKey = c.TimeKey`,
  6: `SELECT *, CAST(AdditionalFields AS JSON) AS json, json_extract_string(AdditionalFields, '$.direction') AS direction, json_extract_string(AdditionalFields, '$.user_agent') AS user_agent, json_extract_string(AdditionalFields, '$.uri') AS uri
      FROM DeviceNetworkEvents WHERE ActionType = 'HttpConnectionInspected' AND regexp_matches(json_extract_string(AdditionalFields, '$.uri'), '\\.(?:dll|exe|zip|7z|ps1|ps|bat|sh)$')`,
  7: `SELECT LocalIP, RemoteIP, count(*) AS count_ FROM DeviceNetworkEvents WHERE ActionType = 'SshConnectionInspected' AND json_extract_string(AdditionalFields, '$.auth_success') = 'false'
      AND TRY_CAST(json_extract_string(AdditionalFields, '$.auth_attempts') AS INTEGER) > 3 GROUP BY ALL HAVING count(*) > 4 ORDER BY count_ DESC`,
  8: `SELECT DISTINCT coalesce(json_extract_string(AdditionalFields, '$.server'), '') AS Server, coalesce(json_extract_string(AdditionalFields, '$.client'), '') AS Client FROM DeviceNetworkEvents WHERE ActionType = 'SshConnectionInspected'`,
  9: `SELECT RemoteIP, LocalIP, format_bytes(Upload) AS Upload, format_bytes(Download) AS Download, Direction, Duration, Timestamp, DeviceId, DeviceName FROM (
        SELECT *, CAST(json_extract_string(AdditionalFields, '$.orig_bytes') AS BIGINT) AS Upload, CAST(json_extract_string(AdditionalFields, '$.resp_bytes') AS BIGINT) AS Download, json_extract_string(AdditionalFields, '$.direction') AS Direction,
               CAST(trunc(CAST(json_extract_string(AdditionalFields, '$.duration') AS DOUBLE)) AS BIGINT) AS Duration
        FROM DeviceNetworkEvents WHERE ActionType = 'IcmpConnectionInspected') WHERE Direction = 'Out' AND Duration > 100 AND Upload > 500000 ORDER BY Upload DESC LIMIT 10`,
  10: `SELECT DeviceId, time_bucket(INTERVAL 10 MINUTE, Timestamp) AS Timestamp, to_json(list(DISTINCT RemoteIP)) AS IpsList FROM DeviceNetworkEvents
       WHERE ActionType = 'IcmpConnectionInspected' AND json_extract_string(AdditionalFields, '$.direction') = 'Out'
         AND regexp_matches(RemoteIP, '^(10\\.\\d+\\.\\d+\\.\\d+|192\\.168\\.\\d+\\.\\d+|172\\.(1[6-9]|2\\d|3[01])\\.\\d+\\.\\d+)$')
       GROUP BY ALL HAVING count(DISTINCT RemoteIP) > 5`,
  11: `SELECT * FROM DeviceImageLoadEvents WHERE lower(FileName) IN ('icmp.dll', 'iphlpapi.dll')`,
  12: `SELECT * REPLACE (CAST(AdditionalFields AS JSON) AS AdditionalFields), json_extract_string(AdditionalFields, '$.issuer') AS issuer, json_extract_string(AdditionalFields, '$.direction') AS direction FROM DeviceNetworkEvents
       WHERE ActionType = 'SslConnectionInspected' AND json_extract_string(AdditionalFields, '$.direction') = 'Out'
         AND NOT regexp_matches(RemoteIP, '^(10\\.\\d+\\.\\d+\\.\\d+|192\\.168\\.\\d+\\.\\d+|172\\.(1[6-9]|2\\d|3[01])\\.\\d+\\.\\d+)$')
         AND regexp_matches(json_extract_string(AdditionalFields, '$.issuer'), 'CN=\\S+$')`,
  13: `WITH known AS (SELECT DISTINCT unnest(json_extract_string(DnsAddresses, '$[*]')) AS ip FROM DeviceNetworkInfo WHERE DnsAddresses <> '')
       SELECT * REPLACE (CAST(AdditionalFields AS JSON) AS AdditionalFields), json_extract_string(AdditionalFields, '$.direction') AS Direction, json_extract_string(AdditionalFields, '$.qtype_name') AS QueryType,
              json_extract_string(AdditionalFields, '$.query') AS Query, json_extract(AdditionalFields, '$.answers') AS Answers
       FROM DeviceNetworkEvents WHERE ActionType = 'DnsConnectionInspected' AND json_extract_string(AdditionalFields, '$.direction') = 'Out' AND json_extract_string(AdditionalFields, '$.qtype_name') = 'TXT'
         AND RemoteIP NOT IN (SELECT ip FROM known WHERE ip NOT IN ('::', '127.0.0.1', '0.0.0.0')) AND json_array_length(AdditionalFields, '$.answers') > 0`,
  14: `WITH devices AS (SELECT DeviceId FROM DeviceInfo QUALIFY row_number() OVER (PARTITION BY DeviceId ORDER BY Timestamp DESC) = 1 AND IsInternetFacing)
       SELECT LocalIP AS SourceIP, time_bucket(INTERVAL 10 MINUTE, Timestamp) AS Timestamp, DeviceId, to_json(list(DISTINCT json_extract_string(AdditionalFields, '$.username'))) AS Attempts
       FROM DeviceNetworkEvents WHERE ActionType = 'NtlmAuthenticationInspected' AND DeviceId IN (SELECT DeviceId FROM devices)
         AND json_extract_string(AdditionalFields, '$.direction') = 'In' AND coalesce(json_extract_string(AdditionalFields, '$.username'), '') <> '' AND NOT coalesce(TRY_CAST(json_extract_string(AdditionalFields, '$.success') AS BOOLEAN), false)
       GROUP BY ALL HAVING count(DISTINCT json_extract_string(AdditionalFields, '$.username')) > 3`,
};

// BENCH_BREAKDOWN=1: where each wirehunt query's CPU goes (DuckDB without and with the JSON encoding; reading the text in JS)
const BREAKDOWN = process.env.BENCH_BREAKDOWN === '1';
const breakdowns: string[] = [];

async function breakdown(conn: DuckDBConnection, c: Compiled): Promise<string> {
  if (!c.rowsSql || !c.plan) return 'no rows SQL';
  const fill = (sql: string) => sql.replaceAll('__WIREHUNT_NOW__', nowSql(NOW)).replaceAll('__WIREHUNT_LIMIT__', '100001');
  const anyOrder = !dependsOnInputOrder(c.plan);
  const cpu = async (f: () => Promise<void>): Promise<number> => {
    const xs: number[] = [];
    for (let r = 0; r < REPS; r++) {
      if (anyOrder) await conn.run('SET SESSION preserve_insertion_order = false');
      const c0 = process.cpuUsage();
      await f();
      xs.push(cpuMs(c0));
      if (anyOrder) await conn.run('RESET SESSION preserve_insertion_order');
    }
    return median(xs);
  };
  const plain = await cpu(async () => { await conn.run(`SELECT * FROM (${fill(c.sql!)}) LIMIT 100001`); });
  const encoded = await cpu(async () => { await conn.run(fill(c.rowsSql!)); });
  const result = await conn.run(fill(c.rowsSql));
  const c0 = process.cpuUsage();
  for (let r = 0; r < REPS; r++) readJsonRows(result, 100_000);
  const read = cpuMs(c0) / REPS;
  return `query without encoding ${plain.toFixed(0)}, with the JSON encoding ${encoded.toFixed(0)} (encoding ${(encoded - plain).toFixed(0)}), reading the text in JS ${read.toFixed(0)}${anyOrder ? '' : '; keeps insertion order'}`;
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(', ');

// Each side starts with the other's garbage collected: the hand side leaves ~200 MB strings per run, whose
// collection otherwise lands in the next wirehunt run (npm run bench:query passes --expose-gc).
const gc = (globalThis as { gc?: () => void }).gc;
function collectGarbage(): void {
  if (!gc) return;
  gc();
  gc();
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const seed = readFileSync(new URL('../../../shared/seed/queries.kql', import.meta.url), 'utf8');
  const queries = new Map<number, string>();
  for (const b of seed.split(/\n(?=\/\/ Q\d+:)/)) { const m = /^\/\/ Q(\d+):/.exec(b); if (m) queries.set(Number(m[1]), b); }

  let store = await openStore(DB);
  // rebuilt from scratch when its rows or its tables' layout differ from what this code makes
  const layout = createHash('sha256').update(generateSql(N)).update(TABLES.map(createTableSql).join(';')).digest('hex');
  const stamp = await store.connection.runAndReadAll('SELECT layout FROM main.bench_layout').then((r) => String(r.getRows()[0]?.[0]), () => null);
  if (stamp !== layout) {
    // a store this bench did not make (no stamp) is not thrown away, unless it is the default bench file
    if (stamp === null && DB !== DEFAULT_DB && (await store.count('DeviceNetworkEvents')) > 0) {
      throw new Error(`${DB} holds rows but was not made by bench:query; point BENCH_DB at a new file`);
    }
    console.log(`generating ${N.toLocaleString()} DeviceNetworkEvents rows into ${DB} …`);
    const t0 = performance.now();
    store.close();
    for (const f of [DB, `${DB}.wal`]) rmSync(f, { force: true });
    store = await openStore(DB);
    const c = store.connection;
    await c.run(generateSql(N));
    await c.run(`INSERT INTO store.DeviceInfo (Timestamp, DeviceId, DeviceName, IsInternetFacing, ReportId)
      SELECT ${NOWSQL} - to_hours(CAST(i % 48 AS INTEGER)), 'dev' || lpad(CAST(i % 500 AS VARCHAR), 4, '0'), 'dev' || (i % 500), (hash(i) % 10 = 0), i FROM range(5000) t(i)`);
    await c.run(`INSERT INTO store.DeviceNetworkInfo (Timestamp, DeviceId, DnsAddresses, ReportId)
      SELECT ${NOWSQL} - INTERVAL 1 HOUR, 'dev' || lpad(CAST(i AS VARCHAR), 4, '0'), CASE WHEN i % 7 = 0 THEN '' ELSE '["10.20.0.' || (i % 3 + 1) || '","::"]' END, i FROM range(500) t(i)`);
    await c.run(`INSERT INTO store.DeviceImageLoadEvents (Timestamp, DeviceId, FileName, InitiatingProcessFileName, ReportId)
      SELECT ${NOWSQL} - to_seconds(i), 'dev' || lpad(CAST(i % 500 AS VARCHAR), 4, '0'), (['ICMP.DLL','kernel32.dll','iphlpapi.dll','ntdll.dll'])[CAST(hash(i) % 4 AS BIGINT) + 1], 'x.exe', i FROM range(100000) t(i)`);
    await c.run(`CREATE TABLE main.bench_layout AS SELECT '${layout}' AS layout`);
    await c.run('CHECKPOINT');
    console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    store.close();
    store = await openStore(DB);
  }
  const conn = store.connection;
  await conn.run(`SET threads = ${THREADS}`);
  await conn.run(`CREATE OR REPLACE TEMP MACRO format_bytes(v) AS regexp_replace(CAST(round(v / pow(1024, 2), 2) AS VARCHAR), '\\.0$', '') || ' MB'`);
  const size = (await conn.runAndReadAll(`SELECT database_size FROM pragma_database_size() WHERE database_name = current_database()`)).getRows()[0]?.[0];
  console.log(`DeviceNetworkEvents: ${(await store.count('DeviceNetworkEvents')).toLocaleString()} rows (store ${String(size)}); DuckDB threads=${THREADS}; median of ${REPS} runs, ${BLOCKED ? 'blocked' : 'alternating'}; load average ${load()}`);

  console.log('compiling (cold and cached) …');
  // parse + bind + compile: cold (no plan cache) after a warm-up, and from the plan cache
  // warm-up: three passes over the queries (one pass leaves the binder's code unoptimized by V8: medians ~2x higher)
  for (let w = 0; w < 3; w++) for (const q of queries.values()) compileQuery(q, { noCache: true });
  // cold rounds go round the queries, so a few slow moments of a shared machine spread over all of them
  // instead of taking one query's median; CPU time is shown beside wall time for the same reason
  const texts = [...queries.values()];
  const coldRuns = texts.map(() => [] as number[]), coldCpuRuns = texts.map(() => [] as number[]);
  for (let r = 0; r < COMPILE_ROUNDS; r++) {
    texts.forEach((q, j) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      compileQuery(q, { noCache: true });
      coldRuns[j]!.push(performance.now() - t0);
      coldCpuRuns[j]!.push(cpuMs(c0));
    });
  }
  const cold = coldRuns.map(median), coldCpu = coldCpuRuns.map(median);
  const cached: number[] = [];
  for (const q of texts) {
    compileQuery(q);
    const t0 = performance.now();
    for (let r = 0; r < 100; r++) compileQuery(q);
    cached.push((performance.now() - t0) / 100);
  }

  const rows: string[] = [];
  rows.push('query  wirehunt ms  hand SQL ms  ratio  wirehunt cpu ms  hand cpu ms  rows  compile cold ms  compile cold cpu ms  compile cached ms');
  console.log(rows[0]);
  const ratios: number[] = [];
  const over: string[] = [];
  let i = 0;
  for (const [n, q] of queries) {
    if (ONLY && !ONLY.has(n)) { i++; continue; }
    const c = compileQuery(q);
    if (!c.sql) throw new Error(`Q${n} does not compile: ${c.diagnostics.map((d) => d.message).join('; ')}`);
    // same contract as wirehunt's: at most 100,000 rows (one more to know it was truncated), encoded after the limit
    const hand = `SELECT CAST(to_json(h) AS VARCHAR) AS row FROM (SELECT * FROM (${HAND[n]!}) LIMIT 100001) AS h`;
    // the expert, like wirehunt, lets DuckDB drop insertion order where the query has no ORDER BY (DuckDB's
    // performance guide; wirehunt does it for queries whose result does not depend on the stored order)
    const anyOrder = !/ORDER BY|LIMIT/.test(HAND[n]!);
    const runHand = async (): Promise<number> => {
      if (anyOrder) await conn.run('SET SESSION preserve_insertion_order = false');
      const col = (await conn.runAndReadAll(hand)).getColumns()[0] ?? [];
      if (anyOrder) await conn.run('RESET SESSION preserve_insertion_order');
      const text = `[${col.join(',')}]`;
      return text.length ? col.length : 0;
    };
    const tw: number[] = [], th: number[] = [], cw: number[] = [], ch: number[] = [];
    let nRows = 0, hRows = 0;
    const timeWirehunt = async (): Promise<void> => {
      collectGarbage();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const res = await runCompiled(conn, c, { now: NOW });
      const body = res.resultsJson; // what the API writes
      tw.push(performance.now() - t0);
      cw.push(cpuMs(c0));
      nRows = body.count;
    };
    const timeHand = async (): Promise<void> => {
      collectGarbage();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      hRows = Math.min(await runHand(), 100_000);
      th.push(performance.now() - t0);
      ch.push(cpuMs(c0));
    };
    // warm-up once each, then alternate (or, with BENCH_ORDER=blocked, all of one side's runs, then the other's)
    await runCompiled(conn, c, { now: NOW });
    await runHand();
    if (BLOCKED) {
      for (let r = 0; r < REPS; r++) await timeWirehunt();
      for (let r = 0; r < REPS; r++) await timeHand();
    } else {
      for (let r = 0; r < REPS; r++) { await timeWirehunt(); await timeHand(); }
    }
    if (BREAKDOWN) breakdowns.push(`Q${n}: ${await breakdown(conn, c)}`);
    const mw = median(tw), mh = median(th);
    ratios.push(mw / mh);
    if (mw > 1000) over.push(`Q${n} ${(mw / 1000).toFixed(2)} s`);
    rows.push(`Q${String(n).padEnd(5)} ${mw.toFixed(1).padStart(11)}  ${mh.toFixed(1).padStart(11)}  ${(mw / mh).toFixed(2).padStart(5)}  ${median(cw).toFixed(0).padStart(15)}  ${median(ch).toFixed(0).padStart(11)}  ${String(nRows).padStart(4)}${nRows !== hRows ? `≠${hRows}` : ''}  ${cold[i]!.toFixed(1).padStart(15)}  ${coldCpu[i]!.toFixed(1).padStart(19)}  ${cached[i]!.toFixed(3).padStart(17)}`);
    console.log(rows[rows.length - 1]);
    i++;
  }
  console.log(`max ratio ${Math.max(...ratios).toFixed(2)}, geometric mean ${Math.exp(ratios.reduce((s, r) => s + Math.log(r), 0) / ratios.length).toFixed(2)}; compile cold median ${median(cold).toFixed(1)} ms (max ${Math.max(...cold).toFixed(1)}; CPU median ${median(coldCpu).toFixed(1)}, max ${Math.max(...coldCpu).toFixed(1)}), cached ${median(cached).toFixed(3)} ms`);
  console.log(`over 1 s: ${over.length ? over.join(', ') : 'none'}; load average ${load()}`);
  if (BREAKDOWN) console.log(`breakdown, median CPU ms of ${REPS} runs (load average ${load()}):\n${breakdowns.join('\n')}`);
  store.close();
}

main().catch((err) => { console.error(err); process.exit(1); });
