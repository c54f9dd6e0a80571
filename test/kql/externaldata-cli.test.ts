// `wirehunt query --externaldata-*`: the options reach the fetch; refusals are one line with a
// non-zero exit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';

const bin = new URL('../../../bin/wirehunt.js', import.meta.url).pathname;
let dir: string;
let db: string;
let srv: http.Server;
let base: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'wh-ext-cli-'));
  db = join(dir, 'empty.duckdb');
  (await openStore(db)).close();
  srv = http.createServer((_req, res) => res.end('ip,score\n10.1.2.3,7\n'));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`;
});
after(async () => {
  await new Promise((r) => srv.close(r));
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process (the server answers from it). */
function wh(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, 'query', '--db', db, ...args], { env: { ...process.env, WIREHUNT_EXTERNALDATA_ALLOW: '' } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('--externaldata-allow lets a URL through; the rows come back typed', async () => {
  const r = await wh('--format', 'json', '--externaldata-allow', base, '--externaldata-cache', 'none', `externaldata(ip:string, score:long)["${base}feed.csv"] with (ignoreFirstRecord=true)`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).Results, [{ ip: '10.1.2.3', score: 7 }]);
});

test('a URL outside the allow-list is refused in one line', async () => {
  const r = await wh('--externaldata-allow', 'none', 'externaldata(x:string)["https://raw.githubusercontent.com/a/b/main/c.txt"] with (format=txt)');
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /externaldata: https:\/\/raw\.githubusercontent\.com\/a\/b\/main\/c\.txt is not allowed \(allow-list: empty;/);
  assert.doesNotMatch(r.stderr, /\bat .*\.js:\d+/);
});

test('bad option values are one-line errors', async () => {
  const r = await wh('--externaldata-timeout', 'soon', 'print 1');
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.trim(), /^wirehunt: --externaldata-timeout: expected a non-negative number, got 'soon'$/);
});
