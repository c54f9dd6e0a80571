// The memory cap on queries (Defender's API caps each query's memory too). DuckDB's memory_limit is
// per database instance, so the cap holds for every query on the store's instance; a query that needs
// more fails with one line saying so instead of exhausting the machine.
import type { DuckDBConnection } from '@duckdb/node-api';

export const MEMORY_ENV = 'WIREHUNT_QUERY_MEMORY';
export const DEFAULT_QUERY_MEMORY = '4GiB';

const UNITS: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40 };

/** Bytes of a size such as "512MiB", "4GB" or "2 GiB"; null when it is not one. */
export function parseMemorySize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?I?B)\s*$/i.exec(text);
  if (!m) return null;
  const bytes = Number(m[1]) * UNITS[m[2]!.toUpperCase()]!;
  return bytes >= 1 ? Math.floor(bytes) : null;
}

/** The configured cap: the given size, else $WIREHUNT_QUERY_MEMORY, else 4 GiB. */
export function queryMemoryCap(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env[MEMORY_ENV] ?? DEFAULT_QUERY_MEMORY;
}

/** Sets the instance's memory cap; throws an Error with a one-line message for a size that is not one. */
export async function applyMemoryCap(conn: DuckDBConnection, size: string): Promise<void> {
  const bytes = parseMemorySize(size);
  if (bytes === null) throw new Error(`memory cap: expected a size such as 512MiB or 4GB, got "${size}"`);
  // DuckDB's unit is bytes when none is given; KiB is its smallest reliable unit
  await conn.run(`SET memory_limit = '${Math.max(1, Math.floor(bytes / 1024))}KiB'`);
}

/** True for DuckDB's out-of-memory failure (the memory cap was reached). */
export function isOutOfMemory(message: string): boolean {
  return /^Out of Memory Error/i.test(message);
}
