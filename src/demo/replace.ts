// Re-running the demo replaces the previous demo's rows instead of piling a second copy (shifted in
// time) on top of it. Only rows of the demo's own devices are touched: their DeviceIds are derived from
// 'wirehunt-demo:<name>' and cannot belong to anything else in a store.

import type { Store } from '../store/store.js';
import { storageTable } from '../store/store.js';
import { DEVICES, deviceId } from './network.js';

const TABLES_WITH_DEMO_ROWS = ['DeviceNetworkEvents', 'DeviceInfo', 'DeviceNetworkInfo'] as const;

/** Deletes every row of the demo's devices in one transaction; returns how many there were. */
export async function removeDemoRows(store: Store): Promise<number> {
  const ids = DEVICES.map((d) => `'${deviceId(d)}'`).join(', ');
  const c = store.connection;
  let n = 0;
  for (const t of TABLES_WITH_DEMO_ROWS) {
    const r = await c.runAndReadAll(`SELECT count(*) FROM ${storageTable(t)} WHERE DeviceId IN (${ids})`);
    n += Number(r.getRows()[0]![0]);
  }
  if (!n) return 0;
  await c.run('BEGIN TRANSACTION');
  try {
    for (const t of TABLES_WITH_DEMO_ROWS) await c.run(`DELETE FROM ${storageTable(t)} WHERE DeviceId IN (${ids})`);
    await c.run('COMMIT');
  } catch (err) {
    await c.run('ROLLBACK');
    throw err;
  }
  return n;
}
