// `wirehunt demo --legacy-signatures`: Q1 of the seed (the deprecated NetworkSignatureInspected rows
// with SignatureName "SSH") finds the SSH traffic, the brute force included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTORS, device } from '../../src/demo/network.js';
import { SSH_BRUTE_CONNECTIONS } from '../../src/demo/generate.js';

const END = '2026-11-26T06:00:00.000Z';
const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('Q1 with --legacy-signatures', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-legacy-'));
  try {
    const db = join(dir, 'demo.duckdb');
    const d = spawnSync(process.execPath, [main, 'demo', '--no-serve', '--legacy-signatures', '--db', db, '--pcap-out', join(dir, 'demo.pcap'), '--end', END], { encoding: 'utf8' });
    assert.equal(d.status, 0, d.stdout + d.stderr);
    const text = readFileSync(join(shared, 'seed/queries.kql'), 'utf8');
    const q1 = text.split(/^\/\/ Q\d+:.*$/m)[1]!.trim();
    assert.match(q1, /NetworkSignatureInspected/);
    const r = spawnSync(process.execPath, [main, 'query', '--db', db, '--now', END, '--format', 'json', q1], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const rows = (JSON.parse(r.stdout) as { Results: { RemoteIP: string; LocalIP: string; AdditionalFields: { SignatureName: string } }[] }).Results;
    assert.ok(rows.length > SSH_BRUTE_CONNECTIONS);
    assert.ok(rows.every((x) => x.AdditionalFields.SignatureName === 'SSH'));
    const brute = rows.filter((x) => x.RemoteIP === ACTORS.sshAttacker);
    assert.equal(brute.length, SSH_BRUTE_CONNECTIONS);
    assert.ok(brute.every((x) => x.LocalIP === device('web01').ip));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
