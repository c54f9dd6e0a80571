// Rules: Defender's save checks (refusals name what is missing), dedup across a reopened state,
// webhooks with retries against a local HTTP server, and `wirehunt rules` on YAML files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.js';
import { runQuery } from '../../src/kql/index.js';
import {
  DetectState, FREQUENCIES, deliverPending, parseRule, refusal, runRule, validateRule, runContinuousRules, RuleError, type Rule,
} from '../../src/detect/index.js';

const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'wirehunt-detect-rules-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2026-05-01T12:00:00Z');

function rule(over: Partial<Rule> & { query: string }): Rule {
  return parseRule({ id: 'r1', name: 'Test rule', severity: 'Medium', category: 'Discovery', frequency: '1h', techniques: ['T1046'], ...over });
}

test("Defender's frequencies and lookbacks", () => {
  assert.deepEqual(Object.entries(FREQUENCIES).map(([f, v]) => [f, v.everyMs / 3.6e6, v.lookbackMs / 3.6e6]),
    [['continuous', 0, 0], ['1h', 1, 4], ['3h', 3, 12], ['12h', 12, 48], ['24h', 24, 720]]);
});

test('saving checks what Defender checks; a refusal names what is missing', () => {
  const ok = validateRule(rule({ query: 'DeviceNetworkEvents | where Timestamp > ago(4h) | project Timestamp, ReportId, DeviceId, RemoteIP' }));
  assert.equal(ok.ok, true, ok.errors.join());
  assert.deepEqual(ok.warnings, []);

  const noReport = rule({ query: 'DeviceNetworkEvents | where Timestamp > ago(4h) | project Timestamp, DeviceId' });
  const v1 = validateRule(noReport);
  assert.equal(v1.ok, false);
  assert.match(refusal(noReport, v1), /^rule 'r1' refused: the query result lacks ReportId:/);

  const v2 = validateRule(rule({ query: 'DeviceNetworkEvents | where Timestamp > ago(4h) | summarize count() by ActionType' }));
  assert.match(v2.errors.join(), /lacks Timestamp, ReportId and an entity column/);

  const v3 = validateRule(rule({ query: 'DeviceNetworkEvents | project Timestamp, ReportId, ActionType' }));
  assert.match(v3.errors.join(), /lacks an entity column/);
  assert.deepEqual(v3.warnings.map((w) => w.code), ['WHL003'], 'scheduled rule without a Timestamp filter');

  const v4 = validateRule(rule({ query: 'DeviceNetworkEvents | project Timestamp, ReportId, DeviceId', entities: { Ip: 'RemoteIP' } }));
  assert.match(v4.errors.join(), /entity Ip maps to 'RemoteIP', which the query does not return/);

  const v5 = validateRule(rule({ query: 'DeviceNetworkEvents | where NoSuchColumn == 1 | project Timestamp, ReportId, DeviceId' }));
  assert.match(v5.errors.join(), /query: KS\d+ \(1:\d+\): .*NoSuchColumn/);
});

test('continuous rules: a single table, no join, union or externaldata', () => {
  const nrt = (query: string) => validateRule(rule({ frequency: 'continuous', query }));
  assert.equal(nrt('DeviceNetworkEvents | where ActionType == "SshConnectionInspected" | project Timestamp, ReportId, DeviceId').ok, true);
  const join = nrt('DeviceNetworkEvents | join kind=inner (DeviceNetworkEvents | where ActionType == "ConnectionSuccess") on DeviceId | project Timestamp, ReportId, DeviceId');
  assert.match(join.errors.join(), /cannot use join/);
  const union = nrt('union DeviceNetworkEvents, DeviceNetworkEvents | project Timestamp, ReportId, DeviceId');
  assert.match(union.errors.join(), /cannot use union/);
  const two = nrt('DeviceNetworkEvents | where DeviceId in ((DeviceInfo | where IsInternetFacing | project DeviceId)) | project Timestamp, ReportId, DeviceId');
  assert.match(two.errors.join(), /read a single table; this query reads DeviceInfo, DeviceNetworkEvents/);
  const ext = nrt('externaldata (Timestamp: datetime, ReportId: long, DeviceId: string) [@"https://example.com/x.csv"]');
  assert.match(ext.errors.join(), /cannot use externaldata/);
  // The same join is fine on a schedule.
  assert.equal(validateRule(rule({ query: 'DeviceNetworkEvents | where Timestamp > ago(4h) | join kind=inner (DeviceNetworkEvents | where ActionType == "ConnectionSuccess") on DeviceId | project Timestamp, ReportId, DeviceId' })).ok, true);
});

