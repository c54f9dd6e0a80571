// DuckDB lets one process at a time open a store file for writing, and then no other may open it at all.
// A running `wirehunt serve` (or demo) says so in <store>.server.json, so that another command can tell
// the user who holds the store and where, and `wirehunt query` can run its query through that server.
import { readFileSync, writeFileSync, rmSync } from 'node:fs';

export interface StoreHolder { pid: number; url: string }

function holderFile(storePath: string): string {
  return `${storePath}.server.json`;
}

/** Records that this process serves `storePath` at `url`, until it exits. */
export function announceHolder(storePath: string, url: string): void {
  if (storePath === ':memory:') return;
  const file = holderFile(storePath);
  try {
    writeFileSync(file, JSON.stringify({ pid: process.pid, url } satisfies StoreHolder) + '\n');
  } catch {
    return; // only a convenience for other commands: a read-only folder must not stop the server
  }
  process.once('exit', () => withdrawHolder(storePath));
}

export function withdrawHolder(storePath: string): void {
  try {
    const h = JSON.parse(readFileSync(holderFile(storePath), 'utf8')) as StoreHolder;
    if (h.pid === process.pid) rmSync(holderFile(storePath), { force: true });
  } catch { /* gone already */ }
}

/** The live server process that announced it holds `storePath`, if any. */
export function findHolder(storePath: string): StoreHolder | null {
  let h: StoreHolder;
  try {
    h = JSON.parse(readFileSync(holderFile(storePath), 'utf8')) as StoreHolder;
  } catch {
    return null;
  }
  if (typeof h.pid !== 'number' || typeof h.url !== 'string') return null;
  try {
    process.kill(h.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return null; // no such process: a stale file
  }
  return h;
}
