import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../ingest/helpers.js';
import { openStore } from '../../src/store/store.js';
import { runQuery } from '../../src/kql/index.js';

// Continuous (NRT) rules run on what `wirehunt ingest` commits: an HTTP download of an .exe raises the
// built-in http-executable-download alert once, and ingesting the same log again raises nothing.
test('wirehunt ingest runs the continuous rules on the new rows, once per event', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wh-nrt-'));
  try {
    const ts = Date.now() / 1000 - 60;
    const rec = (uid: string, uri: string, port: number) => JSON.stringify({
      ts, uid, 'id.orig_h': '10.0.0.5', 'id.orig_p': port, 'id.resp_h': '198.51.100.7', 'id.resp_p': 80,
      trans_depth: 1, method: 'GET', host: 'dl.example', uri, version: '1.1', user_agent: 'curl/8.0',
      request_body_len: 0, response_body_len: 1000, status_code: 200, status_msg: 'OK', tags: [],
    });
    writeFileSync(join(dir, 'http.log'), [rec('Ca', '/tool.exe', 40000), rec('Cb', '/index.html', 40001)].join('\n') + '\n');
    const db = join(dir, 's.duckdb');
    const first = cli(['ingest', join(dir, 'http.log'), '--db', db]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /continuous detection rules: \d+ run, 1 alert\(s\) raised/);
    const again = cli(['ingest', join(dir, 'http.log'), '--db', db]);
    assert.equal(again.status, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /continuous detection rules/, 'nothing new was committed, so nothing ran');
    const off = cli(['ingest', join(dir, 'http.log'), '--db', join(dir, 'off.duckdb'), '--no-detect']);
    assert.equal(off.status, 0, off.stderr);
    assert.doesNotMatch(off.stdout, /continuous detection rules/);
    const store = await openStore(db, { readOnly: true });
    try {
      const r = await runQuery(store, 'AlertEvidence | where EntityType == "Machine" | extend d = todynamic(AdditionalFields) | project RuleId = tostring(d.RuleId)');
      assert.deepEqual(r.rows, [{ RuleId: 'http-executable-download' }]);
    } finally {
      store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
