// A store held by a running `wirehunt serve`: DuckDB lets no other process open it, so `wirehunt query`
// runs its query through that server, and other commands say who holds the store and where.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/index.js';

const bin = new URL('../../../bin/wirehunt.js', import.meta.url).pathname;

test('while serve holds the store, query goes through it; a query with its own settings and ingest are told who holds it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-busy-'));
  const db = join(dir, 's.duckdb');
  (await openStore(db)).close();
  const server = spawn(process.execPath, [bin, 'serve', '--db', db, '--port', '0'], { env: { ...process.env, WIREHUNT_NO_DETECT: '1' }, stdio: 'ignore' });
  try {
    const holderFile = `${db}.server.json`;
    for (let i = 0; i < 200 && !existsSync(holderFile); i++) await sleep(100);
    const holder = JSON.parse(readFileSync(holderFile, 'utf8')) as { pid: number; url: string };
    assert.equal(holder.pid, server.pid);
    const wh = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

    const q = wh('query', '--db', db, '--format', 'json', 'print x = 1, s = "a"');
    assert.equal(q.status, 0, q.stderr);
    assert.deepEqual(JSON.parse(q.stdout), { Schema: [{ Name: 'x', Type: 'Int64' }, { Name: 's', Type: 'String' }], Results: [{ x: 1, s: 'a' }] });
    assert.match(q.stderr, new RegExp(`in use by wirehunt serve \\(PID ${holder.pid}\\); ran the query through it`));
    const t = wh('query', '--db', db, 'print x = 1');
    assert.equal(t.status, 0, t.stderr);
    assert.match(t.stdout, /^x\n-\n1\n$/);
    // the server's diagnostics come back as the exit status and one line
    const bad = wh('query', '--db', db, 'print x = 1 | where NoSuchColumn == 2');
    assert.notEqual(bad.status, 0);
    assert.doesNotMatch(bad.stderr, /\n\s+at /);

    for (const args of [['query', '--db', db, '--now', '2024-01-01T00:00:00Z', 'print now()'], ['rules', 'list', '--db', db]]) {
      const r = wh(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`is in use by wirehunt serve \\(PID ${holder.pid}, ${holder.url.replace(/[.]/g, '\\.')}/\\): stop it`));
    }
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  assert.ok(!existsSync(`${db}.server.json`), 'the server withdraws its note when it stops');
  rmSync(dir, { recursive: true, force: true });
});
