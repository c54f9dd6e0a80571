// The linter: each finding kind, its position, and the seed's Q1 rewritten to Q2's form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { lint, RETIRED_SIGNATURES } from '../../src/lint/index.js';

const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function seedQueries(): Map<number, string> {
  const text = readFileSync(join(shared, 'seed/queries.kql'), 'utf8');
  const out = new Map<number, string>();
  const parts = text.split(/^\/\/ Q(\d+):.*$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(Number(parts[i]), parts[i + 1]!.trim());
  return out;
}
const Q = seedQueries();

test('Q1 is flagged at the SignatureName literal and rewritten to Q2 exactly', () => {
  const q1 = Q.get(1)!;
  const r = lint(q1);
  assert.equal(r.findings.length, 1);
  const f = r.findings[0]!;
  assert.equal(f.code, 'WHL001');
  assert.equal(f.replacement, 'SshConnectionInspected');
  assert.equal(q1.slice(f.start, f.start + f.length), '"SSH"');
  assert.equal(f.line, 4);
  assert.equal(f.column, q1.split('\n')[3]!.indexOf('"SSH"') + 1);
  assert.match(f.message, /SshConnectionInspected/);
  assert.equal(r.rewrite, Q.get(2));
});

test('Q2 and the other seed hunts have no findings (they parse AdditionalFields first)', () => {
  for (const [n, q] of Q) {
    if (n === 1) continue;
    assert.deepEqual(lint(q).findings, [], `Q${n}`);
  }
});

test('WHL001 for every retired signature, with its replacement; a term of an and-chain is rewritten', () => {
  for (const [sig, repl] of Object.entries(RETIRED_SIGNATURES)) {
    const q = `DeviceNetworkEvents | where ActionType == "NetworkSignatureInspected" and tostring(todynamic(AdditionalFields).SignatureName) == '${sig}' | project Timestamp, DeviceId`;
    const r = lint(q);
    assert.equal(r.findings.length, 1, sig);
    assert.equal(r.findings[0]!.code, 'WHL001');
    assert.equal(r.findings[0]!.replacement, repl);
    if (['FTP_Upload', 'HTTP_Server', 'HTTP_RequestBodyParameters'].includes(sig)) assert.equal(r.rewrite, undefined, `${sig} is not mechanical`);
    else assert.equal(r.rewrite, `DeviceNetworkEvents | where ActionType == "${repl}" | project Timestamp, DeviceId`, sig);
  }
  // Two signatures in one list: flagged twice, no rewrite.
  const two = lint(`DeviceNetworkEvents | extend AdditionalFields = todynamic(AdditionalFields) | where AdditionalFields.SignatureName in ("SSH", "DNS_Request")`);
  assert.deepEqual(two.findings.map((f) => f.replacement), ['SshConnectionInspected', 'DnsConnectionInspected']);
  assert.equal(two.rewrite, undefined);
  // Through a column extended from the SignatureName.
  const alias = lint(`DeviceNetworkEvents | where ActionType == "NetworkSignatureInspected" | extend sig = tostring(todynamic(AdditionalFields).SignatureName) | where sig =~ "http_client"`);
  assert.deepEqual(alias.findings.map((f) => [f.code, f.replacement, f.column]), [['WHL001', 'HttpConnectionInspected', 153]]);
  // A signature that was not retired is not flagged.
  assert.deepEqual(lint(`DeviceNetworkEvents | extend a = todynamic(AdditionalFields) | where a.SignatureName == "SMB_Client"`).findings, []);
});

test('WHL002: AdditionalFields member access without todynamic/parse_json, directly and through an alias', () => {
  const q = 'DeviceNetworkEvents\n| extend j = AdditionalFields\n| where j.direction == "Out" and AdditionalFields["uri"] == "/"';
  const r = lint(q);
  assert.deepEqual(r.findings.map((f) => [f.code, f.line, f.column]), [['WHL002', 3, 9], ['WHL002', 3, 34]]);
  assert.equal(q.slice(r.findings[1]!.start, r.findings[1]!.start + r.findings[1]!.length), 'AdditionalFields["uri"]');
  assert.match(r.findings[0]!.message, /todynamic/);
  // Parsed first: fine.
  assert.deepEqual(lint('DeviceNetworkEvents | where parse_json(AdditionalFields).direction == "Out"').findings, []);
  assert.deepEqual(lint('DeviceNetworkEvents | extend AdditionalFields = todynamic(AdditionalFields) | where AdditionalFields.direction == "Out"').findings, []);
});

test('WHL003: a scheduled rule without a Timestamp filter; not for a hunt, not when filtered', () => {
  const q = 'DeviceNetworkEvents\n| where ActionType == "SshConnectionInspected"';
  assert.deepEqual(lint(q).findings, []);
  const r = lint(q, { scheduled: true, lookback: '12h' });
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0]!.code, 'WHL003');
  assert.deepEqual([r.findings[0]!.line, r.findings[0]!.column], [1, 1]);
  assert.match(r.findings[0]!.message, /ago\(12h\)/);
  assert.deepEqual(lint(q + '\n| where Timestamp > ago(12h)', { scheduled: true }).findings, []);
});

test('wirehunt lint: findings as line:column, --fix prints Q2, exit codes', () => {
  const q1 = Q.get(1)!;
  const r = spawnSync(process.execPath, [main, 'lint', q1], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^4:\d+: WHL001 warning: .*SshConnectionInspected/m);
  const fix = spawnSync(process.execPath, [main, 'lint', '--fix', '-f', '-'], { encoding: 'utf8', input: q1 });
  assert.equal(fix.status, 0, fix.stderr);
  assert.equal(fix.stdout.trim(), Q.get(2));
  const clean = spawnSync(process.execPath, [main, 'lint', Q.get(2)!], { encoding: 'utf8' });
  assert.equal(clean.status, 0);
  const bad = spawnSync(process.execPath, [main, 'lint', '--nope', 'x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n')[0]!.startsWith('wirehunt: lint: unknown option --nope'), true);
});

test("wirehunt lint reports the query's syntax and binding errors, but not one a finding explains; query hints WHL002", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8' });
  const syntax = run('lint', 'DeviceNetworkEvents | wher ActionType == "x"');
  assert.equal(syntax.status, 1);
  assert.match(syntax.stdout, /^error: KS176 \(1:23\): /m);
  const unknown = run('lint', 'DeviceNetworkEvents | where Foo == 1');
  assert.equal(unknown.status, 1);
  assert.match(unknown.stdout, /^error: KS142 \(1:29\): The name 'Foo'/m);
  // WHL002's member access is also a KS142 at the same place: the finding alone is printed
  const member = run('lint', 'DeviceNetworkEvents | where AdditionalFields.query contains "x"');
  assert.equal(member.status, 1);
  assert.doesNotMatch(member.stdout, /KS142/);
  assert.match(member.stdout, /WHL002/);
  const q = run('query', '--db', ':memory:', 'DeviceNetworkEvents | where AdditionalFields.query contains "x"');
  assert.equal(q.status, 1);
  assert.match(q.stderr, /^error: KS142 .*\nhint: 'AdditionalFields\.query' reads a member of AdditionalFields/m);
});
