import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/store.js';

export const bin = fileURLToPath(new URL('../../../bin/wirehunt.js', import.meta.url));
export const shared = fileURLToPath(new URL('../../../../shared/', import.meta.url));

export function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** A fingerprint of a table's full content (order-independent), and its row count. */
export async function tableDigest(db: string, table: string): Promise<{ rows: number; digest: string }> {
  const s = await openStore(db, { readOnly: true });
  try {
    const r = await s.connection.runAndReadAll(
      `SELECT count(*)::BIGINT, coalesce(md5(string_agg(to_json(t)::VARCHAR, '\n' ORDER BY to_json(t)::VARCHAR)), '') FROM "${table}" t`,
    );
    const [n, d] = r.getRows()[0] as [bigint, string];
    return { rows: Number(n), digest: d };
  } finally {
    s.close();
  }
}

export async function query(db: string, sql: string): Promise<Record<string, unknown>[]> {
  const s = await openStore(db, { readOnly: true });
  try {
    return (await s.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    s.close();
  }
}
