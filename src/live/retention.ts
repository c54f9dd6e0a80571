// Retention for a store a live sensor keeps filling: rows older than the age limit go, and while the
// store's used space (DuckDB's used blocks, not the file size: freed blocks are reused, the file does
// not shrink) is above the size limit, the oldest tenth of DeviceNetworkEvents goes, a step at a time.

import type { Store } from '../store/store.js';
import { storageTable } from '../store/store.js';

export interface RetentionOptions {
  /** Rows older than this many seconds are deleted (0/undefined = keep). */
  maxAgeSeconds?: number;
  /** Upper bound on the store's used bytes (0/undefined = none). */
  maxBytes?: number;
}

export interface RetentionResult {
  deletedByAge: number;
  deletedBySize: number;
  usedBytes: number;
}

const TABLES = ['DeviceNetworkEvents', 'DeviceNetworkInfo', 'DeviceInfo'] as const;
const MAX_SIZE_STEPS = 8;

/** The store's used bytes after a checkpoint (until then new rows sit in the write-ahead log). */
export async function usedBytes(store: Store): Promise<number> {
  try {
    await store.connection.run('CHECKPOINT');
  } catch {
    // another transaction is open: measure what is checkpointed
  }
  const r = await store.connection.runAndReadAll(`SELECT used_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()`);
  const row = r.getRows()[0];
  if (!row) return 0;
  return Number(row[0]) * Number(row[1]);
}

export async function applyRetention(store: Store, o: RetentionOptions, nowMicros = Date.now() * 1000): Promise<RetentionResult> {
  const res: RetentionResult = { deletedByAge: 0, deletedBySize: 0, usedBytes: 0 };
  if (o.maxAgeSeconds && o.maxAgeSeconds > 0) {
    const cut = Math.round(nowMicros - o.maxAgeSeconds * 1e6);
    for (const t of TABLES) {
      const r = await store.connection.run(`DELETE FROM ${storageTable(t)} WHERE "Timestamp" < make_timestamp(${cut}::BIGINT)`);
      res.deletedByAge += Number(r.rowsChanged);
    }
  }
  if (o.maxBytes && o.maxBytes > 0) {
    const t = storageTable('DeviceNetworkEvents');
    for (let step = 0; step < MAX_SIZE_STEPS; step++) {
      res.usedBytes = await usedBytes(store);
      if (res.usedBytes <= o.maxBytes) break;
      const r = await store.connection.run(`DELETE FROM ${t} WHERE "Timestamp" <= (SELECT quantile_disc("Timestamp", 0.1) FROM ${t})`);
      const n = Number(r.rowsChanged);
      res.deletedBySize += n;
      if (!n) break;
    }
  } else {
    res.usedBytes = await usedBytes(store);
  }
  return res;
}
