// A string column holding text that is not JSON (DeviceInfo.AdditionalFields from a Defender export, say):
// todynamic() of it is null in Kusto, so a path into it is null too and the query goes on; it must not fail
// with DuckDB's "Malformed JSON".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.js';
import { compileQuery, runQuery } from '../../src/kql/index.js';

test('paths into todynamic() of text that is not JSON are null, not an error', async () => {
  const store = await openStore(':memory:');
  try {
    const w = await store.writer('DeviceInfo', ['Timestamp', 'DeviceId', 'AdditionalFields', 'ReportId']);
    w.appendRow([Date.parse('2024-05-01T00:00:00Z') * 1000, 'd1', '{not json', 1]);
    w.appendRow([Date.parse('2024-05-01T00:00:00Z') * 1000, 'd2', '{"x":"ok","n":7}', 2]);
    await w.close();
    const run = async (kql: string) => {
      const c = compileQuery(kql);
      assert.ok(c.sql, c.diagnostics.map((d) => d.message).join('; '));
      return (await runQuery(store, kql)).rows.map((r) => JSON.stringify(r));
    };
    assert.deepEqual(await run('DeviceInfo | extend j = todynamic(AdditionalFields) | project DeviceId, x = tostring(j.x), n = toint(j.n) | order by DeviceId asc'),
      ['{"DeviceId":"d1","x":"","n":null}', '{"DeviceId":"d2","x":"ok","n":7}']);
    assert.deepEqual(await run('DeviceInfo | where tostring(parse_json(AdditionalFields).x) == "ok" | project DeviceId'), ['{"DeviceId":"d2"}']);
    assert.deepEqual(await run('DeviceInfo | project DeviceId, j = todynamic(AdditionalFields)["x"] | order by DeviceId asc'),
      ['{"DeviceId":"d1","j":null}', '{"DeviceId":"d2","j":"ok"}']);
  } finally {
    store.close();
  }
});
