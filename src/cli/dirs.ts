// Creating a folder and its missing parents without fs.mkdirSync's recursive mode, which never returns
// when a parent refuses new folders with ENOENT (under /proc: Node retries the parent, finds it, retries
// the child, forever at 100% CPU).

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Makes `dir` and its missing parents, one level at a time from the nearest existing ancestor, which
 * must be a folder. Throws an Error whose one-line message says which path is in the way (callers put
 * what they were creating in front).
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(p).isDirectory();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || dirname(p) === p) throw new Error(`cannot use ${p}: ${(err as Error).message}`);
      missing.push(p);
      p = dirname(p);
      continue;
    }
    if (!isDir) throw new Error(`${p} is not a folder`);
    break;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue; // made meanwhile by another process
      throw new Error(code === 'ENOENT' ? `${dirname(m)} does not accept new folders`
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `${dirname(m)} is not writable (${code})`
        : (err as Error).message);
    }
  }
}
