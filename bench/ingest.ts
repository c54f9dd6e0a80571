// npm run bench:ingest — rows/s into the store, in one run:
//   1. from Zeek logs: generated conn/http/dns/ssl TSV logs as a deployment keeps them
//      (WIREHUNT_BENCH_RECORDS records, default 1,000,000)                 → wirehunt ingest <folder>
//      as `wirehunt ingest` does by default (logs of 4 MiB and more mapped inside DuckDB, events/sql-map.ts),
//      then through the JavaScript event model (WIREHUNT_INGEST_SQL=never) in one thread (workers 0) and
//      with worker threads (WIREHUNT_BENCH_WORKERS, default max(2, CPUs - 2))
//   2. end to end from a generated capture (sensor → event model → store) → wirehunt ingest <pcap>
//   3. the peer: DuckDB's own read_json loading the same DeviceNetworkEvents rows as 1 from NDJSON,
//      with DuckDB's default threads and with the thread limit wirehunt's ingest uses
// Each measured run is a child process of its own: its CPU time (all threads) and peak RSS are its own.
// Environment: WIREHUNT_BENCH_MB (capture size, default 64), WIREHUNT_BENCH_DIR (cache folder).
// The inputs are cached between runs; stores are made fresh each time.

import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { generateMixedCapture } from '../src/synth/index.js';
import { openStore, storageTable } from '../src/store/store.js';
import { defaultWorkers, ingestPaths } from '../src/events/ingest.js';
import { DNE_COLUMNS } from '../src/events/model.js';
import { getTable } from '../src/store/types.js';

const MB = Number(process.env.WIREHUNT_BENCH_MB ?? 64);
const dir = process.env.WIREHUNT_BENCH_DIR ?? join(tmpdir(), 'wirehunt-bench-ingest');
mkdirSync(dir, { recursive: true });
const RECORDS = Number(process.env.WIREHUNT_BENCH_RECORDS ?? 1_000_000);
const pcap = join(dir, `mix-${MB}mb.pcap`);
const logs = join(dir, `logs-${RECORDS}`);

