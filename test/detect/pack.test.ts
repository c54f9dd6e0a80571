// The built-in rule pack on the demo store: exactly the alerts the scenario implies, evidence that
// leads back to the events, nothing raised twice, and no alert lost or duplicated when the server is
// killed (SIGKILL) in the middle of a scheduled run.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTORS, device, deviceId } from '../../src/demo/network.js';
import { EXE_URIS, SELF_SIGNED_CONNECTIONS, TXT_LOOKUPS } from '../../src/demo/generate.js';
import { openStore } from '../../src/store/index.js';
import { runQuery } from '../../src/kql/index.js';
import type { Alert } from '../../src/detect/index.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wirehunt-detect-pack-'));
const base = join(dir, 'demo.duckdb');
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// The demo ends at the current minute so that the server's real clock sees every attack in its lookback.
const END = new Date(Math.floor(Date.now() / 60000) * 60000).toISOString();

const trick = device(ACTORS.trick);
const icmpHost = device(ACTORS.icmp);
const web01 = device('web01');

/** What the scenario implies: rule → [alerts, device of each, remote address of each (or null)]. */
const EXPECTED: Record<string, { n: number; device: string; remote: string | null }> = {
  'dns-txt-unknown-resolver': { n: TXT_LOOKUPS, device: deviceId(trick), remote: ACTORS.rogueResolver },
  'http-executable-download': { n: EXE_URIS.length, device: deviceId(trick), remote: ACTORS.c2Http },
  'icmp-high-upload': { n: 1, device: deviceId(icmpHost), remote: ACTORS.icmpSink },
  'ntlm-password-spray': { n: 1, device: deviceId(web01), remote: null },
  'ping-sweep': { n: 1, device: deviceId(icmpHost), remote: null },
  'rare-user-agent': { n: 1, device: deviceId(trick), remote: ACTORS.c2Http },
  'ssh-brute-force': { n: 1, device: deviceId(web01), remote: ACTORS.sshAttacker },
  'tls-self-signed-public': { n: SELF_SIGNED_CONNECTIONS, device: deviceId(trick), remote: ACTORS.c2Tls },
};
const TOTAL = Object.values(EXPECTED).reduce((s, e) => s + e.n, 0);

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function alertsOf(stdout: string): Alert[] {
  return stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Alert);
}

