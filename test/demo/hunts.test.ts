// `wirehunt demo --no-serve` (what `npm start` runs, minus serving), then every seed hunting query of
// shared/seed/queries.kql except Q1 (needs --legacy-signatures), Q5 and Q11 (need process data), run
// unchanged with `wirehunt query`: each returns the rows its attack implies.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTORS, device, deviceId } from '../../src/demo/network.js';
import {
  EXE_URIS, EXFIL, SELF_SIGNED_CONNECTIONS, SPRAY_USERS, SSH_BRUTE_CONNECTIONS, TRICK_UA, TXT_LOOKUPS,
} from '../../src/demo/generate.js';

type Row = Record<string, unknown>;
const END = '2026-11-26T06:00:00.000Z';
const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-hunts-'));
const db = join(dir, 'demo.duckdb');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** The seed queries by number, verbatim. */
function seedQueries(): Map<number, string> {
  const text = readFileSync(join(shared, 'seed/queries.kql'), 'utf8');
  const out = new Map<number, string>();
  const parts = text.split(/^\/\/ Q(\d+):.*$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(Number(parts[i]), parts[i + 1]!.trim());
  return out;
}
const Q = seedQueries();

const RUN = [2, 3, 4, 6, 7, 8, 9, 10, 12, 13, 14];
const results = new Map<number, { rows?: Row[]; error?: string }>();

/** Runs one seed query unchanged through `wirehunt query --format json`. */
function runQuery(n: number): Promise<void> {
  const kql = Q.get(n);
  if (!kql) {
    results.set(n, { error: `Q${n} is not in the seed file` });
    return Promise.resolve();
  }
  return new Promise((res) => {
    execFile(process.execPath, [main, 'query', '--db', db, '--now', END, '--format', 'json', kql], { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) results.set(n, { error: `Q${n}: exit ${err.code}: ${stderr}` });
      else results.set(n, { rows: (JSON.parse(stdout) as { Results: Row[] }).Results });
      res();
    });
  });
}

function query(n: number): Row[] {
  const r = results.get(n);
  assert.ok(r, `Q${n} was run`);
  assert.equal(r.error, undefined);
  return r.rows!;
}

const demo = (end: string) => spawnSync(process.execPath, [main, 'demo', '--no-serve', '--db', db, '--pcap-out', join(dir, 'demo.pcap'), '--end', end], { encoding: 'utf8' });
let rerun = '';

before(async () => {
  // A demo from the day before, then today's: the second replaces the first (no doubled attacks).
  const first = demo('2026-11-25T06:00:00.000Z');
  assert.equal(first.status, 0, first.stdout + first.stderr);
  const r = demo(END);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  rerun = r.stdout;
  RUN.push(99);
  Q.set(99, 'DeviceNetworkEvents | summarize Rows = count(), First = min(Timestamp), Devices = dcount(DeviceId)');
  // The queries only read the store: run them side by side.
  await Promise.all(RUN.map(runQuery));
});

const web01 = device('web01');
const trick = device(ACTORS.trick);
const icmpHost = device(ACTORS.icmp);
const admin = device('it-admin01');

test('demo runs the continuous detection rules on what it ingested, as ingest does', () => {
  assert.match(rerun, /^demo: continuous detection rules: [1-9]\d* run, \d+ alert\(s\) raised$/m);
});

test('re-running the demo replaces the earlier demo\'s rows', () => {
  assert.match(rerun, /removed \d+ rows of an earlier demo/);
  const [r] = query(99);
  assert.equal(r!.Rows, Number(/(\d+) DeviceNetworkEvents rows/.exec(rerun)![1]), 'exactly the rows of one demo');
  assert.ok(String(r!.First) >= '2026-11-26T03:00:00', String(r!.First));
  assert.equal(r!.Devices, 12);
});

test('Q2: SSH inspections, the brute force among them', () => {
  const rows = query(2);
  assert.ok(rows.every((r) => r.ActionType === 'SshConnectionInspected'));
  assert.equal(rows.filter((r) => r.RemoteIP === ACTORS.sshAttacker).length, SSH_BRUTE_CONNECTIONS);
  assert.ok(rows.some((r) => r.LocalIP === admin.ip));
});

