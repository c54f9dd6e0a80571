// Retention of a live store: by age (every device table), and by used size (oldest events first).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.js';
import { applyRetention, usedBytes } from '../../src/live/retention.js';
import { DNE_COLUMNS } from '../../src/events/model.js';

test('retention deletes rows older than the age limit and, above the size limit, the oldest events', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wirehunt-retention-'));
  const store = await openStore(join(dir, 'r.duckdb'));
  try {
    const w = await store.writer('DeviceNetworkEvents', DNE_COLUMNS);
    const now = Date.UTC(2026, 0, 10) * 1000;
    const day = 86_400e6;
    // 3 old rows (10 days), 20000 recent ones spread over the last hour.
    const row = (micros: number, i: number) => [micros, 'dev1', 'host', 'ConnectionSuccess', '10.0.0.2', 80, '', '10.0.0.1', 40000 + (i % 20000), 'Tcp', 'Private', 'Private', i + 1,
      JSON.stringify({ direction: 'Out', uid: `C${i}`, pad: 'x'.repeat(200) })];
    for (let i = 0; i < 3; i++) w.appendRow(row(now - 10 * day - i, i));
    for (let i = 3; i < 20003; i++) w.appendRow(row(now - Math.floor((i * 3600e6) / 20003), i));
    await w.close();
    assert.equal(await store.count('DeviceNetworkEvents'), 20003);
    const r = await applyRetention(store, { maxAgeSeconds: 7 * 86400 }, now);
    assert.equal(r.deletedByAge, 3);
    assert.equal(await store.count('DeviceNetworkEvents'), 20000);
    const used = await usedBytes(store);
    assert.ok(used > 0);
    // A limit below what is used: the oldest tenth goes, step by step, until it fits (or 8 steps).
    const s = await applyRetention(store, { maxBytes: Math.floor(used / 2) }, now);
    assert.ok(s.deletedBySize >= 2000, JSON.stringify(s));
    const left = await store.count('DeviceNetworkEvents');
    assert.equal(left, 20000 - s.deletedBySize);
    // What is left is the newest rows.
    const oldest = await store.connection.runAndReadAll(`SELECT min(epoch_us("Timestamp")) FROM store."DeviceNetworkEvents"`);
    const cut = Number(oldest.getRows()[0]![0]);
    assert.ok(cut > now - 3600e6 + (s.deletedBySize - 10) * (3600e6 / 20003), `oldest left ${cut}`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