test('rule files are checked field by field', () => {
  assert.throws(() => rule({ query: 'x', severity: 'Critical' as Rule['severity'] }), (e: Error) => e instanceof RuleError && /severity 'Critical'/.test(e.message));
  assert.throws(() => rule({ query: 'x', frequency: '2h' as Rule['frequency'] }), /frequency '2h' is not one of continuous, 1h, 3h, 12h, 24h/);
  assert.throws(() => rule({ query: 'x', techniques: ['Brute force'] }), /ATT&CK ids/);
  assert.throws(() => rule({ query: 'x', entities: { Machine: 'RemoteIP' } }), /entity Machine cannot come from column 'RemoteIP'/);
  assert.throws(() => parseRule({ id: 'Bad Id', name: 'x', query: 'x', severity: 'Low', category: 'Discovery' }), /id 'Bad Id'/);
  assert.throws(() => parseRule({ id: 'a', severity: 'Low', category: 'Discovery', query: 'x' }), /missing 'name'/);
});

/** A small in-memory store with `n` SSH events, one per device. */
async function sshStore(n: number) {
  const store = await openStore(':memory:');
  const w = await store.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'DeviceName', 'ActionType', 'RemoteIP', 'ReportId', 'AdditionalFields']);
  for (let i = 0; i < n; i++) {
    w.appendRow([(NOW.getTime() - (i + 1) * 60_000) * 1000, `dev${i}`, `host${i}`, 'SshConnectionInspected', `203.0.113.${i + 1}`, 1000 + i, '{"direction":"In"}']);
  }
  // One event outside the 4 h lookback.
  w.appendRow([(NOW.getTime() - 5 * 3.6e6) * 1000, 'old', 'old-host', 'SshConnectionInspected', '203.0.113.200', 999, '{}']);
  await w.close();
  return store;
}

const SSH_QUERY = 'DeviceNetworkEvents | where ActionType == "SshConnectionInspected" | project Timestamp, ReportId, DeviceId, DeviceName, RemoteIP';

