// `wirehunt demo` as `npm start` runs it: generate, ingest, then serve; the served API answers a seed
// hunt (Q7, SSH brute force) with the attack's row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTORS, device } from '../../src/demo/network.js';
import { SSH_BRUTE_CONNECTIONS } from '../../src/demo/generate.js';

const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const main = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('demo serves the store it built', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-demo-serve-'));
  const child = spawn(process.execPath, [main, 'demo', '--db', join(dir, 'demo.duckdb'), '--pcap-out', join(dir, 'demo.pcap'), '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise<string>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no 'serving' line in time:\n${out}`)), 120_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /serving .* at (http:\/\/\S+?)\/?\s/.exec(out);
        if (m) { clearTimeout(timer); res(m[1]!); }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => { clearTimeout(timer); rej(new Error(`demo exited ${code}:\n${out}`)); });
    });
    const text = readFileSync(join(shared, 'seed/queries.kql'), 'utf8');
    const q7 = text.split(/^\/\/ Q7:.*$/m)[1]!.split(/^\/\/ Q8:/m)[0]!.trim();
    const r = await fetch(`${url}/api/advancedqueries/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Query: q7 }) });
    assert.equal(r.status, 200, await r.clone().text());
    const body = (await r.json()) as { Schema: { Name: string; Type: string }[]; Results: unknown[] };
    assert.deepEqual(body.Schema.map((c) => c.Name), ['LocalIP', 'RemoteIP', 'count_']);
    assert.deepEqual(body.Results, [{ LocalIP: device('web01').ip, RemoteIP: ACTORS.sshAttacker, count_: SSH_BRUTE_CONNECTIONS }]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((res) => (child.exitCode !== null ? res(undefined) : child.once('exit', res)));
    rmSync(dir, { recursive: true, force: true });
  }
});