async function withStore<T>(path: string, f: (s: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const s = await openStore(path, { readOnly: true });
  try {
    return await f(s);
  } finally {
    s.close();
  }
}

/** AlertInfo rows, distinct AlertIds, and dedup keys in the store. */
async function counts(path: string): Promise<{ info: number; ids: number; seen: number; byRule: Record<string, number> }> {
  return withStore(path, async (s) => {
    const info = (await runQuery(s, 'AlertInfo | count')).rows[0]!.Count as number;
    const ids = (await runQuery(s, 'AlertInfo | summarize dcount(AlertId)')).rows[0]!.dcount_AlertId as number;
    const seen = Number((await s.connection.runAndReadAll('SELECT count(*) FROM detect.seen')).getRows()[0]![0]);
    const byRule: Record<string, number> = {};
    const rows = (await runQuery(s, 'AlertEvidence | where EntityType == "Machine" | extend RuleId = tostring(todynamic(AdditionalFields).RuleId) | summarize dcount(AlertId) by RuleId')).rows;
    for (const r of rows) byRule[String(r.RuleId)] = Number(r.dcount_AlertId);
    return { info, ids, seen, byRule };
  });
}

before(() => {
  // the rules run here, not during the demo's ingest
  const r = cli(['demo', '--no-serve', '--no-detect', '--db', base, '--pcap-out', join(dir, 'demo.pcap'), '--end', END]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('the pack raises exactly the scenario\'s alerts; evidence leads back to the events; a second run raises none', async () => {
  const db = join(dir, 'once.duckdb');
  copyFileSync(base, db);
  const r = cli(['detect', '--db', db, '--once', '--now', END, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const alerts = alertsOf(r.stdout);
  const byRule = new Map<string, Alert[]>();
  for (const a of alerts) byRule.set(a.RuleId, [...(byRule.get(a.RuleId) ?? []), a]);
  assert.deepEqual([...byRule.keys()].sort(), Object.keys(EXPECTED).sort());
  for (const [rule, e] of Object.entries(EXPECTED)) {
    const got = byRule.get(rule)!;
    assert.equal(got.length, e.n, rule);
    for (const a of got) {
      assert.equal(a.DeviceId, e.device, `${rule} device`);
      if (e.remote) assert.equal(a.Entities.find((x) => x.EntityType === 'Ip')?.Value, e.remote, `${rule} remote`);
      assert.ok(a.AttackTechniques.length > 0 && a.AttackTechniques.every((t) => /\(T\d{4}(\.\d{3})?\)$/.test(t)), rule);
    }
  }
  assert.deepEqual(byRule.get('http-executable-download')!.map((a) => a.Row.uri).sort(), [...EXE_URIS].sort());
  assert.match(byRule.get('ssh-brute-force')![0]!.AttackTechniques.join(), /T1110\b.*T1021\.004/);
  assert.equal(new Set(alerts.map((a) => a.AlertId)).size, TOTAL);

  await withStore(db, async (s) => {
    // Alerts are huntable; each evidence row points back to its event.
    const info = await runQuery(s, 'AlertInfo | where DetectionSource == "Custom detection" | summarize count() by Severity');
    assert.equal(info.rows.reduce((n, x) => n + Number(x.count_), 0), TOTAL);
    for (const a of alerts) {
      const ev = await runQuery(s, a.EvidenceQuery);
      assert.equal(ev.rows.length, 1, a.EvidenceQuery);
      assert.equal(String(ev.rows[0]!.ReportId), String(a.ReportId));
    }
    const ptr = await runQuery(s, `AlertEvidence | where AlertId == "${alerts[0]!.AlertId}" | extend p = todynamic(AdditionalFields) | project DeviceId, Timestamp, ReportId = tolong(p.ReportId), EntityType`);
    assert.ok(ptr.rows.some((x) => x.EntityType === 'Machine'));
    for (const x of ptr.rows) {
      assert.equal(x.DeviceId, alerts[0]!.DeviceId);
      assert.equal(x.Timestamp, alerts[0]!.Timestamp);
      assert.equal(String(x.ReportId), String(alerts[0]!.ReportId));
    }
  });

  // Again: the scheduled rules are not due, and forced (--all) every event was already alerted.
  const again = cli(['detect', '--db', db, '--once', '--now', END, '--json']);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(alertsOf(again.stdout), []);
  const forced = cli(['detect', '--db', db, '--once', '--all', '--now', END, '--json']);
  assert.equal(forced.status, 0, forced.stderr);
  assert.deepEqual(alertsOf(forced.stdout), []);
  assert.match(forced.stderr, new RegExp(`8 rules run, 0 alerts raised, ${TOTAL} events already alerted`));
  const c = await counts(db);
  assert.deepEqual([c.info, c.ids, c.seen], [TOTAL, TOTAL, TOTAL]);
});

function waitFor(child: ChildProcess, re: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; stderr so far:\n${buf}`)), ms);
    const on = (d: Buffer) => {
      buf += d.toString();
      if (re.test(buf)) {
        clearTimeout(t);
        resolve(buf);
      }
    };
    child.stderr!.on('data', on);
    child.stdout!.on('data', on);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`exited (${code}) before ${re}:\n${buf}`));
    });
  });
}

test('SIGKILL of the server during a scheduled run, then restart: no alert lost, none duplicated', async () => {
  const db = join(dir, 'kill.duckdb');
  copyFileSync(base, db);
  const child = spawn(process.execPath, [main, 'serve', '--db', db, '--port', '0'], {
    env: { ...process.env, WIREHUNT_DETECT_HOLD_MS: '600000', WIREHUNT_DETECT_HOLD_RULE: 'ping-sweep' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const log = await waitFor(child, /detect: committing ping-sweep/, 240_000);
    // The rules before ping-sweep committed; ping-sweep's alerts are written but not committed.
    assert.match(log, /detect: dns-txt-unknown-resolver raised 6 alerts/);
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  const before = ['dns-txt-unknown-resolver', 'http-executable-download', 'icmp-high-upload', 'ntlm-password-spray'];
  const committed = before.reduce((n, r) => n + EXPECTED[r]!.n, 0);
  const mid = await counts(db);
  assert.deepEqual([mid.info, mid.ids, mid.seen], [committed, committed, committed]);
  assert.equal(mid.byRule['ping-sweep'], undefined);

  // Restart: the killed run and the rules after it run; the committed ones are not repeated.
  const r = cli(['detect', '--db', db, '--once', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const raised = alertsOf(r.stdout);
  assert.equal(raised.length, TOTAL - committed);
  assert.ok(raised.every((a) => !before.includes(a.RuleId)));
  const after = await counts(db);
  assert.deepEqual([after.info, after.ids, after.seen], [TOTAL, TOTAL, TOTAL]);
  for (const [rule, e] of Object.entries(EXPECTED)) assert.equal(after.byRule[rule], e.n, rule);
  // Forced once more: nothing new.
  const forced = cli(['detect', '--db', db, '--once', '--all', '--json']);
  assert.deepEqual(alertsOf(forced.stdout), []);
  assert.equal((await counts(db)).info, TOTAL);
});