test('lookback, dedup across a reopened state, and a webhook retried until delivered', async () => {
  const store = await sshStore(2);
  let calls = 0;
  const bodies: Record<string, unknown>[] = [];
  const srv = createServer((req: IncomingMessage, res: ServerResponse) => {
    let b = '';
    req.on('data', (d) => (b += d));
    req.on('end', () => {
      calls++;
      if (calls <= 2) {
        res.writeHead(503).end();
        return;
      }
      bodies.push(JSON.parse(b) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`;
  try {
    let state = await DetectState.open(store, { builtins: false });
    const r = rule({ id: 'ssh-seen', query: SSH_QUERY, webhook: url, entities: { Machine: 'DeviceId', Ip: 'RemoteIP' } });
    assert.equal(validateRule(r).warnings[0]?.code, 'WHL003');
    await state.saveRule(r);
    const run1 = await runRule(state, r, { now: NOW });
    assert.equal(run1.error, undefined);
    assert.deepEqual(run1.alerts.map((a) => a.DeviceId).sort(), ['dev0', 'dev1']);
    assert.equal(run1.outsideLookback, 1);
    const d1 = await deliverPending(state, { backoffMs: 10 });
    assert.deepEqual([d1.delivered, d1.failed, calls], [2, 0, 4]);
    assert.deepEqual(bodies.map((b) => b.AlertId).sort(), run1.alerts.map((a) => a.AlertId).sort());
    assert.equal(bodies[0]!.Title, 'Test rule');
    assert.ok(Array.isArray(bodies[0]!.Entities));
    // Delivered: not sent again.
    assert.deepEqual(await deliverPending(state, { backoffMs: 10 }), { delivered: 0, failed: 0, errors: [] });
    assert.equal(calls, 4);

    // "Restart": a new state on the same store; the same events raise nothing, a new one does.
    state.close();
    state = await DetectState.open(store, { builtins: false });
    const run2 = await runRule(state, r, { now: NOW });
    assert.deepEqual([run2.alerts.length, run2.duplicates], [0, 2]);
    const w = await store.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'DeviceName', 'ActionType', 'RemoteIP', 'ReportId']);
    w.appendRow([(NOW.getTime() - 1000) * 1000, 'dev9', 'host9', 'SshConnectionInspected', '203.0.113.9', 2000]);
    await w.close();
    const run3 = await runRule(state, r, { now: NOW });
    assert.deepEqual(run3.alerts.map((a) => a.DeviceId), ['dev9']);
    const info = await runQuery(store, 'AlertInfo | summarize n = count(), ids = dcount(AlertId)');
    assert.deepEqual(info.rows, [{ n: 3, ids: 3 }]);
    const ev = await runQuery(store, 'AlertEvidence | summarize count() by EntityType, EvidenceRole | sort by EntityType asc');
    assert.deepEqual(ev.rows, [{ EntityType: 'Ip', EvidenceRole: 'Related', count_: 3 }, { EntityType: 'Machine', EvidenceRole: 'Impacted', count_: 3 }]);
    state.close();
  } finally {
    srv.close();
    store.close();
  }
});

test('an unreachable webhook: retried, kept pending, retried on the next round', async () => {
  const store = await sshStore(1);
  const dead = createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((r) => dead.close(() => r()));
  try {
    const state = await DetectState.open(store, { builtins: false });
    const r = rule({ id: 'dead-hook', query: SSH_QUERY, webhook: `http://127.0.0.1:${port}/x` });
    const run = await runRule(state, r, { now: NOW });
    assert.equal(run.alerts.length, 1);
    const d = await deliverPending(state, { backoffMs: 5 });
    assert.deepEqual([d.delivered, d.failed], [0, 1]);
    assert.match(d.errors[0]!, /ECONNREFUSED/);
    const d2 = await deliverPending(state, { backoffMs: 5 });
    assert.equal(d2.failed, 1);
    const att = await state.conn.runAndReadAll('SELECT attempts, delivered FROM detect.outbox');
    assert.deepEqual(att.getRows().map((x) => [Number(x[0]), x[1]]), [[6, false]]);
    state.close();
  } finally {
    store.close();
  }
});

test('wirehunt rules add|list|disable|remove with YAML files; a refused rule says what is missing', () => {
  const db = join(dir, 'rules.duckdb');
  const good = join(dir, 'good.yaml');
  writeFileSync(good, [
    'id: ssh-inspections', 'name: SSH inspected', 'severity: Low', 'category: LateralMovement', 'techniques: [T1021.004]', 'frequency: 3h',
    'entities: {Machine: DeviceId, Ip: RemoteIP}', 'query: |', '  DeviceNetworkEvents', '  | where Timestamp > ago(12h)',
    '  | where ActionType == "SshConnectionInspected"', '  | project Timestamp, ReportId, DeviceId, RemoteIP', '',
  ].join('\n'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'id: nrt-join\nname: x\nseverity: High\ncategory: Discovery\nfrequency: continuous\nquery: DeviceNetworkEvents | join (DeviceInfo) on DeviceId | project Timestamp, DeviceId\n');
  const run = (...a: string[]) => spawnSync(process.execPath, [main, 'rules', '--db', db, ...a], { encoding: 'utf8' });
  const add = run('add', good);
  assert.equal(add.status, 0, add.stderr);
  const refused = run('add', bad);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^wirehunt: rule 'nrt-join' refused: the query result lacks ReportId: .*; continuous \(NRT\) rules read a single table; .*cannot use join$/m);
  const off = run('disable', 'ssh-inspections');
  assert.equal(off.status, 0, off.stderr);
  const list = run('list', '--json');
  const rules = JSON.parse(list.stdout) as (Rule & { builtin: boolean })[];
  const mine = rules.find((r) => r.id === 'ssh-inspections')!;
  assert.deepEqual([mine.enabled, mine.frequency, mine.techniques, mine.builtin], [false, '3h', ['T1021.004'], false]);
  assert.ok(rules.filter((r) => r.builtin).length >= 8, 'the built-in pack is installed');
  assert.equal(rules.some((r) => r.id === 'nrt-join'), false);
  const rm = run('remove', 'ssh-inspections', 'no-such-rule');
  assert.equal(rm.status, 2);
  assert.match(rm.stderr, /no rule 'no-such-rule'/);
});

test('continuous rules run on each ingested batch; scheduled ones wait for their schedule', async () => {
  const store = await sshStore(1);
  try {
    const state = await DetectState.open(store, { builtins: false });
    await state.saveRule(rule({ id: 'nrt-ssh', frequency: 'continuous', query: SSH_QUERY }));
    await state.saveRule(rule({ id: 'hourly-ssh', frequency: '1h', query: SSH_QUERY + ' | where Timestamp > ago(4h)' }));
    state.close();
    const first = await runContinuousRules(store, NOW);
    // (the built-in pack's continuous rules run too, and find nothing here)
    assert.ok(first.every((r) => r.ruleId !== 'hourly-ssh' && (r.ruleId === 'nrt-ssh' || r.alerts.length === 0)));
    assert.equal(first.find((r) => r.ruleId === 'nrt-ssh')!.alerts.length, 2, 'continuous: no lookback, the old event too');
    const w = await store.writer('DeviceNetworkEvents', ['Timestamp', 'DeviceId', 'ActionType', 'ReportId']);
    w.appendRow([NOW.getTime() * 1000, 'dev7', 'SshConnectionInspected', 7777]);
    await w.close();
    const second = await runContinuousRules(store, NOW);
    assert.deepEqual(second.filter((r) => r.alerts.length).map((r) => [r.ruleId, r.alerts.map((a) => a.DeviceId)]), [['nrt-ssh', ['dev7']]]);
  } finally {
    store.close();
  }
});