/** Zeek TSV logs: conn (60%), http (15%), dns (15%), ssl (10%); clients in 10.1/16, a third of servers inside. */
function writeLogs(out: string, n: number): void {
  mkdirSync(out, { recursive: true });
  const head = (path: string, fields: string[], types: string[]) =>
    ['#separator \\x09', '#set_separator\t,', '#empty_field\t(empty)', '#unset_field\t-', `#path\t${path}`, '#open\t2026-01-05-09-00-00',
      `#fields\t${fields.join('\t')}`, `#types\t${types.join('\t')}`].join('\n') + '\n';
  const ID = ['ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'];
  const IDT = ['time', 'string', 'addr', 'port', 'addr', 'port'];
  const files = {
    conn: [head('conn', [...ID, 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes', 'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes', 'tunnel_parents', 'ip_proto'],
      [...IDT, 'enum', 'string', 'interval', 'count', 'count', 'string', 'bool', 'bool', 'count', 'string', 'count', 'count', 'count', 'count', 'set[string]', 'count'])],
    http: [head('http', [...ID, 'trans_depth', 'method', 'host', 'uri', 'referrer', 'version', 'user_agent', 'origin', 'request_body_len', 'response_body_len', 'status_code', 'status_msg', 'info_code', 'info_msg', 'tags', 'username', 'password', 'proxied', 'orig_fuids', 'orig_filenames', 'orig_mime_types', 'resp_fuids', 'resp_filenames', 'resp_mime_types'],
      [...IDT, 'count', 'string', 'string', 'string', 'string', 'string', 'string', 'string', 'count', 'count', 'count', 'string', 'count', 'string', 'set[enum]', 'string', 'string', 'set[string]', 'vector[string]', 'vector[string]', 'vector[string]', 'vector[string]', 'vector[string]', 'vector[string]'])],
    dns: [head('dns', [...ID, 'proto', 'trans_id', 'rtt', 'query', 'qclass', 'qclass_name', 'qtype', 'qtype_name', 'rcode', 'rcode_name', 'AA', 'TC', 'RD', 'RA', 'Z', 'answers', 'TTLs', 'rejected'],
      [...IDT, 'enum', 'count', 'interval', 'string', 'count', 'string', 'count', 'string', 'count', 'string', 'bool', 'bool', 'bool', 'bool', 'count', 'vector[string]', 'vector[interval]', 'bool'])],
    ssl: [head('ssl', [...ID, 'version', 'cipher', 'curve', 'server_name', 'resumed', 'last_alert', 'next_protocol', 'established', 'ssl_history', 'cert_chain_fps', 'client_cert_chain_fps', 'sni_matches_cert'],
      [...IDT, 'string', 'string', 'string', 'string', 'bool', 'string', 'string', 'bool', 'string', 'vector[string]', 'vector[string]', 'bool'])],
  };
  let seed = 12345;
  const rnd = (k: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % k);
  for (let i = 0; i < n; i++) {
    const ts = (1767603600 + i * 0.0037).toFixed(6);
    const uid = 'C' + (i * 2654435761 >>> 0).toString(36).padStart(7, 'a') + i.toString(36);
    const c = `10.1.${rnd(64)}.${1 + rnd(250)}`;
    const inside = rnd(3) === 0;
    const srv = inside ? `10.2.0.${1 + rnd(20)}` : `${23 + rnd(180)}.${rnd(256)}.${rnd(256)}.${1 + rnd(250)}`;
    const cp = 1024 + rnd(60000);
    const k = rnd(20);
    if (k < 12) {
      const st = ['SF', 'SF', 'SF', 'S0', 'REJ', 'RSTO', 'SH'][rnd(7)]!;
      const ob = rnd(5000), rb = rnd(200000);
      files.conn.push(`${ts}\t${uid}\t${c}\t${cp}\t${srv}\t${[443, 80, 53, 22, 445][rnd(5)]}\ttcp\tssl\t${(rnd(100000) / 1000).toFixed(6)}\t${ob}\t${rb}\t${st}\tT\t${inside ? 'T' : 'F'}\t0\tShADadFf\t${5 + rnd(50)}\t${ob + 400}\t${4 + rnd(200)}\t${rb + 300}\t(empty)\t6\n`);
    } else if (k < 15) {
      files.http.push(`${ts}\t${uid}\t${c}\t${cp}\t${srv}\t80\t1\tGET\twww.example${rnd(500)}.com\t/path/${rnd(100000)}/index.html\t-\t1.1\tMozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/${100 + rnd(30)}.0\t-\t0\t${rnd(90000)}\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tF${uid.slice(1)}\t-\ttext/html\n`);
    } else if (k < 18) {
      files.dns.push(`${ts}\t${uid}\t${c}\t${cp}\t10.2.0.53\t53\tudp\t${rnd(65536)}\t0.0${rnd(10)}1234\thost${rnd(10000)}.example.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.${rnd(256)}.${rnd(256)}\t300.000000\tF\n`);
    } else {
      files.ssl.push(`${ts}\t${uid}\t${c}\t${cp}\t${srv}\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\tx25519\tapi${rnd(300)}.example.net\tF\t-\th2\tT\tCsiI\t(empty)\t(empty)\t-\n`);
    }
  }
  for (const [name, lines] of Object.entries(files)) writeFileSync(join(out, `${name}.log`), lines.join('') + '#close\t2026-01-05-10-00-00\n');
}

function fresh(name: string): string {
  const p = join(dir, name);
  rmSync(p, { force: true });
  rmSync(p + '.wal', { force: true });
  return p;
}

const secs = (t0: number) => (performance.now() - t0) / 1000;
/** CPU seconds of this process (all threads: JS and DuckDB's) since `c0`. */
const cpuSecs = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Run {
  rows: number;
  records: number;
  wall: number;
  cpu: number;
  rssMB: number;
  threads?: number;
  workers?: number;
}

/** One measured run in this (child) process; prints its Run as JSON. */
async function child(kind: string, arg: string): Promise<void> {
  const quiet = { warn: () => {} };
  let run: Run;
  if (kind === 'logs' || kind === 'pcap') {
    // logs: 'sql' (the default), or a worker count for the JavaScript model
    const sql = arg === 'sql' || kind === 'pcap';
    const workers = kind === 'logs' && !sql ? Number(arg) : undefined;
    const s = await openStore(fresh(`from-${kind}-${arg}.duckdb`));
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await ingestPaths(s, [kind === 'logs' ? logs : pcap], { ...quiet, workers, sqlMapping: sql ? 'auto' : 'never' });
    run = { rows: r.networkRows, records: r.events.records, wall: secs(t0), cpu: cpuSecs(c0), rssMB: 0, workers: workers ?? defaultWorkers() };
    s.close();
  } else {
    // peer: DuckDB's read_json of the rows the Zeek-log ingest stored, as DuckDB runs it by default
    // (every thread), then with the settings wirehunt's ingest uses (threads, memory limit)
    const def = getTable('DeviceNetworkEvents')!;
    const cols = DNE_COLUMNS.map((c) => `"${c}"`).join(', ');
    const types = DNE_COLUMNS.map((c) => `'${c}': '${def.columns.find((x) => x.name === c)!.duckType}'`).join(', ');
    const st = await openStore(fresh(`peer-${arg}.duckdb`));
    if (arg === 'limited') await st.limitThreadsForIngest();
    const threads = Number((await st.connection.runAndReadAll(`SELECT current_setting('threads')`)).getRows()[0]![0]);
    const t = performance.now();
    const c = process.cpuUsage();
    await st.connection.run(`INSERT INTO ${storageTable('DeviceNetworkEvents')} (${cols}) SELECT ${cols} FROM read_json('${ndjson}', format = 'newline_delimited', columns = {${types}})`);
    run = { rows: await st.count('DeviceNetworkEvents'), records: 0, wall: secs(t), cpu: cpuSecs(c), rssMB: 0, threads };
    st.close();
  }
  run.rssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify(run) + '\n');
}