test('Q3: the inspected action types', () => {
  const types = new Set(query(3).map((r) => r.ActionType));
  for (const t of ['HttpConnectionInspected', 'SshConnectionInspected', 'SslConnectionInspected', 'DnsConnectionInspected', 'IcmpConnectionInspected']) {
    assert.ok(types.has(t), t);
  }
  assert.ok([...types].every((t) => String(t).includes('ConnectionInspected')));
});

test('Q4: TrickXYZ is the rarest user agent', () => {
  const rows = query(4);
  const trickRow = rows.find((r) => r.user_agent === TRICK_UA);
  assert.ok(trickRow);
  assert.equal(trickRow.Devices, 1);
  assert.equal(rows[0]!.Devices, 1, 'sorted ascending');
  assert.ok(rows.some((r) => Number(r.Devices) > 2), 'browsers are shared');
});

test('Q6: the executable downloads', () => {
  const rows = query(6);
  assert.deepEqual(rows.map((r) => r.uri).sort(), [...EXE_URIS].sort());
  assert.ok(rows.every((r) => r.LocalIP === trick.ip && r.RemoteIP === ACTORS.c2Http && r.user_agent === TRICK_UA && r.direction === 'Out'));
});

test('Q7: SSH brute force from one address against web01', () => {
  assert.deepEqual(query(7), [{ LocalIP: web01.ip, RemoteIP: ACTORS.sshAttacker, count_: SSH_BRUTE_CONNECTIONS }]);
});

test('Q8: SSH server/client pairs', () => {
  const pairs = query(8).map((r) => `${r.Server} | ${r.Client}`).sort();
  assert.deepEqual(pairs, [
    'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10 | SSH-2.0-OpenSSH_9.6',
    'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10 | SSH-2.0-libssh2_1.10.0',
  ]);
});

test('Q9: high upload over ICMP', () => {
  const rows = query(9);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.equal(r.RemoteIP, ACTORS.icmpSink);
  assert.equal(r.LocalIP, icmpHost.ip);
  assert.equal(r.Upload, `${(EXFIL.count * EXFIL.payload / 1048576).toFixed(2)} MB`);
  assert.equal(r.Direction, 'Out');
  assert.ok(Number(r.Duration) > 100 && Number(r.Duration) < 160);
  assert.equal(r.DeviceId, deviceId(icmpHost));
});

test('Q10: the ping sweep', () => {
  const rows = query(10);
  assert.ok(rows.length >= 1);
  for (const r of rows) {
    assert.equal(r.DeviceId, deviceId(icmpHost));
    const ips = r.IpsList as string[];
    assert.ok(ips.length > 5 && ips.every((ip) => ip.startsWith('10.20.0.')));
  }
});

test('Q12: TLS to a public address with a self-signed certificate', () => {
  const rows = query(12);
  assert.equal(rows.length, SELF_SIGNED_CONNECTIONS);
  for (const r of rows) {
    assert.equal(r.RemoteIP, ACTORS.c2Tls);
    assert.equal(r.LocalIP, trick.ip);
    assert.equal(r.issuer, `CN=${ACTORS.c2TlsName}`);
  }
});

test('Q13: TXT lookups answered by an unknown resolver', () => {
  const rows = query(13);
  assert.equal(rows.length, TXT_LOOKUPS);
  assert.ok(rows.every((r) => r.RemoteIP === ACTORS.rogueResolver && r.LocalIP === trick.ip && r.QueryType === 'TXT'));
});

test('Q14: NTLM password spraying against the internet-facing server', () => {
  const rows = query(14);
  assert.equal(rows.length, 1);
  const r = rows[0]!;
  assert.equal(r.DeviceId, deviceId(web01));
  assert.equal(r.SourceIP, web01.ip);
  assert.deepEqual([...(r.Attempts as string[])].sort(), [...SPRAY_USERS].sort());
});
