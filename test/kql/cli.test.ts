// `wirehunt query`: Defender's JSON shape, Kusto-style diagnostics with a non-zero exit and no
// stack trace, --dry-run, --now.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOW } from './fixture.js';
import { openStore } from '../../src/store/index.js';

const bin = new URL('../../../bin/wirehunt.js', import.meta.url).pathname;
let dir: string;
let db: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wh-kql-cli-'));
  db = join(dir, 'fixture.duckdb');
  const { networkRows } = await import('./fixture.js');
  const s = await openStore(db);
  const rows = networkRows();
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const w = await s.writer('DeviceNetworkEvents', cols);
  for (const r of rows) w.appendRow(cols.map((c) => r[c] as never));
  await w.close();
  s.close();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function wh(...args: string[]) {
  return spawnSync(process.execPath, [bin, 'query', '--db', db, ...args], { encoding: 'utf8' });
}

test('--format json prints the Defender API shape', () => {
  const r = wh('--format', 'json', '--now', NOW.toISOString(), 'DeviceNetworkEvents | where ActionType == "SshConnectionInspected" | summarize count() by LocalIP, RemoteIP | where count_ > 4');
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { Schema: { Name: string; Type: string }[]; Results: Record<string, unknown>[] };
  assert.deepEqual(j.Schema, [{ Name: 'LocalIP', Type: 'String' }, { Name: 'RemoteIP', Type: 'String' }, { Name: 'count_', Type: 'Int64' }]);
  assert.deepEqual(j.Results, [{ LocalIP: '10.0.0.5', RemoteIP: '203.0.113.9', count_: 7 }]);
});

test('datetimes have 7 fraction digits and Z; --now drives ago()', () => {
  const q = 'DeviceNetworkEvents | where Timestamp > ago(15m) | project Timestamp, ActionType | sort by Timestamp asc';
  const r = wh('--format', 'json', '--now', NOW.toISOString(), q);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { Results: { Timestamp: string }[] };
  assert.deepEqual(j.Results.map((x) => x.Timestamp), ['2024-05-01T11:50:00.0000000Z', '2024-05-01T11:51:00.0000000Z', '2024-05-01T11:52:30.0000000Z', '2024-05-01T11:54:59.0000000Z']);
  const later = wh('--format', 'json', '--now', '2024-05-02T00:00:00Z', q);
  assert.deepEqual((JSON.parse(later.stdout) as { Results: unknown[] }).Results, []);
});

test('csv output quotes fields', () => {
  const r = wh('--format', 'csv', 'print a = "x,y", b = 2');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, 'a,b\n"x,y",2\n');
});

test('binder errors: Kusto code, line:column, exit 1, no stack trace', () => {
  const r = wh('--dry-run', 'DeviceNetworkEvents\n| where NoSuchColumn == 1');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: KS142 \(2:9\): The name 'NoSuchColumn' does not refer to any known column/m);
  assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
});

test('unsupported features name themselves', () => {
  const r = wh('--dry-run', 'DeviceNetworkEvents | evaluate autocluster()');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /WH001 \(1:\d+\): Not supported yet by wirehunt: evaluate autocluster/);
});

test('--dry-run succeeds without touching the store; -f reads a file', () => {
  const f = join(dir, 'q.kql');
  writeFileSync(f, 'DeviceNetworkEvents | distinct ActionType');
  const r = spawnSync(process.execPath, [bin, 'query', '--db', join(dir, 'absent.duckdb'), '--dry-run', '-f', f], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ActionType:string/);
  // with --format json, the Schema a run would print
  const j = spawnSync(process.execPath, [bin, 'query', '--db', join(dir, 'absent.duckdb'), '--dry-run', '--format', 'json', 'print a = 1, t = datetime(2024-01-01)'], { encoding: 'utf8' });
  assert.equal(j.status, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), { Schema: [{ Name: 'a', Type: 'Int64' }, { Name: 't', Type: 'DateTime' }] });
  const missing = spawnSync(process.execPath, [bin, 'query', '-f', join(dir, 'nope.kql')], { encoding: 'utf8' });
  assert.equal(missing.status, 2);
  assert.equal(missing.stderr.trim(), `wirehunt: cannot read ${join(dir, 'nope.kql')}: no such file`);
});

test('bad flags are one line', () => {
  const r = wh('--format', 'xml', 'print 1');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('output piped into a reader that stops early ends quietly with status 0, no stack trace', async () => {
  const { spawn } = await import('node:child_process');
  // a result far larger than a pipe's buffer, read for one chunk only (as `| head -c 100` does)
  const child = spawn(process.execPath, [bin, 'query', '--db', db, '--format', 'json', 'range i from 1 to 300000 step 1 | extend s = strcat("row ", i)'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  await new Promise<void>((resolve) => child.stdout.once('data', () => { child.stdout.destroy(); resolve(); }));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/);
});