const ndjson = join(dir, 'rows.ndjson');

function measure(kind: string, arg: string): Run {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', kind, arg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

async function main(): Promise<void> {
  if (!existsSync(pcap)) {
    process.stderr.write(`generating a ${MB} MB capture (${pcap})…\n`);
    generateMixedCapture(pcap, { targetBytes: MB << 20, apps: true, seed: 7 });
  }
  if (!existsSync(join(logs, 'ssl.log'))) {
    process.stderr.write(`writing ${RECORDS.toLocaleString('en-US')} Zeek log records (${logs})…\n`);
    writeLogs(logs, RECORDS);
  }
  const pcapBytes = statSync(pcap).size;
  const logBytes = readdirSync(logs).reduce((a, f) => a + statSync(join(logs, f)).size, 0);
  const load0 = loadavg();

  const nWorkers = Number(process.env.WIREHUNT_BENCH_WORKERS) || Math.max(2, cpus().length - 2);
  const dflt = measure('logs', 'sql');
  const one = measure('logs', '0');
  const par = measure('logs', String(nWorkers));
  const cap = measure('pcap', 'default');
  // the peer reads the rows the Zeek-log ingest stored, as NDJSON
  rmSync(ndjson, { force: true });
  const s = await openStore(join(dir, 'from-logs-sql.duckdb'), { readOnly: true });
  const cols = DNE_COLUMNS.map((c) => `"${c}"`).join(', ');
  await s.connection.run(`COPY (SELECT ${cols} FROM DeviceNetworkEvents) TO '${ndjson}' (FORMAT JSON)`);
  s.close();
  const p1 = measure('peer', 'default');
  const p2 = measure('peer', 'limited');

  const line = (what: string, r: Run, extra = '') =>
    `  ${what.padEnd(44)} ${fmt(r.rows).padStart(10)} rows  ${r.wall.toFixed(2).padStart(7)} s  ${fmt(r.rows / r.wall).padStart(9)} rows/s  ${r.cpu.toFixed(2).padStart(7)} CPU s  ${fmt(r.rows / r.cpu).padStart(9)} rows/CPU s  ${r.rssMB.toFixed(0).padStart(5)} MB peak RSS${extra}`;
  console.log(`wirehunt bench:ingest — Zeek logs ${(logBytes / 1048576).toFixed(1)} MB (${par.records.toLocaleString('en-US')} records), capture ${(pcapBytes / 1048576).toFixed(1)} MB (${cap.records.toLocaleString('en-US')} records)`);
  console.log(`  machine: ${cpus().length} CPUs, load average ${load0.map((x) => x.toFixed(1)).join(' ')} at the start, ${loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`);
  console.log(line('wirehunt ingest <Zeek logs> (default: in DuckDB)', dflt, `  (${(logBytes / 1048576 / dflt.wall).toFixed(1)} MB/s of logs)`));
  console.log(line('  JavaScript model, one thread', one, `  (${(logBytes / 1048576 / one.wall).toFixed(1)} MB/s of logs)`));
  console.log(line(`  JavaScript model, ${par.workers} workers`, par, `  (${(logBytes / 1048576 / par.wall).toFixed(1)} MB/s of logs)`));
  console.log(line('wirehunt ingest <pcap> (sensor + store)', cap, `  (${(pcapBytes / 1048576 / cap.wall).toFixed(1)} MB/s of capture)`));
  console.log(line(`peer: DuckDB read_json, ${p1.threads} thread(s)`, p1));
  console.log(line(`peer: DuckDB read_json, ${p2.threads} thread(s), ingest limits`, p2));
  console.log(`  rows equal: ${dflt.rows === one.rows && par.rows === one.rows && par.rows === p1.rows ? 'yes' : 'NO'}; ingest DuckDB threads ${p2.threads} (WIREHUNT_INGEST_THREADS; all of them while a log is mapped in DuckDB), workers ${par.workers} (WIREHUNT_INGEST_WORKERS)`);
  console.log(`  in DuckDB / JavaScript model (one thread): ${((dflt.rows / dflt.wall) / (one.rows / one.wall)).toFixed(2)} wall, ${((dflt.rows / dflt.cpu) / (one.rows / one.cpu)).toFixed(2)} per CPU second`);
  for (const p of [p1, p2]) {
    console.log(`  ratio Zeek-log ingest (default) / read_json (${p.threads} thread(s)): ${((dflt.rows / dflt.wall) / (p.rows / p.wall)).toFixed(2)} wall, ${((dflt.rows / dflt.cpu) / (p.rows / p.cpu)).toFixed(2)} per CPU second`);
  }
  console.log(`  goal: 300,000 rows/s from Zeek logs`);
}

const argv = process.argv.slice(2);
(argv[0] === '--child' ? child(argv[1]!, argv[2]!) : main()).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
